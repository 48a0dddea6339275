import { Pool, type PoolClient } from 'pg';
import { compareCheckpoints, type Checkpoint, type RecordedEvent } from '../../event-store/src';
import { inTransaction, isConnectionFault } from '../../postgres/src';
import { partitionOf } from './partitions';
import type { PartitionCheckpoints, Projection } from './projection';
import type { LogBatch } from './shared-log';

/*
 * A batch of the log into one read model's partitions, exactly once (issue 16): the checkpoint rows are locked, only
 * the events past each partition's checkpoint are applied, and an event the apply refuses stops its own partition.
 * The live projector and a blue/green build both apply this way.
 */

/** The checkpoint rows of a read model's blue/green build are named after it with this suffix. */
export const BUILDING = '@build';

/** Where one partition of a read model stopped: the event its apply refused, and why. */
export interface StoppedAt {
  partition: number;
  position: number;
  eventId: string;
  type: string;
  error: string;
  since: string;
}

/**
 * Errors that say something about the event rather than the database or the code around it: an error thrown by a
 * projection's TypeScript (no SQLSTATE), a value its SQL cannot hold (class 22, data exception), a constraint it
 * breaks (23), an exception its SQL routine raised (P0). Such an event stops its partition of the read model. Any
 * other error (a lost connection, a deadlock, a table or column missing, a permission refused) is retried with
 * backoff, as every batch would fail on it alike.
 */
const EVENT_CODES = /^(22|23|P0)/;
const isRefusal = (error: unknown): boolean => {
  if (isConnectionFault(error)) return false;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? EVENT_CODES.test(code) : true;
};

export interface CheckpointRow {
  partition: number;
  checkpoint: Checkpoint;
  stopped: StoppedAt | null;
}

/** The least advanced checkpoint of the partitions that run; null when every one is stopped. */
export const readingFrom = (rows: readonly CheckpointRow[]): Checkpoint | null =>
  rows.filter((row) => !row.stopped).reduce<Checkpoint | null>((least, row) => (least === null || compareCheckpoints(row.checkpoint, least) < 0 ? row.checkpoint : least), null);

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The checkpoint rows of one read model's partitions, locked for the caller's transaction when it is one. */
export async function rowsOf(client: Pool | PoolClient, name: string, partitions: readonly number[]): Promise<CheckpointRow[]> {
  const { rows } = await client.query<CheckpointRow>(
    `SELECT partition, checkpoint, stopped FROM read_models.projection_checkpoints WHERE name = $1 AND partition = ANY($2) ORDER BY partition${client instanceof Pool ? '' : ' FOR UPDATE'}`,
    [name, partitions],
  );
  if (rows.length === 0) throw new Error(`projection "${name}" has no checkpoint: run migrate first`);
  return rows;
}

/**
 * One batch into one projection inside the caller's transaction, behind a savepoint: when the projection refuses
 * it, the batch is applied again event by event to find the events it refuses; each stops its own partition.
 * Returns where the projection reads next.
 */
export async function applyGuarded(client: PoolClient, projection: Projection, partitions: readonly number[], batch: LogBatch, log: (line: string) => void): Promise<Checkpoint | null> {
  await client.query('SAVEPOINT batch');
  try {
    const next = await applyWithin(client, projection, partitions, batch, false, log);
    await client.query('RELEASE SAVEPOINT batch');
    return next;
  } catch (error) {
    if (!isRefusal(error)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT batch');
    return applyWithin(client, projection, partitions, batch, true, log);
  }
}

/**
 * The same for a caller without a transaction of its own (the live projector, a catch-up): the batch in one
 * transaction, and when the projection refuses it, again event by event in another. Without the savepoint a batch
 * costs two round trips fewer, for every read model.
 */
export async function applyInTransaction(pool: Pool, projection: Projection, partitions: readonly number[], batch: LogBatch, log: (line: string) => void): Promise<Checkpoint | null> {
  try {
    return await inTransaction(pool, (client) => applyWithin(client, projection, partitions, batch, false, log));
  } catch (error) {
    if (!isRefusal(error)) throw error;
    return inTransaction(pool, (client) => applyWithin(client, projection, partitions, batch, true, log));
  }
}

/** The event types a projection handles, as a set (its `handles` is a list). */
const typeSets = new WeakMap<Projection, ReadonlySet<string>>();
function handledTypes(projection: Projection): ReadonlySet<string> {
  let types = typeSets.get(projection);
  if (!types) typeSets.set(projection, (types = new Set(projection.handles)));
  return types;
}

/** Applies the events of the batch past each partition's checkpoint and advances the checkpoints; returns where to read next. */
async function applyWithin(client: PoolClient, projection: Projection, partitions: readonly number[], batch: LogBatch, oneByOne: boolean, log: (line: string) => void): Promise<Checkpoint | null> {
  const started = process.hrtime.bigint();
  const rows = await rowsOf(client, projection.name, partitions);
  // A partition behind the batch (tried again after a stop) reads from its own checkpoint next; one past it has nothing here.
  const serving = new Map(
    rows
      .filter((row) => !row.stopped && compareCheckpoints(row.checkpoint, batch.from) >= 0 && compareCheckpoints(row.checkpoint, batch.to) < 0)
      .map((row) => [row.partition, row]),
  );
  if (serving.size === 0) return readingFrom(rows);
  // Each event's partition (the batch's own when it carries them), in an array beside the events passing. A
  // partition whose checkpoint is where the batch starts (the live case) takes every event of its partition without
  // comparing checkpoints. In a launch every follower of every read model went through 100,000 events; with a Map by
  // event and handles.includes over a list of types that was 0.6 s of the projector thread's CPU.
  const passing: RecordedEvent[] = [];
  const partitionOfPassing: number[] = [];
  const atBatchStart = new Set([...serving.values()].filter((row) => compareCheckpoints(row.checkpoint, batch.from) === 0).map((row) => row.partition));
  const partitionOfEvent = batch.partitions ?? batch.events.map((event) => partitionOf(event.streamId));
  for (let i = 0; i < batch.events.length; i++) {
    const event = batch.events[i];
    const partition = partitionOfEvent[i];
    const row = serving.get(partition);
    if (row === undefined || (!atBatchStart.has(partition) && compareCheckpoints(event.checkpoint, row.checkpoint) <= 0)) continue;
    passing.push(event);
    partitionOfPassing.push(partition);
  }
  // The skip list is read only for a batch with events the read model takes: in a launch, the three read models
  // that take no assignment asked for it some 200 times each.
  const types = handledTypes(projection);
  const handled = passing.filter((event) => types.has(event.type));
  const skipped = await skippedIds(client, projection.name.replace(BUILDING, ''), handled);
  const applying = (event: RecordedEvent): boolean => types.has(event.type) && !skipped.has(event.eventId);
  const stops = new Map<number, { event: RecordedEvent; after: RecordedEvent | null; at: StoppedAt }>();
  if (!oneByOne) {
    const applied = skipped.size ? handled.filter(applying) : handled;
    if (applied.length) await projection.apply(client, applied);
  } else {
    let previous: RecordedEvent | null = null;
    for (const [i, event] of passing.entries()) {
      const partition = partitionOfPassing[i];
      if (!stops.has(partition) && applying(event)) {
        await client.query('SAVEPOINT event');
        try {
          await projection.apply(client, [event]);
          await client.query('RELEASE SAVEPOINT event');
        } catch (error) {
          if (!isRefusal(error)) throw error;
          await client.query('ROLLBACK TO SAVEPOINT event');
          const at = { partition, position: event.globalPosition, eventId: event.eventId, type: event.type, error: messageOf(error), since: new Date().toISOString() };
          stops.set(partition, { event, after: previous, at });
          log(`projection ${projection.name}: stopped partition ${partition} at position ${at.position} (${at.type} ${at.eventId}): ${at.error}`);
        }
      }
      previous = event;
    }
  }
  const last = batch.events[batch.events.length - 1];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Events passed per partition: a stopped partition passed those before the one refused.
  const passedIn = new Map<number, number>();
  for (const [i, event] of passing.entries()) {
    const partition = partitionOfPassing[i];
    const stop = stops.get(partition);
    if (!stop || compareCheckpoints(event.checkpoint, stop.event.checkpoint) < 0) passedIn.set(partition, (passedIn.get(partition) ?? 0) + 1);
  }
  const advanced = [...serving.values()].map((row) => {
    const stop = stops.get(row.partition);
    // A stopped partition keeps the events before the one refused: it reads that one next, when tried again.
    const after = stop ? (stop.after && compareCheckpoints(stop.after.checkpoint, row.checkpoint) > 0 ? stop.after : null) : last;
    const passed = passedIn.get(row.partition) ?? 0;
    return { partition: row.partition, checkpoint: after?.checkpoint ?? row.checkpoint, position: after?.globalPosition ?? null, passed, stopped: stop ? JSON.stringify(stop.at) : null };
  });
  await client.query(
    `UPDATE read_models.projection_checkpoints c
        SET checkpoint = a.checkpoint, position = coalesce(a.position, c.position), events_processed = c.events_processed + a.passed,
            rate = $3, updated_at = now(), last_error = NULL, stopped = a.stopped::jsonb
       FROM unnest($2::int[], $4::text[], $5::bigint[], $6::bigint[], $7::text[]) AS a(partition, checkpoint, position, passed, stopped)
      WHERE c.name = $1 AND c.partition = a.partition`,
    [
      projection.name,
      advanced.map((a) => a.partition),
      passing.length / Math.max(seconds, 1e-6),
      advanced.map((a) => a.checkpoint),
      advanced.map((a) => a.position),
      advanced.map((a) => a.passed),
      advanced.map((a) => a.stopped),
    ],
  );
  const after = new Map(advanced.map((a) => [a.partition, a]));
  return readingFrom(rows.map((row) => ({ ...row, ...(after.has(row.partition) ? { checkpoint: after.get(row.partition)!.checkpoint, stopped: stops.get(row.partition)?.at ?? null } : {}) })));
}

/** The ids among `events` that were skipped for this read model (the skips of one read model are few: all are read). */
async function skippedIds(client: PoolClient, name: string, events: RecordedEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const { rows } = await client.query<{ event_id: string }>({ name: 'projector_skipped_events', text: 'SELECT event_id FROM projector.skipped_events WHERE projection = $1', values: [name] });
  return new Set(rows.map((row) => row.event_id));
}

/** Work on a read model's facts (RecordedWork) finds the read model not built yet (empty, rebuilding from the log). */
export class FactsNotReady extends Error {}

const notBuilt = (projection: Projection): FactsNotReady => new FactsNotReady(`${projection.name} is being rebuilt from the log; this waits until it is switched in`);

/** Throws FactsNotReady while the read model's tables are not yet built to the code's version (empty, rebuilding from the log). */
export async function assertBuilt(db: Pool | PoolClient, projection: Projection): Promise<void> {
  const { rows } = await db.query<{ version: number | null }>('SELECT min(version) AS version FROM read_models.projection_checkpoints WHERE name = $1', [projection.name]);
  if (rows[0].version === null || rows[0].version < projection.version) throw notBuilt(projection);
}

/**
 * Where each partition of the read model stands, in the caller's snapshot: with REPEATABLE READ, the facts that
 * snapshot reads hold exactly the events of each partition up to its checkpoint, the point at which a rebuild redoes
 * the caller's work (RecordedWork). Throws FactsNotReady while the read model is not built to the code's version.
 */
export async function partitionCheckpoints(client: PoolClient, projection: Projection): Promise<PartitionCheckpoints> {
  const { rows } = await client.query<{ partition: number; checkpoint: Checkpoint; version: number }>(
    'SELECT partition, checkpoint, version FROM read_models.projection_checkpoints WHERE name = $1 ORDER BY partition',
    [projection.name],
  );
  if (rows.length === 0 || rows.some((row) => row.version < projection.version)) throw notBuilt(projection);
  return Object.fromEntries(rows.map((row) => [row.partition, row.checkpoint]));
}
