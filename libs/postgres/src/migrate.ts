import type { Pool } from 'pg';
import { inTransaction } from './transaction';
import { installRoutines, readRoutines } from './routines';

export interface Migration {
  /** Increasing, never reused: a shipped migration is never edited, a new one is added. */
  version: number;
  name: string;
  /** DDL only. A routine (function, aggregate, procedure) lives in a .sql file of its component: see routines.ts. */
  sql: string;
  /**
   * What this migration does that needs the component's routines (a backfill that calls them, a trigger that runs
   * one): applied once, right after the routines, in the same transaction.
   */
  afterRoutines?: string;
}

/**
 * Brings one component (the event store, one projection, ...) to the current schema in one transaction: its pending
 * migrations in order, then every one of its routines with CREATE OR REPLACE (at every start: the .sql files are the
 * one source of the routines, so a fresh and an upgraded database end up with the same ones), then the afterRoutines
 * parts of the migrations just applied. An advisory lock serialises concurrent starts, and the applied versions are
 * recorded, so running it twice, or from two processes at once, applies each migration exactly once.
 */
export async function migrate(pool: Pool, component: string, migrations: readonly Migration[], routines: readonly string[] = []): Promise<number[]> {
  // Read before the lock is taken: a routine file missing from the build fails the start at once.
  const routineSql = await readRoutines(routines);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 42))', [`migrate:${component}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS migrations`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS migrations.applied (
         component text NOT NULL, version int NOT NULL, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`,
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM migrations.applied WHERE component = $1', [component]);
    const applied = new Set(rows.map((row) => row.version));
    const done: Migration[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO migrations.applied (component, version, name) VALUES ($1, $2, $3)', [
        component,
        migration.version,
        migration.name,
      ]);
      done.push(migration);
    }
    await installRoutines(client, routineSql);
    for (const migration of done) if (migration.afterRoutines) await client.query(migration.afterRoutines);
    return done.map((migration) => migration.version);
  });
}
