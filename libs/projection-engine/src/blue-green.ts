import type { Pool, PoolClient } from 'pg';
import { START, compareCheckpoints, inNotAppendingTransaction, type Checkpoint, type EventStore, type ReadAllResult, type RecordedEvent } from '../../event-store/src';
import { inTransaction, installRoutines, isConnectionFault, readRoutines, withClient } from '../../postgres/src';
import { AUTOVACUUM_GIVES_WAY, dropIndexes, makeIndexes, type DeferredIndexes } from './deferred-indexes';
import { applyGuarded, BUILDING, messageOf, readingFrom, rowsOf } from './partitioned-apply';
import { ALL_PARTITIONS, PARTITIONS } from './partitions';
import type { Projection } from './projection';
import { retargeted } from './retargeted';

/** How far a rebuild is: events applied, still to apply, and its rate. */
export interface BuildProgress {
  processed: number;
  lagEvents: number;
  rate: number;
}

/** Another rebuild of the same read model holds its lock. */
export class RebuildRunning extends Error {}

/** A bulk build's finish failed for a reason of its own: the build starts again, batch by batch. */
class BulkFinishFailed extends Error {}

/** Where a build runs: the read models' database, the log, the batch size, and where it reports. */
export interface BuildSite {
  pool: Pool;
  store: EventStore;
  batchSize: number;
  log: (line: string) => void;
}

/** How often a rebuild's progress counts the events still to apply (a count reads the rest of the log). */
const PROGRESS_LAG_MS = 5_000;

/**
 * A build's tables start empty, and autovacuum gives them statistics only on its next round, a minute or more away:
 * until then a lookup by a column with no unique index is planned as a scan of the whole table (customer_search's
 * delete by customer, 3.4 ms a batch at 60,000 rows, with no row to delete). They are analysed as they grow: once
 * this many events are applied, and again each time the count is four times what it was (each round costs: 250 ms of
 * a 6-s rebuild of segment_facts at five rounds, which had no such plan to mend).
 */
const FIRST_ANALYZE_EVENTS = 10_000;

/** Statistics for every table of the build's schema (ANALYZE takes no lock that the build's writes wait for). */
async function analyzeBuild(pool: Pool, schema: string): Promise<void> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
    [schema],
  );
  for (const { name } of rows) await pool.query(`ANALYZE ${name}`);
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
export async function rebuild(on: BuildSite, projection: Projection, onProgress?: (progress: BuildProgress) => void, signal?: AbortSignal): Promise<number> {
  const { name } = projection;
  const schema = `read_models_build_${name}`;
  return withClient(on.pool, async (lock) => {
    const { rows } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 16)) AS locked', [`rebuild:${name}`]);
    if (!rows[0].locked) throw new RebuildRunning(`a rebuild of ${name} is already running (another CLI, or the leading projector after a version change)`);
    const build = async (bulk: boolean): Promise<number> => {
      const unindexed = await prepareBuild(on, projection, `${name}${BUILDING}`, schema, bulk);
      const cursor = new BuildCursor(on, projection, schema, bulk);
      await cursor.loadPlan();
      const started = Date.now();
      let processed = 0;
      // What is left, counted now and then: a count per batch would read the rest of the log each time.
      let lag = { events: 0, at: 0, processed: 0 };
      let analyzeAt = FIRST_ANALYZE_EVENTS;
      for (;;) {
        if (signal?.aborted) return processed;
        const applied = await inTransaction(on.pool, (client) => cursor.step(client));
        processed += applied ?? 0;
        if (processed >= analyzeAt) {
          await analyzeBuild(on.pool, schema);
          analyzeAt = processed * 4;
        }
        if (onProgress && applied) {
          if (Date.now() - lag.at > PROGRESS_LAG_MS) lag = { events: (await on.store.lag(cursor.reached)).events, at: Date.now(), processed };
          const lagEvents = Math.max(0, lag.events - (processed - lag.processed));
          onProgress({ processed, lagEvents, rate: Math.round(processed / Math.max(0.001, (Date.now() - started) / 1000)) });
        }
        // In bulk up to near the head of the log (a batch short of full) or to recorded work to redo; then as live.
        if (cursor.bulking && (applied ?? 0) < on.batchSize) await cursor.finishBulk(lock, unindexed);
        else if (applied === null) break;
      }
      return processed + (await switchTo(on, projection, cursor));
    };
    try {
      return await build(projection.bulk !== undefined);
    } catch (error) {
      if (!(error instanceof BulkFinishFailed)) throw error;
      on.log(`projection ${name}: the bulk build could not finish (${error.message}); building again batch by batch, where an event the projection refuses stops only its partition`);
      return await build(false);
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtextextended($1, 16))', [`rebuild:${name}`]);
    }
  });
}

/**
 * An empty schema with the projection's tables and routines, and checkpoints at the start of the log; the indexes of
 * the tables a bulk build leaves unindexed are dropped, and the statements that make them again returned.
 */
async function prepareBuild(on: BuildSite, projection: Projection, buildName: string, schema: string, bulk: boolean): Promise<DeferredIndexes> {
  const routines = await readRoutines(projection.routines ?? []);
  return inTransaction(on.pool, async (client) => {
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
    return dropIndexes(client, schema, bulk ? projection.bulk!.unindexed : []);
  });
}

/**
 * The build's way through the log: batch after batch, each cut at the checkpoint of the next piece of recorded work
 * (RecordedWork), which is redone on the build's tables once the build has reached it.
 */
class BuildCursor {
  readonly build: Projection;
  private plan: RecordedEvent[] = [];
  private redone = 0;
  /** Where the build has read to. */
  reached: Checkpoint = START;
  /** Applying with the projection's bulk build, until finishBulk. */
  bulking: boolean;
  /** The batch after a full one, read while that one is applied. */
  private ahead?: { from: Checkpoint; read: Promise<ReadAllResult> };

  constructor(
    private readonly on: BuildSite,
    readonly projection: Projection,
    readonly schema: string,
    bulk: boolean,
  ) {
    this.bulking = bulk;
    const apply = (client: PoolClient, events: RecordedEvent[]): Promise<void> =>
      (this.bulking ? projection.bulk!.apply : projection.apply)(retargeted(client, schema), events);
    this.build = { ...projection, name: `${projection.name}${BUILDING}`, apply };
  }

  /**
   * Ends the bulk build: the projection's finish, then the indexes it went without (`make`). Their transactions are
   * declared not to append through `declarer` (the build's own session), so a long index build holds no log reader.
   * A failure of its own (not a lost connection) throws BulkFinishFailed: the rebuild starts again batch by batch.
   */
  async finishBulk(declarer: PoolClient, make: DeferredIndexes): Promise<void> {
    const { pool } = this.on;
    const inBuild = <T>(work: (client: PoolClient) => Promise<T>): Promise<T> =>
      withClient(pool, (client) => inNotAppendingTransaction(client, declarer, (tx) => work(retargeted(tx, this.schema))));
    try {
      await this.finishWith(inBuild, make);
    } catch (error) {
      // A connection lost is retried as any; anything else (a schedule that throws) is the bulk build's own failure.
      if (isConnectionFault(error)) throw error;
      throw new BulkFinishFailed(messageOf(error));
    }
    this.bulking = false;
  }

  private async finishWith(inBuild: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>, make: DeferredIndexes): Promise<void> {
    const { log } = this.on;
    const name = this.projection.name;
    const started = Date.now();
    let reported = started;
    await this.projection.bulk!.finish(inBuild, (done, total) => {
      if (Date.now() - reported < PROGRESS_LAG_MS && done < total) return;
      reported = Date.now();
      log(`projection ${name}: build finishing in bulk: ${done} of ${total} done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    });
    await makeIndexes(inBuild, make);
    if (make.indexes.length) log(`projection ${name}: build made ${make.indexes.length} indexes (${((Date.now() - started) / 1000).toFixed(1)} s after the bulk build's finish began)`);
  }

  /** The recorded work, read again at the switch; work redone already must not have changed meanwhile. */
  async loadPlan(): Promise<void> {
    const recorded = this.projection.recorded;
    if (!recorded) return;
    const plan = recorded.plan(await this.on.store.readStream(recorded.stream));
    const changed = this.plan.findIndex((event, i) => JSON.stringify(event.data) !== JSON.stringify(plan[i]?.data));
    if (changed >= 0) throw new Error(`the recorded work of ${this.projection.name} was changed during its rebuild (${this.plan[changed].type}); rebuild it again`);
    this.plan = plan;
  }

  /**
   * One step in the caller's transaction: the next recorded work once every partition has reached that work's
   * checkpoint for it; before that, the next batch of the log for the partitions short of theirs, cut at the nearest
   * one; with no work left, the next batch for every partition. Returns the events read, null at the end.
   */
  async step(client: PoolClient): Promise<number | null> {
    const rows = await rowsOf(client, this.build.name, ALL_PARTITIONS);
    const next = this.plan[this.redone] as RecordedEvent | undefined;
    const at = next && this.projection.recorded!.at(next);
    const short = at ? rows.filter((row) => !row.stopped && at[row.partition] !== undefined && compareCheckpoints(row.checkpoint, at[row.partition]) < 0) : [];
    const from = readingFrom(next ? short : rows);
    if (from !== null) this.reached = from;
    if (next && from === null) {
      // Recorded work is redone on tables as the projection's apply makes them.
      if (this.bulking) return null;
      await this.projection.recorded!.redo(retargeted(client, this.schema), next);
      this.redone++;
      return 0;
    }
    if (from === null) return null;
    const cut = short.reduce<Checkpoint | null>((nearest, row) => (nearest === null || compareCheckpoints(at![row.partition], nearest) < 0 ? at![row.partition] : nearest), null);
    const read = await this.read(from);
    const events = cut ? read.events.filter((event) => compareCheckpoints(event.checkpoint, cut) <= 0) : read.events;
    if (events.length === 0) {
      if (!next) return null;
      throw new Error(`the log ends before checkpoint ${cut}, where ${next.type} ${next.eventId} was done on ${this.projection.name}`);
    }
    const to = events.length < read.events.length ? events[events.length - 1].checkpoint : read.checkpoint;
    const partitions = next ? short.map((row) => row.partition) : ALL_PARTITIONS;
    await applyGuarded(client, this.build, partitions, { from, to, events }, this.on.log);
    return events.length;
  }

  /**
   * The batch of the log after `from`; after a full batch the next is read at once, beside the apply of this one
   * (another connection of the log's), so the build's applies and its reads of the log overlap.
   */
  private async read(from: Checkpoint): Promise<ReadAllResult> {
    const { store, batchSize } = this.on;
    const ahead = this.ahead;
    this.ahead = undefined;
    const read = ahead?.from === from ? await ahead.read : await store.readAll(from, batchSize);
    if (read.events.length === batchSize) {
      const next = store.readAll(read.checkpoint, batchSize);
      // Its error, if any, goes to the step that uses it; one never used is dropped.
      next.catch(() => undefined);
      this.ahead = { from: read.checkpoint, read: next };
    }
    return read;
  }
}

/**
 * The switch, in one transaction: the recorded work's lock (no new work is recorded meanwhile) and any work the old
 * tables hold that the log lacks appended, the last events and work, then the new tables in place of the old, and
 * the checkpoints.
 */
async function switchTo(on: BuildSite, projection: Projection, cursor: BuildCursor): Promise<number> {
  const { schema } = cursor;
  const buildName = cursor.build.name;
  const routines = await readRoutines(projection.routines ?? []);
  return inTransaction(on.pool, async (client) => {
    // Readers of the read model wait behind the switch's locks: an autovacuum of its tables gives way at once.
    await client.query(AUTOVACUUM_GIVES_WAY);
    if (projection.recorded) {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 42))', [projection.recorded.lock]);
      // Work that a process dying between its commit and its append left out of the log (a pg stop under load did).
      await projection.recorded.publish(client, on.store);
    }
    // The live projector of this read model waits here until the switch commits, then goes on from the new checkpoints.
    await rowsOf(client, projection.name, ALL_PARTITIONS);
    await cursor.loadPlan();
    let processed = 0;
    for (let applied = await cursor.step(client); applied !== null; applied = await cursor.step(client)) processed += applied;
    // Without CASCADE: a view an analyst made on the old tables stops the switch with its name, rather than vanish.
    const views = projection.views ?? [];
    // Tables the new version's migrations make that are not the read model's own rows (segment_evaluation_failures)
    // and that the serving schema lacks, because the old version's migrations predate them: moved in too, or the next
    // start, which finds those migrations applied, would never make them.
    const { rows: added } = await client.query<{ name: string }>(
      `SELECT 'read_models.' || table_name AS name FROM information_schema.tables
        WHERE table_schema = $1 AND to_regclass('read_models.' || quote_ident(table_name)) IS NULL`,
      [schema],
    );
    const moved = [...projection.tables, ...added.map((row) => row.name).filter((name) => !projection.tables.includes(name))];
    if (views.length) await client.query(`DROP VIEW IF EXISTS ${views.join(', ')}`);
    await client.query(`DROP TABLE IF EXISTS ${projection.tables.join(', ')}`);
    for (const table of moved) await client.query(`ALTER TABLE ${table.replace(/^read_models\./, `${schema}.`)} SET SCHEMA read_models`);
    for (const view of views) await client.query(`ALTER VIEW ${view.replace(/^read_models\./, `${schema}.`)} SET SCHEMA read_models`);
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
    // A read model kept before partitions has one checkpoint row: the build's rows for the other partitions become its.
    await client.query(
      `UPDATE read_models.projection_checkpoints b SET name = $1, updated_at = now()
        WHERE b.name = $2 AND NOT EXISTS (SELECT FROM read_models.projection_checkpoints live WHERE live.name = $1 AND live.partition = b.partition)`,
      [projection.name, buildName],
    );
    await client.query('DELETE FROM read_models.projection_checkpoints WHERE name = $1', [buildName]);
    // The new tables came from every migration: the next start has none to apply to them.
    await client.query(
      `INSERT INTO migrations.applied (component, version, name) SELECT $1, v, n FROM unnest($2::int[], $3::text[]) AS t(v, n) ON CONFLICT DO NOTHING`,
      [`projection:${projection.name}`, projection.migrations.map((m) => m.version), projection.migrations.map((m) => m.name)],
    );
    on.log(`projection ${projection.name}: rebuilt version ${projection.version} switched in`);
    return processed;
  });
}
