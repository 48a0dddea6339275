import {
  ANY,
  END,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  jsonEvent,
  type AppendExpectedRevision,
  type CurrentRevision,
  type JSONEventData,
  type Position,
  type ReadPosition,
  type ReadRevision,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import {
  START as START_CHECKPOINT,
  UnstorableEvent,
  compareCheckpoints,
  parseCheckpoint,
  type Checkpoint,
  type EventMetadata,
  type ExpectedVersion,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../event-store.port';

/**
 * Pure translations between the port and EventStoreDB. Our versions count events (empty stream = 0); EventStoreDB
 * revisions number them from 0, so version n is revision n - 1 and revision r is version r + 1.
 */

/** What goes into an EventStoreDB event's metadata JSON besides the port's metadata. */
interface StoredMetadata extends Omit<EventMetadata, 'eventId'> {
  occurredAt: string;
  /** Random per append call: tells a fresh write from one the server skipped as an idempotent retry. */
  appendId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** 2^64 - 1: what servers older than 22.6 send for "no position" on a stream read. */
const NO_POSITION = 18446744073709551615n;

export const toExpectedRevision = (expected: ExpectedVersion): AppendExpectedRevision => {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream' || expected === 0) return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return BigInt(expected - 1);
};

/** The stream version a WrongExpectedVersionError reports: 0 for no stream. */
export const versionOf = (current: CurrentRevision): number => (current === NO_STREAM ? 0 : Number(current) + 1);

export const toCheckpoint = (position: Position): Checkpoint => `${position.commit}:${position.prepare}`;

/** START reads from the beginning; any other checkpoint reads from that event (inclusive: callers skip it). */
export const toReadPosition = (checkpoint: Checkpoint): ReadPosition => {
  if (compareCheckpoints(checkpoint, START_CHECKPOINT) === 0) return START;
  const { transactionId: commit, position: prepare } = parseCheckpoint(checkpoint);
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
};

export const isAfter = (event: RecordedEvent, checkpoint: Checkpoint): boolean => compareCheckpoints(event.checkpoint, checkpoint) > 0;

/** This app's events: a stream with one of our prefixes, never a system stream or a system ($-typed) event. */
export const isAppEvent = (event: { streamId: string; type: string }, streamPrefixes: readonly string[]): boolean =>
  !event.streamId.startsWith('$') && !event.type.startsWith('$') && streamPrefixes.some((prefix) => event.streamId.startsWith(prefix));

export const toEventData = (event: NewEvent, appendId: string): JSONEventData => {
  if (!UUID.test(event.eventId)) throw new UnstorableEvent(`event id "${event.eventId}" is not a UUID (EventStoreDB event ids are UUIDs)`);
  const occurredAt = new Date(event.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) throw new UnstorableEvent(`occurredAt "${event.occurredAt}" is not an instant`);
  const metadata: StoredMetadata = { ...event.metadata, occurredAt: occurredAt.toISOString(), appendId };
  return jsonEvent({ id: event.eventId, type: event.type, data: event.data, metadata });
};

const storedMetadata = (event: EsdbRecordedEvent): StoredMetadata => {
  const metadata = event.metadata as Partial<StoredMetadata> | undefined;
  const json = event.isJson && typeof event.data === 'object' && event.data !== null && !Array.isArray(event.data);
  if (!json || typeof metadata !== 'object' || metadata === null || typeof metadata.occurredAt !== 'string' || typeof metadata.schemaVersion !== 'number') {
    throw new Error(`event ${event.id} in ${event.streamId} (revision ${event.revision}) was not written by this engine: no JSON data or no metadata`);
  }
  return metadata as StoredMetadata;
};

/** The id of the append call that wrote this event (undefined for events written by another program). */
export const appendIdOf = (event: EsdbRecordedEvent): string | undefined => (event.metadata as Partial<StoredMetadata> | undefined)?.appendId;

export const positionOf = (event: EsdbRecordedEvent): Position => {
  const position = event.position;
  if (!position || position.commit === NO_POSITION || (position.commit === 0n && position.prepare === 0n)) {
    throw new Error(`event ${event.id} in ${event.streamId} came without a log position: EventStoreDB 22.6 or later is needed`);
  }
  return position;
};

export const toRecordedEvent = (event: EsdbRecordedEvent): RecordedEvent => {
  const { occurredAt, appendId: _appendId, ...metadata } = storedMetadata(event);
  const position = positionOf(event);
  return {
    eventId: event.id,
    streamId: event.streamId,
    streamPosition: Number(event.revision) + 1,
    globalPosition: Number(position.commit),
    type: event.type,
    schemaVersion: metadata.schemaVersion,
    data: event.data as Record<string, unknown>,
    metadata: { ...metadata, eventId: event.id },
    occurredAt: new Date(occurredAt).toISOString(),
    recordedAt: event.created.toISOString(),
    checkpoint: toCheckpoint(position),
  };
};

/** What "the same event" means for an idempotent retry: same stream, type, occurredAt and data, as in PostgreSQL. */
export const sameContent = (stored: RecordedEvent, streamId: string, event: NewEvent): boolean =>
  stored.streamId === streamId &&
  stored.type === event.type &&
  Date.parse(stored.occurredAt) === Date.parse(event.occurredAt) &&
  JSON.stringify(stored.data) === JSON.stringify(event.data);

export interface StreamReadPlan {
  direction: 'forwards' | 'backwards';
  fromRevision: ReadRevision;
  /** Undefined: read until `stop` says so (occurredUntil is filtered here, so the server cannot count for us). */
  maxCount?: number;
  /** Inclusive stream-position bounds, checked on each event: reading stops at the first one outside. */
  from: number;
  to: number;
  occurredUntil: number;
  limit: number;
}

/**
 * How to serve ReadStreamOptions with one EventStoreDB read. Backward reads start at the end and skip down to
 * `toPosition` (a revision past the end is not a valid start on every server version).
 */
export const planStreamRead = (options: ReadStreamOptions = {}): StreamReadPlan | null => {
  const from = Math.max(options.fromPosition ?? 1, 1);
  const to = options.toPosition ?? Number.MAX_SAFE_INTEGER;
  const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
  if (from > to || limit <= 0) return null;
  const occurredUntil = options.occurredUntil ? Date.parse(options.occurredUntil) : Number.POSITIVE_INFINITY;
  const filtered = options.occurredUntil !== undefined;
  if (options.direction === 'backward') {
    const bounded = options.toPosition !== undefined;
    return { direction: 'backwards', fromRevision: END, maxCount: filtered || bounded ? undefined : limit, from, to, occurredUntil, limit };
  }
  const span = to === Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : to - from + 1;
  return {
    direction: 'forwards',
    fromRevision: from === 1 ? START : BigInt(from - 1),
    maxCount: filtered ? (span === Number.MAX_SAFE_INTEGER ? undefined : span) : Math.min(limit, span),
    from,
    to,
    occurredUntil,
    limit,
  };
};

/** Whether an event read under `plan` is past the range (stop reading) or outside the occurredUntil filter (skip it). */
export const placeInPlan = (plan: StreamReadPlan, event: RecordedEvent): 'take' | 'skip' | 'stop' => {
  const beyond = plan.direction === 'forwards' ? event.streamPosition > plan.to : event.streamPosition < plan.from;
  if (beyond) return 'stop';
  if (plan.direction === 'backwards' && event.streamPosition > plan.to) return 'skip';
  return Date.parse(event.occurredAt) <= plan.occurredUntil ? 'take' : 'skip';
};
