import type { PoolClient } from 'pg';

/*
 * The indexes a bulk build goes without (Projection.bulk.unindexed, issue 16): made once over all the rows, after the
 * build's finish, rather than kept up row by row while it runs.
 */

/**
 * Drops the indexes (and index-backed constraints) of `tables` in `schema`, but for partial ones; returns the
 * statements that make them again. A partial index is kept up row by row for the rows its predicate picks, which is
 * cheaper than reading the whole table once more: touchpoints_by_campaign, with no campaign touchpoint among a
 * rebuild's 2,485,450 rows, took 1.5 s of the index builds' statement time, beside the others.
 */
export async function dropIndexes(client: PoolClient, schema: string, tables: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ drop: string; make: string }>(
    `SELECT CASE WHEN con.oid IS NULL THEN format('DROP INDEX %I.%I', $1::text, i.relname)
                 ELSE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', $1::text, t.relname, con.conname) END AS drop,
            CASE WHEN con.oid IS NULL THEN pg_get_indexdef(i.oid)
                 ELSE format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', $1::text, t.relname, con.conname, pg_get_constraintdef(con.oid)) END AS make
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.conrelid = t.oid
      WHERE t.relnamespace = $1::regnamespace AND t.relname = ANY($2) AND x.indpred IS NULL
      ORDER BY i.relname`,
    [schema, tables.map((table) => table.replace(/^read_models\./, ''))],
  );
  for (const { drop } of rows) await client.query(drop);
  return rows.map((row) => row.make);
}

/** Runs the statements two at a time, each in a transaction of its own (`inBuild`): an index build is one core's work. */
export async function makeIndexes(inBuild: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>, make: readonly string[]): Promise<void> {
  const left = [...make];
  const making = async (): Promise<void> => {
    for (let statement = left.shift(); statement !== undefined; statement = left.shift()) {
      await inBuild(async (client) => {
        await client.query(`SET LOCAL maintenance_work_mem = '128MB'`);
        await client.query(statement);
      });
    }
  };
  await Promise.all([making(), making()]);
}
