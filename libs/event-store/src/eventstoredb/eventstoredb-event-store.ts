import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AppendResult as EsdbAppendResult,
  type ReadRevision,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import {
  DuplicateEventId,
  UnstorableEvent,
  WrongExpectedVersion,
  checkExpectedVersion,
  type AppendResult,
  type Checkpoint,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
  versionConflicts,
} from '../event-store.port';
import { catchUp } from './catch-up-subscription';
import {
  appendIdOf,
  isAfter,
  isAppEvent,
  placeInPlan,
  planStreamRead,
  positionOf,
  sameContent,
  toEventData,
  toExpectedRevision,
  toReadPosition,
  toRecordedEvent,
  versionOf,
} from './eventstoredb-mapping';

export interface EventStoreDbOptions {
  /** esdb://host:2113?tls=false, esdb+discover://user:pass@cluster.dns:2113, esdb://h1:2113,h2:2113,h3:2113 */
  connectionString: string;
  /** Stream-name prefixes of this app's streams: $all is filtered to them (server-side for subscriptions). */
  streamPrefixes: string[];
  log?: (line: string) => void;
}

/** lag() counts unread events by reading them; past this many it reports this many (a lower bound). */
const LAG_SCAN_LIMIT = 100_000;
const READ_STREAMS_CONCURRENCY = 8;

/** Reads to the end, or stops early and cancels the server-side read (leaving the loop alone does not). */
async function* drain<T>(read: StreamingRead<T>): AsyncGenerator<T> {
  let complete = false;
  try {
    for await (const item of read) yield item;
    complete = true;
  } finally {
    if (!complete) await read.cancel().catch(() => undefined);
  }
}

/**
 * The event-store port over EventStoreDB / KurrentDB (DESIGN section 4). One stream per customer, expected
 * versions as expected revisions, the global checkpoint as the commit/prepare position of $all filtered to
 * this app's stream prefixes. EventStoreDB has no multi-stream transaction: appendBatch goes stream by stream.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly prefixes: string[];
  private readonly log: (line: string) => void;
  private closed = false;

  constructor({ connectionString, streamPrefixes, log }: EventStoreDbOptions) {
    if (!streamPrefixes.length) throw new Error('EventStoreDbEventStore needs at least one stream prefix');
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.prefixes = [...streamPrefixes];
    this.log = log ?? (() => undefined);
  }

  /** Fails unless the server answers and lets this user read $all (what projections need). */
  async ping(): Promise<void> {
    for await (const _ of drain(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }))) break;
  }

  /**
   * Event ids go through as EventStoreDB event ids, so the server itself skips a retried append. It does not say
   * whether it skipped one, so each event carries the id of its append call and the last one is read back: a
   * foreign append id means the events were already stored, and they must then match in content.
   */
  async append(streamId: string, events: NewEvent[], options: { expectedVersion?: ExpectedVersion } = {}): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const expected = options.expectedVersion ?? 'any';
    checkExpectedVersion(expected);
    const appendId = randomUUID();
    const data = events.map((event) => toEventData(event, appendId));
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(streamId, data, { expectedRevision: toExpectedRevision(expected) });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        // With 'any' the server only refuses a retry that matches part of an earlier append's ids.
        if (expected === 'any') throw new DuplicateEventId(events[0].eventId);
        throw new WrongExpectedVersion(streamId, expected, versionOf(error.actualVersion));
      }
      if (error instanceof MaxAppendSizeExceededError) throw new UnstorableEvent(`events cannot be stored: ${error.message}`, { cause: error });
      throw error;
    }
    const last = result.nextExpectedRevision;
    const [newest] = await this.readRevisions(streamId, last, BACKWARDS, 1);
    if (newest && appendIdOf(newest) === appendId) return { version: Number(last) + 1, position: Number(positionOf(newest).commit), written: true };
    const stored = (await this.readRevisions(streamId, last - BigInt(events.length - 1), FORWARDS, events.length)).map(toRecordedEvent);
    const byId = new Map(stored.map((event) => [event.eventId.toLowerCase(), event]));
    const changed = events.find((event) => {
      const earlier = byId.get(event.eventId.toLowerCase());
      return !earlier || !sameContent(earlier, streamId, event);
    });
    if (changed) throw new DuplicateEventId(changed.eventId);
    return { version: Number(last) + 1, position: stored[stored.length - 1].globalPosition, written: false };
  }

  /**
   * Stream by stream, in order, stopping at the first failure: the streams before it stay written. Each stream is
   * read first: the server compares event ids only for a retry at an older expected version (or, best effort,
   * with 'any'), and here an id already stored in the stream must fail even at the current version.
   */
  async appendBatch(appends: StreamAppend[]): Promise<void> {
    appends.forEach(({ expectedVersion }) => checkExpectedVersion(expectedVersion));
    for (const { streamId, events, expectedVersion } of appends) {
      const history = await this.readStream(streamId);
      const current = history.length ? history[history.length - 1].streamPosition : 0;
      if (versionConflicts(expectedVersion, current)) throw new WrongExpectedVersion(streamId, expectedVersion, current);
      const storedIds = new Set(history.map((event) => event.eventId.toLowerCase()));
      const stored = events.find((event) => storedIds.has(event.eventId.toLowerCase()));
      if (stored) throw new DuplicateEventId(stored.eventId);
      if (events.length === 0) continue;
      // The expected version goes along, so a writer that slipped in since the read still loses.
      const { written } = await this.append(streamId, events, { expectedVersion });
      if (!written) throw new DuplicateEventId(events[0].eventId);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const plan = planStreamRead(options);
    if (!plan) return [];
    const read = this.client.readStream(streamId, { direction: plan.direction, fromRevision: plan.fromRevision, maxCount: plan.maxCount });
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of drain(read)) {
        if (!resolved.event) continue;
        const event = toRecordedEvent(resolved.event);
        const place = placeInPlan(plan, event);
        if (place === 'stop') break;
        if (place === 'skip') continue;
        events.push(event);
        if (events.length >= plan.limit) break;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>> {
    const queue = [...new Set(streamIds)];
    const histories = new Map<string, RecordedEvent[]>();
    const worker = async (): Promise<void> => {
      for (let streamId = queue.shift(); streamId !== undefined; streamId = queue.shift()) {
        const events = await this.readStream(streamId);
        if (events.length) histories.set(streamId, events);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_STREAMS_CONCURRENCY, queue.length) }, worker));
    return new Map(streamIds.filter((id) => histories.has(id)).map((id) => [id, histories.get(id)!]));
  }

  async readAll(after: Checkpoint, limit: number): Promise<ReadAllResult> {
    const events: RecordedEvent[] = [];
    if (limit > 0) {
      for await (const event of this.scanAll(after)) {
        events.push(event);
        if (events.length >= limit) break;
      }
    }
    return { events, checkpoint: events.length ? events[events.length - 1].checkpoint : after };
  }

  subscribe(after: Checkpoint, options: SubscribeOptions = {}): AsyncIterable<RecordedEvent[]> {
    return catchUp(after, {
      batchSize: Math.max(1, options.batchSize ?? 1000),
      signal: options.signal,
      // checkpointReached is left unset on purpose: only delivered events move the resume position.
      open: (fromPosition, highWaterMark) =>
        this.client.subscribeToAll({ fromPosition, filter: streamNameFilter({ prefixes: this.prefixes }) }, { highWaterMark }),
      toEvents: (resolved) => this.appEvents(resolved),
      isClosed: () => this.closed,
      log: this.log,
    });
  }

  async lag(after: Checkpoint): Promise<{ events: number; oldestRecordedAt: string | null }> {
    let events = 0;
    let oldestRecordedAt: string | null = null;
    for await (const event of this.scanAll(after)) {
      if (!oldestRecordedAt || event.recordedAt < oldestRecordedAt) oldestRecordedAt = event.recordedAt;
      if (++events >= LAG_SCAN_LIMIT) break;
    }
    return { events, oldestRecordedAt };
  }

  async checkpointOf(position: number): Promise<Checkpoint | null> {
    if (!Number.isSafeInteger(position) || position <= 0) return null;
    const at = BigInt(position);
    for await (const resolved of drain(this.client.readAll({ fromPosition: { commit: at, prepare: at }, maxCount: 1 }))) {
      const event = resolved.event;
      if (event && event.position.commit === at) return `${event.position.commit}:${event.position.prepare}`;
    }
    return null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.dispose();
  }

  private async readRevisions(streamId: string, from: bigint, direction: typeof FORWARDS | typeof BACKWARDS, maxCount: number) {
    const fromRevision: ReadRevision = from < 0n ? 0n : from;
    const events = [];
    for await (const resolved of drain(this.client.readStream(streamId, { fromRevision, direction, maxCount, requiresLeader: true }))) {
      if (resolved.event) events.push(resolved.event);
    }
    return events;
  }

  /**
   * This app's events after `after`, in $all order. The 6.2.1 client cannot filter a read of $all on the server
   * (only subscriptions), so the filter runs here; one read streams the rest of the log with backpressure.
   */
  private async *scanAll(after: Checkpoint): AsyncGenerator<RecordedEvent> {
    // Reading from a position includes the event at it; the position is one we handed out, so skip it.
    for await (const resolved of drain(this.client.readAll({ fromPosition: toReadPosition(after) }))) {
      const [event] = this.appEvents([resolved]);
      if (event && isAfter(event, after)) yield event;
    }
  }

  private appEvents(resolved: Array<AllStreamResolvedEvent | ResolvedEvent>): RecordedEvent[] {
    return resolved.flatMap(({ event }) => (event && isAppEvent(event, this.prefixes) ? [toRecordedEvent(event)] : []));
  }
}
