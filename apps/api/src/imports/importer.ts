import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import {
  customerStreamId,
  decide,
  evolve,
  initialState,
  type CustomerEvent,
  InvalidInput,
  type CustomerState,
} from '../../../../libs/domain/src';
import { DuplicateEventId, UnstorableEvent, WrongExpectedVersion, fold, type EventMetadata, type EventStore, type NewEvent, type StreamAppend } from '../../../../libs/event-store/src';
import { toErrorBody } from '../http/errors';
import { isRejected, nthEventId, parseLine, type ParsedLine, type RejectedLine } from './import-line';

export interface ImportOptions {
  /** Lines per transaction. */
  batchSize?: number;
  /** Rejections kept for the summary (all are passed to onRejected). */
  keepRejections?: number;
  /** Customers whose state stays in memory between batches; beyond it the least recently used are dropped and re-read. */
  cachedCustomers?: number;
  metadata?: Partial<Omit<EventMetadata, 'eventId' | 'schemaVersion'>>;
  onRejected?: (rejection: RejectedLine) => void;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  linesRead: number;
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

export interface Line {
  line: number;
  text: string;
  /** Set by a reader that could not make a command of this line (too long, not the format): the rule it broke. */
  error?: string;
}

interface Customer {
  state: CustomerState;
  version: number;
  /** Ids of every stored event: a line whose id is among them was imported before. */
  eventIds: Set<string>;
}

type Plan = { appends: Map<string, StreamAppend>; lines: ParsedLine[]; imported: number; events: number };

const SLICE = 250;

/**
 * Streams command lines into the store: validated and decided exactly as the API does, appended in large
 * batches (one transaction each), idempotent through ids derived from the lines. While one batch is being
 * written, the next one is parsed.
 */
export class Importer {
  private readonly customers = new Map<string, Customer>();
  private readonly progress: ImportProgress = { linesRead: 0, imported: 0, rejected: 0, duplicates: 0, events: 0, seconds: 0 };
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
    const batchSize = this.options.batchSize ?? 5000;
    let writing: Promise<void> = Promise.resolve();
    let batch: Line[] = [];
    const flush = async (): Promise<void> => {
      const parsed = await this.parse(batch);
      batch = [];
      await writing;
      const plan = await this.plan(parsed);
      writing = this.write(plan);
      // Awaited before the next plan; this only keeps a failure from counting as unhandled meanwhile.
      writing.catch(() => undefined);
    };
    for await (const line of lines) {
      batch.push(line);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length) await flush();
    await writing;
    this.report();
    const { seconds, events } = this.progress;
    return {
      importId: this.importId,
      ...this.progress,
      eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : 0,
      rejections: this.rejections.sort((a, b) => a.line - b.line),
    };
  }

  /** CPU work in slices, so the batch being written keeps streaming to the database meanwhile. */
  private async parse(lines: Line[]): Promise<ParsedLine[]> {
    const parsed: ParsedLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const { line, text, error } = lines[i];
      const result = error ? { line, ...toErrorBody(new InvalidInput('line', error)) } : parseLine(text, line);
      if (isRejected(result)) this.rejectLine(result);
      else parsed.push(result);
      if (i % SLICE === SLICE - 1) await yieldToIo();
    }
    this.progress.linesRead += lines.length;
    return parsed;
  }

  private async plan(lines: ParsedLine[]): Promise<Plan> {
    await this.load(lines);
    const plan: Plan = { appends: new Map(), lines: [], imported: 0, events: 0 };
    for (const parsed of lines) {
      const streamId = customerStreamId(parsed.command.customerId);
      const customer = this.touch(streamId);
      if (customer.eventIds.has(parsed.eventId)) {
        this.progress.duplicates++;
        continue;
      }
      let events: CustomerEvent[];
      try {
        events = decide(parsed.command, customer.state);
      } catch (error) {
        this.rejectLine({ line: parsed.line, ...toErrorBody(error) });
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
      });
      customer.version += events.length;
      plan.events += events.length;
    }
    return plan;
  }

  private async write(plan: Plan): Promise<void> {
    try {
      if (plan.appends.size) await this.store.appendBatch([...plan.appends.values()]);
    } catch (error) {
      // Anything but a fault of some line (e.g. the database went away) ends the import; re-running it is safe.
      if (!(error instanceof WrongExpectedVersion || error instanceof DuplicateEventId || error instanceof UnstorableEvent)) throw error;
      for (const streamId of plan.appends.keys()) this.customers.delete(streamId);
      if (plan.lines.length > 1) {
        // Find the lines at fault: one line per transaction, each against freshly read state.
        for (const parsed of plan.lines) await this.write(await this.plan([parsed]));
        return;
      }
      if (plan.lines.length === 1) this.rejectLine({ line: plan.lines[0].line, ...toErrorBody(error) });
      return;
    }
    this.progress.imported += plan.imported;
    this.progress.events += plan.events;
    this.report();
    this.evict();
  }

  /** Reads, in one query, the customers this batch needs that are not in memory. */
  private async load(lines: ParsedLine[]): Promise<void> {
    const missing = [...new Set(lines.map((parsed) => customerStreamId(parsed.command.customerId)))].filter((id) => !this.customers.has(id));
    if (!missing.length) return;
    const histories = await this.store.readStreams(missing);
    for (const streamId of missing) {
      const history = histories.get(streamId) ?? [];
      this.customers.set(streamId, {
        state: fold({ evolve, initialState }, history),
        version: history.length ? history[history.length - 1].streamPosition : 0,
        eventIds: new Set(history.map((event) => event.eventId)),
      });
    }
  }

  private touch(streamId: string): Customer {
    const customer = this.customers.get(streamId)!;
    // Map order is insertion order: re-inserting marks it most recently used.
    this.customers.delete(streamId);
    this.customers.set(streamId, customer);
    return customer;
  }

  private evict(): void {
    const limit = this.options.cachedCustomers ?? 100_000;
    for (const streamId of this.customers.keys()) {
      if (this.customers.size <= limit) break;
      this.customers.delete(streamId);
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
