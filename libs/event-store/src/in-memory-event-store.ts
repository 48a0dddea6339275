import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import {
  DuplicateEventId,
  WrongExpectedVersion,
  checkExpectedVersion,
  versionConflicts,
  compareCheckpoints,
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
} from './event-store.port';
import { subscribeByPolling } from './subscribe';

const sameContent = (stored: RecordedEvent, streamId: string, event: NewEvent): boolean =>
  stored.streamId === streamId &&
  stored.type === event.type &&
  Date.parse(stored.occurredAt) === Date.parse(event.occurredAt) &&
  JSON.stringify(stored.data) === JSON.stringify(event.data);

/** For unit tests only: one process, no durability. Passes the same contract suite as PostgreSQL. */
export class InMemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly byId = new Map<string, RecordedEvent>();
  private readonly appended = new EventEmitter().setMaxListeners(0);
  /** Each append is one "transaction": events of one append share a transaction id, as in PostgreSQL. */
  private transactionId = 0;

  async append(streamId: string, events: NewEvent[], options: { expectedVersion?: ExpectedVersion } = {}): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    checkExpectedVersion(options.expectedVersion ?? 'any');
    const existing = events.map((event) => this.byId.get(event.eventId));
    if (existing.some(Boolean)) {
      const conflict = events.find((event, i) => !existing[i] || !sameContent(existing[i]!, streamId, event));
      if (conflict) throw new DuplicateEventId(conflict.eventId);
      const stored = existing as RecordedEvent[];
      return {
        version: Math.max(...stored.map((event) => event.streamPosition)),
        position: Math.max(...stored.map((event) => event.globalPosition)),
        written: false,
      };
    }
    const expected = options.expectedVersion ?? 'any';
    const transactionId = ++this.transactionId;
    const version = this.write(streamId, events, expected, transactionId);
    this.appended.emit('appended');
    return { version, position: this.log.length, written: true };
  }

  async appendBatch(appends: StreamAppend[]): Promise<void> {
    appends.forEach(({ expectedVersion }) => checkExpectedVersion(expectedVersion));
    const mark = this.log.length;
    const transactionId = ++this.transactionId;
    try {
      for (const { streamId, events, expectedVersion } of appends) {
        const stored = events.find((event) => this.byId.has(event.eventId));
        if (stored) throw new DuplicateEventId(stored.eventId);
        this.write(streamId, events, expectedVersion, transactionId);
      }
    } catch (error) {
      // All or nothing, like one PostgreSQL transaction.
      for (const event of this.log.splice(mark)) this.byId.delete(event.eventId);
      throw error;
    }
    if (this.log.length > mark) this.appended.emit('appended');
  }

  private write(streamId: string, events: NewEvent[], expected: ExpectedVersion, transactionId: number): number {
    const current = this.log.filter((event) => event.streamId === streamId).length;
    if (versionConflicts(expected, current)) throw new WrongExpectedVersion(streamId, expected, current);
    const recordedAt = new Date().toISOString();
    events.forEach((event, i) => {
      const globalPosition = this.log.length + 1;
      const recorded: RecordedEvent = {
        eventId: event.eventId ?? randomUUID(),
        streamId,
        streamPosition: current + i + 1,
        globalPosition,
        type: event.type,
        schemaVersion: event.metadata.schemaVersion,
        data: structuredClone(event.data),
        metadata: { ...structuredClone(event.metadata), eventId: event.eventId } as RecordedEvent['metadata'],
        occurredAt: new Date(event.occurredAt).toISOString(),
        recordedAt,
        checkpoint: `${transactionId}:${globalPosition}`,
      };
      this.log.push(recorded);
      this.byId.set(recorded.eventId, recorded);
    });
    return current + events.length;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = options.fromPosition ?? 0;
    const to = options.toPosition ?? Number.MAX_SAFE_INTEGER;
    const until = options.occurredUntil ? Date.parse(options.occurredUntil) : Infinity;
    const events = this.log.filter(
      (event) =>
        event.streamId === streamId && event.streamPosition >= from && event.streamPosition <= to && Date.parse(event.occurredAt) <= until,
    );
    if (options.direction === 'backward') events.reverse();
    return events.slice(0, options.limit ?? events.length).map((event) => structuredClone(event));
  }

  async readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>> {
    const wanted = new Set(streamIds);
    const histories = new Map<string, RecordedEvent[]>();
    for (const event of this.log) {
      if (!wanted.has(event.streamId)) continue;
      const history = histories.get(event.streamId) ?? [];
      history.push(structuredClone(event));
      histories.set(event.streamId, history);
    }
    return histories;
  }

  async readAll(after: Checkpoint, limit: number): Promise<ReadAllResult> {
    const events = this.log
      .filter((event) => compareCheckpoints(event.checkpoint, after) > 0)
      .slice(0, limit)
      .map((event) => structuredClone(event));
    return { events, checkpoint: events.length ? events[events.length - 1].checkpoint : after };
  }

  subscribe(after: Checkpoint, options: SubscribeOptions = {}): AsyncIterable<RecordedEvent[]> {
    return subscribeByPolling(
      this,
      after,
      (listener) => {
        this.appended.on('appended', listener);
        return () => this.appended.off('appended', listener);
      },
      options,
    );
  }

  async lag(after: Checkpoint): Promise<{ events: number; oldestRecordedAt: string | null }> {
    const unread = this.log.filter((event) => compareCheckpoints(event.checkpoint, after) > 0);
    return { events: unread.length, oldestRecordedAt: unread[0]?.recordedAt ?? null };
  }

  async checkpointOf(position: number): Promise<Checkpoint | null> {
    return this.log[position - 1]?.checkpoint ?? null;
  }

  async close(): Promise<void> {
    this.appended.removeAllListeners();
  }
}
