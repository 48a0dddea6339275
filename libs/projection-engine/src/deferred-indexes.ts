import type { PoolClient } from 'pg';

/*
 * The indexes a bulk build goes without (Projection.bulk.unindexed, issue 16): made once over all the rows, after the
 * build's finish, rather than kept up row by row while it runs.
 */

/** How to make a build's dropped indexes again: the indexes, then the constraints that take them over. */
export interface DeferredIndexes {
  /** CREATE INDEX statements, any two of which may run at once. */
  indexes: string[];
  /** ALTER TABLE statements, run after every index is made. */
  constraints: string[];
}

/**
 * Drops the indexes (and index-backed constraints) of `tables` in `schema`, but for partial ones; returns the
 * statements that make them again. A partial index is kept up row by row for the rows its predicate picks, which is
 * cheaper than reading the whole table once more: touchpoints_by_campaign, with no campaign touchpoint among a
 * rebuild's 2,485,450 rows, took 1.5 s of the index builds' statement time, beside the others.
 *
 * A primary key or unique constraint comes back as a unique index, made beside the others, which the constraint then
 * takes over (USING INDEX, at once). Made by ALTER TABLE ADD CONSTRAINT, it took a lock that waited for the index
 * being made beside it, and was then made alone: the primary key of touchpoints (1.5 s) ran after the other four.
 */
export async function dropIndexes(client: PoolClient, schema: string, tables: readonly string[]): Promise<DeferredIndexes> {
  const { rows } = await client.query<{ drop: string; index: string | null; constraint: string | null }>(
    `SELECT CASE WHEN con.oid IS NULL THEN format('DROP INDEX %I.%I', $1::text, i.relname)
                 ELSE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', $1::text, t.relname, con.conname) END AS drop,
            CASE WHEN con.oid IS NULL OR taken_over THEN pg_get_indexdef(i.oid) END AS index,
            CASE WHEN taken_over THEN format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s USING INDEX %I', $1::text, t.relname, con.conname,
                                             CASE con.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, i.relname)
                 WHEN con.oid IS NOT NULL THEN format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', $1::text, t.relname, con.conname, pg_get_constraintdef(con.oid)) END AS constraint
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.conrelid = t.oid
       CROSS JOIN LATERAL (SELECT con.contype IN ('p', 'u') AND NOT con.condeferrable AND con.conname = i.relname AS taken_over) c
      WHERE t.relnamespace = $1::regnamespace AND t.relname = ANY($2) AND x.indpred IS NULL
      ORDER BY i.relname`,
    [schema, tables.map((table) => table.replace(/^read_models\./, ''))],
  );
  for (const { drop } of rows) await client.query(drop);
  return {
    indexes: rows.flatMap((row) => (row.index === null ? [] : [row.index])),
    constraints: rows.flatMap((row) => (row.constraint === null ? [] : [row.constraint])),
  };
}

/**
 * Lets the transaction's lock waits cancel an autovacuum in their way after 50 ms rather than after deadlock_timeout
 * (1 s by default): the server cancels an autovacuum that blocks a lock only once the waiter's deadlock check runs. A
 * rebuild's switch and its index builds each waited that second, up to three times (an autovacuum of the old
 * touchpoints table, then of the new one, then of its facts: a 3 s switch, readers held behind it). Only a role
 * allowed to set the parameter (a superuser, or one granted SET ON PARAMETER deadlock_timeout) can; any other waits
 * as before.
 */
export const AUTOVACUUM_GIVES_WAY = `DO $$ BEGIN PERFORM set_config('deadlock_timeout', '50ms', true); EXCEPTION WHEN insufficient_privilege THEN NULL; END $$`;

/**
 * Runs the index statements two at a time, each in a transaction of its own (`inBuild`): an index build is one core's
 * work. Then the constraints, in one transaction.
 */
export async function makeIndexes(inBuild: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>, make: DeferredIndexes): Promise<void> {
  const left = [...make.indexes];
  const making = async (): Promise<void> => {
    for (let statement = left.shift(); statement !== undefined; statement = left.shift()) {
      await inBuild(async (client) => {
        await client.query(AUTOVACUUM_GIVES_WAY);
        await client.query(`SET LOCAL maintenance_work_mem = '128MB'`);
        await client.query(statement);
      });
    }
  };
  await Promise.all([making(), making()]);
  if (make.constraints.length) {
    await inBuild(async (client) => {
      await client.query(AUTOVACUUM_GIVES_WAY);
      for (const statement of make.constraints) await client.query(statement);
    });
  }
}
