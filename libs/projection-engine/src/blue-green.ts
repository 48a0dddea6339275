import type { Pool } from 'pg';
import { START, type EventStore } from '../../event-store/src';
import { inTransaction, installRoutines, readRoutines, withClient } from '../../postgres/src';
import { applyGuarded, BUILDING, readingFrom, rowsOf } from './partitioned-apply';
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
  const build: Projection = { ...projection, name: `${name}${BUILDING}`, apply: (client, events) => projection.apply(retargeted(client, schema), events) };
  return withClient(on.pool, async (lock) => {
    const { rows } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 16)) AS locked', [`rebuild:${name}`]);
    if (!rows[0].locked) throw new RebuildRunning(`a rebuild of ${name} is already running (another CLI, or the leading projector after a version change)`);
    try {
      await prepareBuild(on, projection, build.name, schema);
      const started = Date.now();
      let processed = 0;
      // What is left, counted now and then: a count per batch would read the rest of the log each time.
      let lag = { events: 0, at: 0, processed: 0 };
      for (;;) {
        if (signal?.aborted) return processed;
        const from = readingFrom(await rowsOf(on.pool, build.name, ALL_PARTITIONS));
        if (from === null) break;
        const read = await on.store.readAll(from, on.batchSize);
        if (read.events.length === 0) break;
        await inTransaction(on.pool, (client) => applyGuarded(client, build, ALL_PARTITIONS, { from, to: read.checkpoint, events: read.events }, on.log));
        processed += read.events.length;
        if (onProgress) {
          if (Date.now() - lag.at > PROGRESS_LAG_MS) lag = { events: (await on.store.lag(read.checkpoint)).events, at: Date.now(), processed };
          const lagEvents = Math.max(0, lag.events - (processed - lag.processed));
          onProgress({ processed, lagEvents, rate: Math.round(processed / Math.max(0.001, (Date.now() - started) / 1000)) });
        }
      }
      return processed + (await switchTo(on, projection, build.name, schema));
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtextextended($1, 16))', [`rebuild:${name}`]);
    }
  });
}

/** An empty schema with the projection's tables and routines, and checkpoints at the start of the log. */
async function prepareBuild(on: BuildSite, projection: Projection, buildName: string, schema: string): Promise<void> {
  const routines = await readRoutines(projection.routines ?? []);
  await inTransaction(on.pool, async (client) => {
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
async function switchTo(on: BuildSite, projection: Projection, buildName: string, schema: string): Promise<number> {
  const routines = await readRoutines(projection.routines ?? []);
  const build: Projection = { ...projection, name: buildName, apply: (client, events) => projection.apply(retargeted(client, schema), events) };
  return inTransaction(on.pool, async (client) => {
    // The live projector of this read model waits here until the switch commits, then goes on from the new checkpoints.
    await rowsOf(client, projection.name, ALL_PARTITIONS);
    let processed = 0;
    for (;;) {
      const from = readingFrom(await rowsOf(client, buildName, ALL_PARTITIONS));
      if (from === null) break;
      const read = await on.store.readAll(from, on.batchSize);
      if (read.events.length === 0) break;
      await applyGuarded(client, build, ALL_PARTITIONS, { from, to: read.checkpoint, events: read.events }, on.log);
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
    on.log(`projection ${projection.name}: rebuilt version ${projection.version} switched in`);
    return processed;
  });
}
