import type { Pool } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { START, compareCheckpoints, type Checkpoint, type EventStore } from '../../event-store/src';
import { inTransaction, migrate, type DatabaseAvailability } from '../../postgres/src';
import { rebuild, RebuildRunning, type BuildProgress } from './blue-green';
import { PartitionLeases, type LeaseOptions } from './partition-leases';
import { applyInTransaction, BUILDING, messageOf, readingFrom, rowsOf, type StoppedAt } from './partitioned-apply';
import { ALL_PARTITIONS, PARTITIONS } from './partitions';
import type { Projection } from './projection';
import { projectionStatuses, type ProjectionStatus } from './projection-status';
import { SharedLog } from './shared-log';
import { withDeadline } from './polling';
import { CHECKPOINT_MIGRATIONS, PROJECTOR_MIGRATIONS } from './projector.migrations';

export interface ProjectorOptions {
  batchSize?: number;
  pollIntervalMs?: number;
  log?: (line: string) => void;
  /** With it, a lost database is waited out (logged there once) instead of logged and retried per projection. */
  availability?: Pick<DatabaseAvailability, 'failed' | 'up'>;
  leases?: Omit<LeaseOptions, 'log'>;
}

/** How long a projection waiting at the head, or with every partition stopped, goes before it looks at its rows again (a retry). */
const RECHECK_MS = 2_000;

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
    // read_models dropped (to have every read model rebuilt from the log): its migrations run again.
    await this.pool.query(
      `DO $$ BEGIN
         IF to_regclass('migrations.applied') IS NOT NULL AND to_regnamespace('read_models') IS NULL THEN
           DELETE FROM migrations.applied WHERE component = 'projection_checkpoints' OR component LIKE 'projection:%';
         END IF;
       END $$`,
    );
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
      // Empty tables of a read model with recorded work (a first start on a log that has some, or read_models dropped):
      // only a rebuild redoes that work where it was done, so they stand at version 0 until it is switched in.
      const redo = stored === null && projection.recorded !== undefined && (await this.store.readStream(projection.recorded.stream, { limit: 1 })).length > 0;
      // A checkpoint per partition; a read model kept before partitions goes on from where its one checkpoint was.
      await this.pool.query(
        `INSERT INTO read_models.projection_checkpoints (name, version, checkpoint, position, partition)
         SELECT $1, $2, coalesce(kept.checkpoint, $3), coalesce(kept.position, 0), p
           FROM generate_series(0, $4::int - 1) p
           LEFT JOIN read_models.projection_checkpoints kept ON kept.name = $1 AND kept.partition = 0
         ON CONFLICT (name, partition) DO NOTHING`,
        [projection.name, redo ? 0 : projection.version, START, PARTITIONS],
      );
      if (redo) {
        this.outdated.add(projection.name);
        this.log(`projection ${projection.name}: empty, and the log records work done on it: it is rebuilt in the background, redoing that work`);
      }
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
      const followers = this.projections.flatMap((projection) => Array.from({ length: projection.followers ?? 1 }, (_, i) => this.follow(projection, log, following.signal, i)));
      await Promise.all([...followers, this.upgrade(following.signal)]);
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
    let from = readingFrom(await rowsOf(this.pool, name, ALL_PARTITIONS));
    let processed = 0;
    while (from !== null) {
      const batch = { from, ...(await this.store.readAll(from, this.batchSize)) };
      if (batch.events.length === 0) break;
      const read = { to: batch.checkpoint, ...batch };
      from = await applyInTransaction(this.pool, projection, ALL_PARTITIONS, read, this.log);
      processed += read.events.length;
      onProgress?.(processed, read.to);
    }
    return processed;
  }

  /**
   * Builds the read model's current version beside the tables that serve, and switches it in once caught up
   * (blue-green.ts); returns the events applied.
   */
  rebuild(name: string, onProgress?: (progress: BuildProgress) => void, signal?: AbortSignal): Promise<number> {
    return rebuild({ pool: this.pool, store: this.store, batchSize: this.batchSize, log: this.log }, this.projection(name), onProgress, signal);
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
      const rows = await rowsOf(client, name, ALL_PARTITIONS);
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

  /** Every read model's status (projection-status.ts). */
  status(): Promise<ProjectionStatus[]> {
    return projectionStatuses(this.pool, this.store);
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

  /** Follower `share` of the projection: applies the events of every `followers`-th partition this process holds, from the `share`-th. */
  private async follow(projection: Projection, log: SharedLog, signal: AbortSignal, share: number): Promise<void> {
    const followers = projection.followers ?? 1;
    const caller = followers > 1 ? `${projection.name}#${share}` : projection.name;
    let failures = 0;
    let from: Checkpoint | null = null;
    while (!signal.aborted) {
      try {
        if (this.outdated.has(projection.name) && !(await this.upgraded(projection))) {
          await sleep(RECHECK_MS, undefined, { signal }).catch(() => undefined);
          continue;
        }
        const partitions = this.leases.owned().filter((_, i) => i % followers === share);
        if (partitions.length && from === null) {
          log.join(caller);
          from = readingFrom(await rowsOf(this.pool, projection.name, partitions));
        }
        if (!partitions.length || from === null) {
          // No partition leased yet, or every one stopped: look again (a heartbeat, a retry, a skip).
          log.leave(caller);
          await sleep(RECHECK_MS, undefined, { signal }).catch(() => undefined);
          continue;
        }
        const reading = from;
        const batch = await withDeadline(signal, RECHECK_MS, (waiting) => log.after(reading, waiting, caller));
        if (batch === null) {
          from = null;
          continue;
        }
        from = await applyInTransaction(this.pool, projection, partitions, batch, this.log);
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

}
