import type { Pool } from 'pg';
import { inTransaction } from './transaction';

export interface Migration {
  /** Increasing, never reused: a shipped migration is never edited, a new one is added. */
  version: number;
  name: string;
  sql: string;
}

/**
 * Applies the pending migrations of one component (the event store, or one projection) in order.
 * An advisory lock serialises concurrent starts, and the applied versions are recorded, so running
 * it twice, or from two processes at once, applies each migration exactly once.
 */
export async function migrate(pool: Pool, component: string, migrations: readonly Migration[]): Promise<number[]> {
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
    const done: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO migrations.applied (component, version, name) VALUES ($1, $2, $3)', [
        component,
        migration.version,
        migration.name,
      ]);
      done.push(migration.version);
    }
    return done;
  });
}
