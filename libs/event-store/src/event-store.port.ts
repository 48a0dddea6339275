/**
 * The event store port (DESIGN section 4). Every adapter passes one contract suite
 * (test/contract/event-store.contract.ts).
 */

/** Where a writer expects the stream to be. Stream versions count events: an empty stream is at 0. */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

export interface EventMetadata {
  eventId: string;
  correlationId: string;
  causationId: string;
  actor: { id: string; role: string };
  source: 'api' | 'import' | 'system' | string;
  schemaVersion: number;
  /** On the events of a command sent with an idempotency key (idempotency.ts). */
  idempotency?: Idempotency;
}

/** What a keyed command records in its events' metadata: they are the record of the key, for as long as they are kept. */
export interface Idempotency {
  /** The caller's key (HTTP Idempotency-Key); scoped to metadata.actor.id, so two callers never share one. */
  key: string;
  /** Tells a retry (the same request) from a reuse of the key for another request. */
  requestHash: string;
}

export interface NewEvent {
  /** Unique idempotency key: re-appending the same id with the same content is a no-op success. */
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Omit<EventMetadata, 'eventId'>;
  /** ISO 8601 instant the event happened in the world. */
  occurredAt: string;
}

export interface RecordedEvent {
  eventId: string;
  streamId: string;
  /** 1-based position inside the stream; after it is appended, the stream's version equals it. */
  streamPosition: number;
  /** Global position: unique, increasing in insert order, but not necessarily in commit order. */
  globalPosition: number;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  occurredAt: string;
  recordedAt: string;
  /** Opaque: pass it to readAll/subscribe to continue right after this event. */
  checkpoint: Checkpoint;
}

/**
 * Opaque position in the global log. For PostgreSQL it is "<transaction id>:<global position>":
 * readers go in commit-safe order, never by global position alone.
 */
export type Checkpoint = string;
export const START: Checkpoint = '0:0';

export interface AppendResult {
  /** The stream's version after the append (the stream position of its last event). */
  version: number;
  /** Global position of the last event written (or already stored, for an idempotent retry). */
  position: number;
  /** False when every event was already stored: an idempotent retry wrote nothing. */
  written: boolean;
}

export interface ReadStreamOptions {
  direction?: 'forward' | 'backward';
  /** Inclusive stream position bounds. */
  fromPosition?: number;
  toPosition?: number;
  /** Only events that occurred at or before this instant (ISO 8601). */
  occurredUntil?: string;
  limit?: number;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /** Where to continue; equals the input when nothing new was read. */
  checkpoint: Checkpoint;
}

export interface SubscribeOptions {
  batchSize?: number;
  /** Fallback polling interval when no notification arrives (ms). */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/** One stream's part of a batch append. */
export interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
}

export interface EventStore {
  append(streamId: string, events: NewEvent[], options?: { expectedVersion?: ExpectedVersion }): Promise<AppendResult>;
  /**
   * Bulk import's write path: many streams at once. PostgreSQL and in-memory write all or nothing in one
   * transaction; EventStoreDB has no multi-stream transaction and appends stream by stream in order, stopping
   * at the first failure. Fails like append (WrongExpectedVersion, DuplicateEventId); an event id that is
   * already stored is an error here, not a no-op: the caller filters out what it has read.
   */
  appendBatch(appends: StreamAppend[]): Promise<void>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Whole histories of several streams in one go; streams without events are absent from the map. */
  readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>>;
  readAll(after: Checkpoint, limit: number): Promise<ReadAllResult>;
  /** Catch-up from `after`, then live: yields non-empty batches in commit-safe order until the signal aborts. */
  subscribe(after: Checkpoint, options?: SubscribeOptions): AsyncIterable<RecordedEvent[]>;
  /** How far a reader at `after` is behind: unread events and when the oldest of them was recorded. */
  lag(after: Checkpoint): Promise<{ events: number; oldestRecordedAt: string | null }>;
  /** The checkpoint just after the event at this global position (null when there is none). */
  checkpointOf(position: number): Promise<Checkpoint | null>;
  close(): Promise<void>;
}

export class WrongExpectedVersion extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, actual ${actual === 0 ? 'no stream' : actual}`);
  }
}

export class DuplicateEventId extends Error {
  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already stored with other content`);
  }
}

/** Content the database cannot store (e.g. a NUL character in text); nothing was written. */
export class UnstorableEvent extends Error {}

/** Refuses anything but a non-negative safe integer or one of the three keywords, identically in every adapter. */
export const checkExpectedVersion = (expected: ExpectedVersion): void => {
  const valid = typeof expected === 'number' ? Number.isSafeInteger(expected) && expected >= 0 : ['any', 'no_stream', 'stream_exists'].includes(expected);
  if (!valid) throw new RangeError(`expected version must be a non-negative integer, 'any', 'no_stream' or 'stream_exists'; got ${String(expected)}`);
};

/** Whether a stream at version `current` fails the expectation: the one rule every adapter applies on its side. */
export const versionConflicts = (expected: ExpectedVersion, current: number): boolean =>
  (expected === 'no_stream' && current !== 0) || (expected === 'stream_exists' && current === 0) || (typeof expected === 'number' && current !== expected);

/** Where a decimal number's digits start past its leading zeros (the last digit at least). */
const significant = (s: string, from: number, to: number): number => {
  while (from < to - 1 && s.charCodeAt(from) === 48) from++;
  return from;
};

/** Two decimal numbers compared by their number of significant digits, then digit by digit. */
const compareDigits = (a: string, aStart: number, aTo: number, b: string, bStart: number, bTo: number): number => {
  const aFrom = significant(a, aStart, aTo);
  const bFrom = significant(b, bStart, bTo);
  if (aTo - aFrom !== bTo - bFrom) return aTo - aFrom < bTo - bFrom ? -1 : 1;
  for (let i = 0; i < aTo - aFrom; i++) {
    const d = a.charCodeAt(aFrom + i) - b.charCodeAt(bFrom + i);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
};

/**
 * Orders two checkpoints: by transaction id, then by position. Without splitting or BigInts: the projector compares
 * every event of a batch with each partition's checkpoint (0.3 s of a 50,000-customer launch's 10 s of CPU).
 */
export const compareCheckpoints = (a: Checkpoint, b: Checkpoint): number => {
  const i = a.indexOf(':');
  const j = b.indexOf(':');
  return compareDigits(a, 0, i, b, 0, j) || compareDigits(a, i + 1, a.length, b, j + 1, b.length);
};

export const parseCheckpoint = (checkpoint: Checkpoint): { transactionId: string; position: string } => {
  const match = /^(\d+):(\d+)$/.exec(checkpoint);
  if (!match) throw new Error(`invalid checkpoint "${checkpoint}"`);
  return { transactionId: match[1], position: match[2] };
};
