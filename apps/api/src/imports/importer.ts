import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { CUSTOMER_STREAM_PREFIX, customerStreamId, decide, evolve, foldCustomer, type CustomerEvent, type CustomerState, type DecideContext } from '../../../../libs/domain/src';
import { DuplicateEventId, UnstorableEvent, WrongExpectedVersion, toDomainEvent, type EventMetadata, type EventStore, type NewEvent, type StreamAppend } from '../../../../libs/event-store/src';
import { streamEventOf } from '../../../../libs/touchpoints/src';
import { foldStreamEvent, touchpointFactsOf, type TouchpointSchedules } from '../customers/touchpoint-schedule';
import type { CustomerTouchpointFacts } from '../../../../libs/touchpoints/src';
import { toErrorBody } from '../http/errors';
import { nthEventId, type Line, type ParsedLine, type RejectedLine } from './import-line';
import { lineParser, type ParsedBatch } from './line-parser';

export interface ImportOptions {
  /** Lines per transaction. */
  batchSize?: number;
  /** Rejections kept for the summary (all are passed to onRejected). */
  keepRejections?: number;
  /** Customers whose state stays in memory between batches; beyond it the least recently used are dropped and re-read. */
  cachedCustomers?: number;
  metadata?: Partial<Omit<EventMetadata, 'eventId' | 'schemaVersion'>>;
  /** The customers' touchpoint schedules, which a CompleteTouchpoint line is decided against; without them such a line is refused. */
  touchpoints?: TouchpointSchedules;
  /** The currencies a booking may be in (ratedCurrencies of the segments config), as the API refuses others; without them any ISO currency passes. */
  currencies?: ReadonlySet<string>;
  onRejected?: (rejection: RejectedLine) => void;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  linesRead: number;
  /** Input bytes of the lines done so far (when the reader reports them). */
  bytesDone: number;
  imported: number;
  rejected: number;
  duplicates: number;
  events: number;
  seconds: number;
}

export interface ImportSummary extends ImportProgress {
  importId: string;
  eventsPerSecond: number;
  /** Up to `keepRejections` bad lines (the first found), in file order. */
  rejections: RejectedLine[];
}

interface Customer {
  state: CustomerState;
  version: number;
  /** Ids of every stored event: a line whose id is among them was imported before. */
  eventIds: Set<string>;
  /**
   * The touchpoint facts of the stream as decided so far (stored and planned), for the schedule a completion is decided
   * against: folded as events are planned, so the cache holds facts, not every event.
   */
  facts: CustomerTouchpointFacts | undefined;
}

/** A decided batch: what to append, and the outcome of its lines, counted once it is committed. */
interface Plan {
  appends: Map<string, StreamAppend>;
  lines: ParsedLine[];
  imported: number;
  events: number;
  duplicates: number;
  rejections: RejectedLine[];
}

interface Failed {
  plan: Plan;
  error: Error;
}

const SLICE = 250;

/**
 * Streams command lines into the store: validated and decided exactly as the API does, appended in large
 * batches (one transaction each), idempotent through ids derived from the lines.
 *
 * Pipelined: while batch N is being written, batch N+1 is parsed and decided on the states N left in memory.
 * If N's transaction fails, N is redone line by line against the store and N+1 is decided again.
 */
export class Importer {
  private readonly customers = new Map<string, Customer>();
  private readonly progress: ImportProgress = { linesRead: 0, bytesDone: 0, imported: 0, rejected: 0, duplicates: 0, events: 0, seconds: 0 };
  private readonly rejections: RejectedLine[] = [];
  private readonly started = process.hrtime.bigint();
  private readonly metadata: Omit<EventMetadata, 'eventId'>;
  private readonly importId: string;

  constructor(
    private readonly store: EventStore,
    private readonly options: ImportOptions = {},
  ) {
    this.importId = options.metadata?.correlationId ?? randomUUID();
    this.metadata = {
      correlationId: this.importId,
      causationId: options.metadata?.causationId ?? this.importId,
      actor: options.metadata?.actor ?? { id: 'import', role: 'import' },
      source: 'import',
      schemaVersion: 1,
    };
  }

  async run(lines: AsyncIterable<Line>): Promise<ImportSummary> {
    const batchSize = this.options.batchSize ?? 10_000;
    const parser = lineParser();
    let writing: Promise<Failed | null> = Promise.resolve(null);
    const parsing: { batch: Promise<ParsedBatch>; end?: number }[] = [];
    const step = async (): Promise<void> => {
      const next = parsing.shift()!;
      const { parsed, rejected, lines: count } = await next.batch;
      this.progress.linesRead += count;
      this.progress.bytesDone = next.end ?? this.progress.bytesDone;
      rejected.forEach((rejection) => this.rejectLine(rejection));
      let plan = await this.plan(parsed);
      const failed = await writing;
      if (failed) {
        for (const streamId of plan.appends.keys()) this.customers.delete(streamId);
        await this.redo(failed);
        plan = await this.plan(parsed);
      }
      this.evict(plan);
      writing = this.write(plan);
      // Awaited before the next write; this only keeps a failure from counting as unhandled meanwhile.
      writing.catch(() => undefined);
    };
    try {
      let batch: Line[] = [];
      for await (const line of lines) {
        batch.push(line);
        if (batch.length < batchSize) continue;
        parsing.push({ batch: parser.parse(batch), end: batch[batch.length - 1].end });
        batch = [];
        // Two batches in validation keep the parser busy while this thread decides and writes.
        if (parsing.length > 2) await step();
      }
      if (batch.length) parsing.push({ batch: parser.parse(batch), end: batch[batch.length - 1].end });
      while (parsing.length) await step();
      const failed = await writing;
      if (failed) await this.redo(failed);
    } finally {
      await Promise.allSettled(parsing.map((entry) => entry.batch));
      await parser.close();
    }
    this.report();
    const { seconds, events } = this.progress;
    return {
      importId: this.importId,
      ...this.progress,
      eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : 0,
      rejections: this.rejections.sort((a, b) => a.line - b.line),
    };
  }

  private async plan(lines: ParsedLine[]): Promise<Plan> {
    await this.load(lines);
    const plan: Plan = { appends: new Map(), lines: [], imported: 0, events: 0, duplicates: 0, rejections: [] };
    for (let i = 0; i < lines.length; i++) {
      const parsed = lines[i];
      const streamId = customerStreamId(parsed.command.customerId);
      const customer = this.touch(streamId);
      if (customer.eventIds.has(parsed.eventId)) {
        plan.duplicates++;
        continue;
      }
      let events: CustomerEvent[];
      try {
        // Only a completion needs more than the state (the schedule); other lines decide without waiting.
        const context = parsed.command.type === 'CompleteTouchpoint' ? await this.contextFor(customer) : {};
        events = decide(parsed.command, customer.state, { ...context, currencies: this.options.currencies });
      } catch (error) {
        plan.rejections.push({ line: parsed.line, ...toErrorBody(error) });
        continue;
      }
      plan.lines.push(parsed);
      plan.imported++;
      if (events.length === 0) continue;
      const append = plan.appends.get(streamId) ?? { streamId, events: [], expectedVersion: customer.version };
      plan.appends.set(streamId, append);
      events.forEach((event, n) => {
        const eventId = nthEventId(parsed.eventId, n);
        append.events.push(this.toNew(event, eventId));
        customer.state = evolve(customer.state, event);
        customer.eventIds.add(eventId);
        customer.facts = foldStreamEvent(customer.facts, parsed.command.customerId, { type: event.type, data: event.data as Record<string, unknown>, occurredAt: event.occurredAt, actor: this.metadata.actor.id });
      });
      customer.version += events.length;
      plan.events += events.length;
      if (i % SLICE === SLICE - 1) await yieldToIo();
    }
    return plan;
  }

  /** Null when the plan went in as one transaction; the failure when some line's content made it fail. */
  private async write(plan: Plan): Promise<Failed | null> {
    try {
      if (plan.appends.size) await this.store.appendBatch([...plan.appends.values()]);
    } catch (error) {
      // Anything but a fault of some line (e.g. the database went away) ends the import; re-running it is safe.
      if (error instanceof WrongExpectedVersion || error instanceof DuplicateEventId || error instanceof UnstorableEvent) return { plan, error };
      throw error;
    }
    this.commit(plan);
    return null;
  }

  /** Finds the lines at fault: one line per transaction, each decided against freshly read state. */
  private async redo({ plan, error }: Failed): Promise<void> {
    for (const streamId of plan.appends.keys()) this.customers.delete(streamId);
    // Duplicates and decide rejections stand; the lines that were to be written are tried one by one.
    this.commit({ ...plan, imported: 0, events: 0 });
    if (plan.lines.length === 1) {
      this.rejectLine({ line: plan.lines[0].line, ...toErrorBody(error) });
      return;
    }
    for (const parsed of plan.lines) {
      const failed = await this.write(await this.plan([parsed]));
      if (failed) {
        this.customers.delete(customerStreamId(parsed.command.customerId));
        this.rejectLine({ line: parsed.line, ...toErrorBody(failed.error) });
      }
    }
  }

  private commit(plan: Plan): void {
    this.progress.imported += plan.imported;
    this.progress.events += plan.events;
    this.progress.duplicates += plan.duplicates;
    plan.rejections.forEach((rejection) => this.rejectLine(rejection));
    this.report();
  }

  /** Reads, in one query, the customers this batch needs that are not in memory. */
  private async load(lines: ParsedLine[]): Promise<void> {
    const missing = [...new Set(lines.map((parsed) => customerStreamId(parsed.command.customerId)))].filter((id) => !this.customers.has(id));
    if (!missing.length) return;
    const histories = await this.store.readStreams(missing);
    for (const streamId of missing) {
      const history = histories.get(streamId) ?? [];
      this.customers.set(streamId, {
        state: foldCustomer(history.map((event) => toDomainEvent<CustomerEvent>(event))),
        version: history.length ? history[history.length - 1].streamPosition : 0,
        eventIds: new Set(history.map((event) => event.eventId)),
        facts: touchpointFactsOf(streamId.slice(CUSTOMER_STREAM_PREFIX.length), history.map(streamEventOf)),
      });
    }
  }

  /** A completion is decided against the schedule, from the same events as the state. */
  private async contextFor(customer: Customer): Promise<DecideContext> {
    if (!this.options.touchpoints) throw new Error('this import cannot complete touchpoints: it was started without the touchpoint schedules');
    return { touchpoints: await this.options.touchpoints.of(customer.facts) };
  }

  private touch(streamId: string): Customer {
    const customer = this.customers.get(streamId)!;
    // Map order is insertion order: re-inserting marks it most recently used.
    this.customers.delete(streamId);
    this.customers.set(streamId, customer);
    return customer;
  }

  /** Drops the least recently used customers beyond the limit, never one the pending plan is about to write. */
  private evict(pending: Plan): void {
    const limit = this.options.cachedCustomers ?? 10_000;
    for (const streamId of this.customers.keys()) {
      if (this.customers.size <= limit) break;
      if (!pending.appends.has(streamId)) this.customers.delete(streamId);
    }
  }

  private toNew(event: CustomerEvent, eventId: string): NewEvent {
    return { eventId, type: event.type, data: event.data as Record<string, unknown>, occurredAt: event.occurredAt, metadata: this.metadata };
  }

  private rejectLine(rejection: RejectedLine): void {
    this.progress.rejected++;
    if (this.rejections.length < (this.options.keepRejections ?? 1000)) this.rejections.push(rejection);
    this.options.onRejected?.(rejection);
  }

  private report(): void {
    this.progress.seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    this.options.onProgress?.({ ...this.progress });
  }
}
