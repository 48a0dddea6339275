import { Pool, type PoolClient } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { START, compareCheckpoints, type Checkpoint, type EventStore, type RecordedEvent } from '../../event-store/src';
import { inTransaction, installRoutines, isConnectionFault, migrate, readRoutines, withClient, type DatabaseAvailability } from '../../postgres/src';
import { LEASE_MIGRATIONS, PartitionLeases, type LeaseOptions } from './partition-leases';
import { ALL_PARTITIONS, PARTITIONS, partitionOf } from './partitions';
import type { Projection } from './projection';
import { retargeted } from './retargeted';
import { SharedLog, type LogBatch } from './shared-log';

/** The checkpoint rows of a read model's blue/green build are named after it with this suffix. */
export const BUILDING = '@build';

/** How far a rebuild is: events applied, still to apply, and its rate. */
export interface BuildProgress {
  processed: number;
  lagEvents: number;
  rate: number;
}

/** Another rebuild of the same read model holds its lock. */
export class RebuildRunning extends Error {}

/** Where one partition of a read model stopped: the event its apply refused, and why. */
export interface StoppedAt {
  partition: number;
  position: number;
  eventId: string;
  type: string;
  error: string;
  since: string;
}

export interface ProjectionStatus {
  name: string;
  version: number;
  /** running; stopped at an event in one or more partitions (the others go on); or rebuilding beside the tables that serve. */
  state: 'running' | 'stopped' | 'rebuilding';
  /** The least advanced partition's checkpoint. */
  checkpoint: Checkpoint;
  /** Global position of the last event the least advanced partition has passed. */
  position: number;
  lagEvents: number;
  lagSeconds: number;
  /** Events per second over the last batch. */
  rate: number;
  eventsProcessed: number;
  updatedAt: string | null;
  lastError: string | null;
  stopped: StoppedAt[];
  partitions: number;
  /** The blue/green build in progress (npm run projections -- rebuild, or a new version), or null. */
  rebuilding: { version: number; eventsProcessed: number; lagEvents: number; percent: number; rate: number; stopped: StoppedAt[] } | null;
}

export interface ProjectorOptions {
  batchSize?: number;
  pollIntervalMs?: number;
  log?: (line: string) => void;
  /** With it, a lost database is waited out (logged there once) instead of logged and retried per projection. */
  availability?: Pick<DatabaseAvailability, 'failed' | 'up'>;
  leases?: Omit<LeaseOptions, 'log'>;
}

const CHECKPOINT_MIGRATIONS = [
  {
    version: 1,
    name: 'projection checkpoints',
    sql: `
CREATE SCHEMA IF NOT EXISTS read_models;
CREATE TABLE read_models.projection_checkpoints (
  name             text PRIMARY KEY,
  version          int NOT NULL,
  checkpoint       text NOT NULL,
  position         bigint NOT NULL DEFAULT 0,
  events_processed bigint NOT NULL DEFAULT 0,
  rate             double precision NOT NULL DEFAULT 0,
  updated_at       timestamptz,
  last_error       text
);`,
  },
  {
    version: 2,
    name: 'one checkpoint per partition, and where a partition stopped',
    sql: `
ALTER TABLE read_models.projection_checkpoints ADD COLUMN partition int NOT NULL DEFAULT 0, ADD COLUMN stopped jsonb;
ALTER TABLE read_models.projection_checkpoints DROP CONSTRAINT projection_checkpoints_pkey;
ALTER TABLE read_models.projection_checkpoints ADD PRIMARY KEY (name, partition);`,
  },
];

/**
 * Outside read_models: a rebuild, or dropping the schema, keeps the record of what was skipped, by whom and why; and
 * the partition leases of the projector processes.
 */
const PROJECTOR_MIGRATIONS = [
  {
    version: 1,
    name: 'skipped events',
    sql: `
CREATE SCHEMA IF NOT EXISTS projector;
CREATE TABLE IF NOT EXISTS projector.skipped_events (
  projection  text NOT NULL,
  event_id    text NOT NULL,
  position    bigint NOT NULL,
  event_type  text NOT NULL,
  error       text NOT NULL,
  reason      text NOT NULL,
  skipped_by  text NOT NULL,
  skipped_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, event_id)
);`,
  },
  ...LEASE_MIGRATIONS,
];

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

/** How often a rebuild's progress counts the events still to apply (a count reads the rest of the log). */
const PROGRESS_LAG_MS = 5_000;

/** How long a projection waiting at the head, or with every partition stopped, goes before it looks at its rows again (a retry). */
const RECHECK_MS = 2_000;

interface CheckpointRow {
  partition: number;
  checkpoint: Checkpoint;
  stopped: StoppedAt | null;
}

/** The least advanced checkpoint of the partitions that run; null when every one is stopped. */
const readingFrom = (rows: readonly CheckpointRow[]): Checkpoint | null =>
  rows.filter((row) => !row.stopped).reduce<Checkpoint | null>((least, row) => (least === null || compareCheckpoints(row.checkpoint, least) < 0 ? row.checkpoint : least), null);

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs projections from the global log into PostgreSQL read models (DESIGN section 5, issue 16). The log is read
 * once per batch for every projection (SharedLog); each projection keeps one checkpoint per partition of customers
 * and applies a batch in its own transaction, which locks its checkpoint rows and takes only the events past each
 * one, so every event takes effect exactly once whatever crashes or which process applied it first, and a slow or
 * failing projection never holds the others. An event a projection's apply refuses stops that partition of that
 * read model, named in its status, until `retry` or `skip`; the others go on.
 */
export class Projector {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly log: (line: string) => void;
  private readonly availability?: ProjectorOptions['availability'];
  /** This process's share of the partitions while `run` runs (issue 16). */
  readonly leases: PartitionLeases;
  /** Read models whose stored version is older than the code's: not applied to until their rebuild switches in. */
  private readonly outdated = new Set<string>();

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    options: ProjectorOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.log = options.log ?? (() => undefined);
    this.availability = options.availability;
    this.leases = new PartitionLeases(pool, { log: this.log, ...options.leases });
  }

  async migrate(): Promise<void> {
    await migrate(this.pool, 'projection_checkpoints', CHECKPOINT_MIGRATIONS);
    await migrate(this.pool, 'projector', PROJECTOR_MIGRATIONS);
    for (const projection of this.projections) {
      const { rows } = await this.pool.query<{ version: number | null }>('SELECT min(version) AS version FROM read_models.projection_checkpoints WHERE name = $1', [
        projection.name,
      ]);
      const stored = rows[0].version;
      if (stored !== null && stored < projection.version) {
        // A new version: built from the log beside the old tables, which keep serving as they are until the switch.
        this.outdated.add(projection.name);
        this.log(`projection ${projection.name}: version ${projection.version} replaces ${stored}: it is rebuilt in the background, and version ${stored} serves until then`);
        continue;
      }
      await migrate(this.pool, `projection:${projection.name}`, projection.migrations, projection.routines);
      // A checkpoint per partition; a read model kept before partitions goes on from where its one checkpoint was.
      await this.pool.query(
        `INSERT INTO read_models.projection_checkpoints (name, version, checkpoint, position, partition)
         SELECT $1, $2, coalesce(kept.checkpoint, $3), coalesce(kept.position, 0), p
           FROM generate_series(0, $4::int - 1) p
           LEFT JOIN read_models.projection_checkpoints kept ON kept.name = $1 AND kept.partition = 0
         ON CONFLICT (name, partition) DO NOTHING`,
        [projection.name, projection.version, START, PARTITIONS],
      );
    }
  }

  projection(name: string): Projection {
    const projection = this.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`unknown projection "${name}"; known: ${this.projections.map((p) => p.name).join(', ')}`);
    return projection;
  }

  /**
   * Follows the log live, in the partitions this process holds leases on, until the signal aborts, then gives the
   * leases back; a failed batch is rolled back, logged and retried (a lost database is waited out).
   */
  async run(signal: AbortSignal): Promise<void> {
    const log = new SharedLog(this.store, signal, { batchSize: this.batchSize, pollIntervalMs: this.pollIntervalMs });
    const following = new AbortController();
    const stop = (): void => following.abort();
    signal.addEventListener('abort', stop, { once: true });
    // The first heartbeat before the read models start, so they start on this process's share at once.
    await this.leases.heartbeat().catch(() => undefined);
    const leasing = this.leases.run(following.signal, this.availability);
    try {
      await Promise.all([...this.projections.map((projection) => this.follow(projection, log, following.signal)), this.upgrade(following.signal)]);
    } finally {
      signal.removeEventListener('abort', stop);
      following.abort();
      log.close();
      await leasing;
    }
  }

  /** Applies everything committed so far; returns the number of events passed. */
  async catchUp(name: string, onProgress?: (processed: number, checkpoint: Checkpoint) => void): Promise<number> {
    const projection = this.projection(name);
    let from = readingFrom(await this.rowsOf(this.pool, name, ALL_PARTITIONS));
    let processed = 0;
    while (from !== null) {
      const batch = { from, ...(await this.store.readAll(from, this.batchSize)) };
      if (batch.events.length === 0) break;
      const read = { to: batch.checkpoint, ...batch };
      from = await inTransaction(this.pool, (client) => this.applyGuarded(client, projection, ALL_PARTITIONS, read));
      processed += read.events.length;
      onProgress?.(processed, read.to);
    }
    return processed;
  }

  /**
   * Blue/green (issue 16): builds the projection's current version from the whole log into tables of its own, in a
   * schema beside read_models (`read_models_build_<name>`), in batches of their own short transactions, so no long
   * transaction holds the log's read fence. The tables that serve stay as they are (and a live projector keeps
   * them up to date) until the build has caught up; then one transaction applies the last events, drops the old
   * tables, moves the new ones into read_models and takes over the checkpoints: a query sees the old read model or
   * the new one, never a half-built one. Skipped events stay skipped. One rebuild of a read model at a time (an
   * advisory lock); a build interrupted (Ctrl-C, a crash) starts again from the start next time.
   */
  async rebuild(name: string, onProgress?: (progress: BuildProgress) => void, signal?: AbortSignal): Promise<number> {
    const projection = this.projection(name);
    const schema = `read_models_build_${name}`;
    const build: Projection = { ...projection, name: `${name}${BUILDING}`, apply: (client, events) => projection.apply(retargeted(client, schema), events) };
    return withClient(this.pool, async (lock) => {
      const { rows } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 16)) AS locked', [`rebuild:${name}`]);
      if (!rows[0].locked) throw new RebuildRunning(`a rebuild of ${name} is already running (another CLI, or the leading projector after a version change)`);
      try {
        await this.prepareBuild(projection, build.name, schema);
        const started = Date.now();
        let processed = 0;
        // What is left, counted now and then: a count per batch would read the rest of the log each time.
        let lag = { events: 0, at: 0, processed: 0 };
        for (;;) {
          if (signal?.aborted) return processed;
          const from = readingFrom(await this.rowsOf(this.pool, build.name, ALL_PARTITIONS));
          if (from === null) break;
          const read = await this.store.readAll(from, this.batchSize);
          if (read.events.length === 0) break;
          await inTransaction(this.pool, (client) => this.applyGuarded(client, build, ALL_PARTITIONS, { from, to: read.checkpoint, events: read.events }));
          processed += read.events.length;
          if (onProgress) {
            if (Date.now() - lag.at > PROGRESS_LAG_MS) lag = { events: (await this.store.lag(read.checkpoint)).events, at: Date.now(), processed };
            const lagEvents = Math.max(0, lag.events - (processed - lag.processed));
            onProgress({ processed, lagEvents, rate: Math.round(processed / Math.max(0.001, (Date.now() - started) / 1000)) });
          }
        }
        return processed + (await this.switchTo(projection, build.name, schema));
      } finally {
        await lock.query('SELECT pg_advisory_unlock(hashtextextended($1, 16))', [`rebuild:${name}`]);
      }
    });
  }

  /** In the leading process: rebuilds each read model of an older version, until none is left or the signal aborts. */
  private async upgrade(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.outdated.size) {
      const name = [...this.outdated][0];
      if (this.leases.isLeader() && !(await this.upgraded(this.projection(name)))) {
        let reported = 0;
        await this.rebuild(
          name,
          (progress) => {
            if (Date.now() - reported < 10_000) return;
            reported = Date.now();
            this.log(`projection ${name}: rebuilding version ${this.projection(name).version}: ${progress.processed} events, ${progress.lagEvents} to go at ${progress.rate} events/s`);
          },
          signal,
        ).catch((error: unknown) => {
          if (!(error instanceof RebuildRunning)) this.log(`projection ${name}: rebuild failed (${messageOf(error)}); trying again`);
        });
      }
      await sleep(RECHECK_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  /** True once the read model's rows are of the code's version (a rebuild switched it in, here or elsewhere). */
  private async upgraded(projection: Projection): Promise<boolean> {
    const { rows } = await this.pool.query<{ version: number }>('SELECT min(version) AS version FROM read_models.projection_checkpoints WHERE name = $1', [
      projection.name,
    ]);
    if (rows[0].version < projection.version) return false;
    this.outdated.delete(projection.name);
    return true;
  }

  /** An empty schema with the projection's tables and routines, and checkpoints at the start of the log. */
  private async prepareBuild(projection: Projection, buildName: string, schema: string): Promise<void> {
    const routines = await readRoutines(projection.routines ?? []);
    await inTransaction(this.pool, async (client) => {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.query(`CREATE SCHEMA ${schema}`);
      const target = retargeted(client, schema);
      const migrations = [...projection.migrations].sort((a, b) => a.version - b.version);
      for (const migration of migrations) await target.query(migration.sql);
      await installRoutines(target, routines);
      for (const migration of migrations) if (migration.afterRoutines) await target.query(migration.afterRoutines);
      await client.query('DELETE FROM read_models.projection_checkpoints WHERE name = $1', [buildName]);
      await client.query(
        `INSERT INTO read_models.projection_checkpoints (name, version, checkpoint, partition) SELECT $1, $2, $3, p FROM generate_series(0, $4::int - 1) p`,
        [buildName, projection.version, START, PARTITIONS],
      );
    });
  }

  /** The switch, in one transaction: the last events, then the new tables in place of the old, and the checkpoints. */
  private async switchTo(projection: Projection, buildName: string, schema: string): Promise<number> {
    const routines = await readRoutines(projection.routines ?? []);
    const build: Projection = { ...projection, name: buildName, apply: (client, events) => projection.apply(retargeted(client, schema), events) };
    return inTransaction(this.pool, async (client) => {
      // The live projector of this read model waits here until the switch commits, then goes on from the new checkpoints.
      await this.rowsOf(client, projection.name, ALL_PARTITIONS);
      let processed = 0;
      for (;;) {
        const from = readingFrom(await this.rowsOf(client, buildName, ALL_PARTITIONS));
        if (from === null) break;
        const read = await this.store.readAll(from, this.batchSize);
        if (read.events.length === 0) break;
        await this.applyGuarded(client, build, ALL_PARTITIONS, { from, to: read.checkpoint, events: read.events });
        processed += read.events.length;
      }
      // Without CASCADE: a view an analyst made on the old tables stops the switch with its name, rather than vanish.
      await client.query(`DROP TABLE IF EXISTS ${projection.tables.join(', ')}`);
      for (const table of projection.tables) await client.query(`ALTER TABLE ${table.replace(/^read_models\./, `${schema}.`)} SET SCHEMA read_models`);
      await installRoutines(client, routines);
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.query(
        `UPDATE read_models.projection_checkpoints live
            SET checkpoint = b.checkpoint, position = b.position, events_processed = b.events_processed, rate = b.rate, updated_at = now(),
                last_error = NULL, stopped = b.stopped, version = b.version
           FROM read_models.projection_checkpoints b
          WHERE live.name = $1 AND b.name = $2 AND b.partition = live.partition`,
        [projection.name, buildName],
      );
      await client.query('DELETE FROM read_models.projection_checkpoints WHERE name = $1', [buildName]);
      // The new tables came from every migration: the next start has none to apply to them.
      await client.query(
        `INSERT INTO migrations.applied (component, version, name) SELECT $1, v, n FROM unnest($2::int[], $3::text[]) AS t(v, n) ON CONFLICT DO NOTHING`,
        [`projection:${projection.name}`, projection.migrations.map((m) => m.version), projection.migrations.map((m) => m.name)],
      );
      this.log(`projection ${projection.name}: rebuilt version ${projection.version} switched in`);
      return processed;
    });
  }

  /** Tries the stopped partitions of a read model again (after a fix); returns how many were stopped. */
  async retry(name: string): Promise<number> {
    this.projection(name);
    const { rowCount } = await this.pool.query('UPDATE read_models.projection_checkpoints SET stopped = NULL WHERE name = $1 AND stopped IS NOT NULL', [name]);
    return rowCount ?? 0;
  }

  /**
   * Skips the event a read model stopped at, for good: recorded with the reason and who skipped it in
   * projector.skipped_events, which no rebuild removes, and which every apply and rebuild of that read model leaves out.
   */
  async skip(name: string, position: number, reason: string, skippedBy: string): Promise<StoppedAt> {
    this.projection(name);
    return inTransaction(this.pool, async (client) => {
      const rows = await this.rowsOf(client, name, ALL_PARTITIONS);
      const stopped = rows.map((row) => row.stopped).filter((at): at is StoppedAt => at !== null);
      const at = stopped.find((s) => s.position === position);
      if (!at) {
        const where = stopped.length ? `it is stopped at ${stopped.map((s) => `position ${s.position}`).join(', ')}` : 'it is not stopped';
        throw new RangeError(`${name} is not stopped at position ${position}: ${where}`);
      }
      await client.query(
        `INSERT INTO projector.skipped_events (projection, event_id, position, event_type, error, reason, skipped_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [name, at.eventId, at.position, at.type, at.error, reason, skippedBy],
      );
      await client.query('UPDATE read_models.projection_checkpoints SET stopped = NULL WHERE name = $1 AND partition = $2', [name, at.partition]);
      return at;
    });
  }

  async status(): Promise<ProjectionStatus[]> {
    const { rows } = await this.pool.query<{
      name: string;
      version: number;
      checkpoint: string;
      position: string;
      events_processed: string;
      rate: number;
      updated_at: Date | null;
      last_error: string | null;
      stopped: StoppedAt | null;
    }>('SELECT * FROM read_models.projection_checkpoints ORDER BY name, partition');
    const byName = new Map<string, typeof rows>();
    for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
    const summary = async (partitions: typeof rows) => {
      const least = partitions.reduce((a, b) => (compareCheckpoints(b.checkpoint, a.checkpoint) < 0 ? b : a));
      const lag = await this.store.lag(least.checkpoint);
      const updated = partitions.map((row) => row.updated_at).filter((at): at is Date => at !== null);
      return {
        least,
        lag,
        stopped: partitions.map((row) => row.stopped).filter((at): at is StoppedAt => at !== null),
        rate: Math.round(Math.max(...partitions.map((row) => row.rate))),
        eventsProcessed: partitions.reduce((sum, row) => sum + Number(row.events_processed), 0),
        updatedAt: updated.length ? new Date(Math.max(...updated.map(Number))).toISOString() : null,
        lastError: partitions.find((row) => row.last_error)?.last_error ?? null,
      };
    };
    const live = [...byName.keys()].filter((name) => !name.endsWith(BUILDING));
    return Promise.all(
      live.map(async (name) => {
        const partitions = byName.get(name)!;
        const { least, lag, stopped, rate, eventsProcessed, updatedAt, lastError } = await summary(partitions);
        const building = byName.get(`${name}${BUILDING}`);
        const build = building && (await summary(building));
        const rebuilding = build && {
          version: build.least.version,
          eventsProcessed: build.eventsProcessed,
          lagEvents: build.lag.events,
          percent: Math.floor((1000 * build.eventsProcessed) / Math.max(1, build.eventsProcessed + build.lag.events)) / 10,
          rate: build.rate,
          stopped: build.stopped,
        };
        return {
          name,
          version: least.version,
          state: stopped.length ? 'stopped' : rebuilding ? 'rebuilding' : 'running',
          checkpoint: least.checkpoint,
          position: Number(least.position),
          lagEvents: lag.events,
          lagSeconds: lag.oldestRecordedAt ? Math.max(0, (Date.now() - Date.parse(lag.oldestRecordedAt)) / 1000) : 0,
          rate,
          eventsProcessed,
          updatedAt,
          lastError,
          stopped,
          partitions: partitions.length,
          rebuilding: rebuilding ?? null,
        } satisfies ProjectionStatus;
      }),
    );
  }

  /**
   * Read-your-writes: resolves true once the read models named (every one when none are) have passed the event at
   * `position` in every partition, false when `timeoutMs` runs out first, or at once when a stopped partition
   * holds one of them before it.
   */
  async waitFor(position: number, timeoutMs: number, readModels?: readonly string[]): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const target = await this.store.checkpointOf(position);
    if (!target) return false;
    for (;;) {
      const { rows } = await this.pool.query<{ checkpoint: string; stopped: StoppedAt | null }>(
        `SELECT checkpoint, stopped FROM read_models.projection_checkpoints WHERE ($1::text[] IS NULL AND name NOT LIKE '%${BUILDING}') OR name = ANY($1)`,
        [readModels ?? null],
      );
      const behind = rows.filter((row) => compareCheckpoints(row.checkpoint, target) < 0);
      if (behind.length === 0) return true;
      if (behind.some((row) => row.stopped) || Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The checkpoint rows of one read model's partitions, locked for the caller's transaction when it is one. */
  private async rowsOf(client: Pool | PoolClient, name: string, partitions: readonly number[]): Promise<CheckpointRow[]> {
    const { rows } = await client.query<CheckpointRow>(
      `SELECT partition, checkpoint, stopped FROM read_models.projection_checkpoints WHERE name = $1 AND partition = ANY($2) ORDER BY partition${client instanceof Pool ? '' : ' FOR UPDATE'}`,
      [name, partitions],
    );
    if (rows.length === 0) throw new Error(`projection "${name}" has no checkpoint: run migrate first`);
    return rows;
  }

  private async follow(projection: Projection, log: SharedLog, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let from: Checkpoint | null = null;
    while (!signal.aborted) {
      try {
        if (this.outdated.has(projection.name) && !(await this.upgraded(projection))) {
          await sleep(RECHECK_MS, undefined, { signal }).catch(() => undefined);
          continue;
        }
        const partitions = this.leases.owned();
        if (partitions.length) from ??= readingFrom(await this.rowsOf(this.pool, projection.name, partitions));
        if (!partitions.length || from === null) {
          // No partition leased yet, or every one stopped: look again (a heartbeat, a retry, a skip).
          await sleep(RECHECK_MS, undefined, { signal }).catch(() => undefined);
          continue;
        }
        const batch = await log.after(from, AbortSignal.any([signal, AbortSignal.timeout(RECHECK_MS)]));
        if (batch === null) {
          from = null;
          continue;
        }
        const reading = from;
        from = await inTransaction(this.pool, (client) => this.applyGuarded(client, projection, partitions, batch));
        failures = 0;
        if (from !== null && compareCheckpoints(from, reading) < 0) this.log(`projection ${projection.name}: a partition was tried again, reading from ${from}`);
      } catch (error) {
        from = null;
        if (signal.aborted) return;
        if (this.availability?.failed(error)) {
          await this.availability.up(signal);
          continue;
        }
        failures++;
        const message = messageOf(error);
        this.log(`projection ${projection.name}: a batch failed (${message}); retrying`);
        await this.pool
          .query('UPDATE read_models.projection_checkpoints SET last_error = $2 WHERE name = $1', [projection.name, message])
          .catch(() => undefined);
        await sleep(Math.min(30_000, 100 * 2 ** failures), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /**
   * One batch into one projection inside the caller's transaction, behind a savepoint: when the projection refuses
   * it, the batch is applied again event by event to find the events it refuses; each stops its own partition.
   * Returns where the projection reads next.
   */
  private async applyGuarded(client: PoolClient, projection: Projection, partitions: readonly number[], batch: LogBatch): Promise<Checkpoint | null> {
    await client.query('SAVEPOINT batch');
    try {
      const next = await this.applyWithin(client, projection, partitions, batch, false);
      await client.query('RELEASE SAVEPOINT batch');
      return next;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT batch');
      return this.applyWithin(client, projection, partitions, batch, true);
    }
  }

  /** Applies the events of the batch past each partition's checkpoint and advances the checkpoints; returns where to read next. */
  private async applyWithin(client: PoolClient, projection: Projection, partitions: readonly number[], batch: LogBatch, oneByOne: boolean): Promise<Checkpoint | null> {
    const started = process.hrtime.bigint();
    const rows = await this.rowsOf(client, projection.name, partitions);
    // A partition behind the batch (tried again after a stop) reads from its own checkpoint next; one past it has nothing here.
    const serving = new Map(
      rows
        .filter((row) => !row.stopped && compareCheckpoints(row.checkpoint, batch.from) >= 0 && compareCheckpoints(row.checkpoint, batch.to) < 0)
        .map((row) => [row.partition, row]),
    );
    if (serving.size === 0) return readingFrom(rows);
    const passing = batch.events.filter((event) => {
      const row = serving.get(partitionOf(event.streamId));
      return row !== undefined && compareCheckpoints(event.checkpoint, row.checkpoint) > 0;
    });
    const skipped = await this.skipped(client, projection.name.replace(BUILDING, ''), passing);
    const applying = (event: RecordedEvent): boolean => projection.handles.includes(event.type) && !skipped.has(event.eventId);
    const stops = new Map<number, { event: RecordedEvent; after: RecordedEvent | null; at: StoppedAt }>();
    if (!oneByOne) {
      const handled = passing.filter(applying);
      if (handled.length) await projection.apply(client, handled);
    } else {
      let previous: RecordedEvent | null = null;
      for (const event of passing) {
        const partition = partitionOf(event.streamId);
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
            this.log(`projection ${projection.name}: stopped partition ${partition} at position ${at.position} (${at.type} ${at.eventId}): ${at.error}`);
          }
        }
        previous = event;
      }
    }
    const last = batch.events[batch.events.length - 1];
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const advanced = [...serving.values()].map((row) => {
      const stop = stops.get(row.partition);
      // A stopped partition keeps the events before the one refused: it reads that one next, when tried again.
      const after = stop ? (stop.after && compareCheckpoints(stop.after.checkpoint, row.checkpoint) > 0 ? stop.after : null) : last;
      const passed = passing.filter(
        (event) => partitionOf(event.streamId) === row.partition && (!stop || compareCheckpoints(event.checkpoint, stop.event.checkpoint) < 0),
      ).length;
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
  private async skipped(client: PoolClient, name: string, events: RecordedEvent[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const { rows } = await client.query<{ event_id: string }>({ name: 'projector_skipped_events', text: 'SELECT event_id FROM projector.skipped_events WHERE projection = $1', values: [name] });
    return new Set(rows.map((row) => row.event_id));
  }

}
