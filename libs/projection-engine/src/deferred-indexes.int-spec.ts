import { Pool, type PoolClient } from 'pg';
import { inTransaction, withClient } from '../../postgres/src';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { AUTOVACUUM_GIVES_WAY, dropIndexes, makeIndexes } from './deferred-indexes';

let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 4 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const inBuild = <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => inTransaction(pool, work);

/** Every index and constraint of the schema's tables, as the catalogue prints them. */
const definitions = async (schema: string): Promise<unknown[]> =>
  (
    await pool.query(
      `SELECT 'index' AS what, indexname::text AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = $1
       UNION ALL
       SELECT 'constraint', conname::text, contype::text || ' ' || pg_get_constraintdef(c.oid) || CASE WHEN condeferrable THEN ' deferrable' ELSE '' END
         FROM pg_constraint c WHERE c.connamespace = $1::regnamespace AND c.contype <> 'n'
       ORDER BY 1, 2`,
      [schema],
    )
  ).rows;

describe('the indexes a bulk build makes afterwards', () => {
  it('are made again as they were: plain and unique indexes, primary keys and unique constraints, deferrable ones too; partial ones stay', async () => {
    await pool.query(`
      CREATE SCHEMA deferred;
      CREATE TABLE deferred.rows (id text PRIMARY KEY, code text NOT NULL UNIQUE, slot int NOT NULL, at timestamptz NOT NULL, kind text NOT NULL,
                                  CONSTRAINT rows_slot_key UNIQUE (slot) DEFERRABLE INITIALLY DEFERRED);
      CREATE INDEX rows_by_kind ON deferred.rows (kind, at);
      CREATE UNIQUE INDEX rows_kind_slot ON deferred.rows (kind, slot);
      CREATE INDEX rows_late ON deferred.rows (at) WHERE kind = 'late';
      CREATE TABLE deferred.other (id text PRIMARY KEY);`);
    const before = await definitions('deferred');

    const make = await withClient(pool, (client) => dropIndexes(client, 'deferred', ['read_models.rows']));
    // The primary key and the plain unique constraint come back as indexes made beside the others, then taken over.
    expect(make.indexes).toHaveLength(4);
    expect(make.indexes).toContain('CREATE UNIQUE INDEX rows_pkey ON deferred.rows USING btree (id)');
    expect(make.constraints).toEqual([
      'ALTER TABLE deferred.rows ADD CONSTRAINT rows_code_key UNIQUE USING INDEX rows_code_key',
      'ALTER TABLE deferred.rows ADD CONSTRAINT rows_pkey PRIMARY KEY USING INDEX rows_pkey',
      'ALTER TABLE deferred.rows ADD CONSTRAINT rows_slot_key UNIQUE (slot) DEFERRABLE INITIALLY DEFERRED',
    ]);
    // Only the partial index is left on the table (and the other table's key).
    expect((await definitions('deferred')).map((row) => (row as { name: string }).name)).toEqual(['other_pkey', 'other_pkey', 'rows_late']);

    await pool.query(`INSERT INTO deferred.rows SELECT 'r' || n, 'c' || n, n, now(), CASE WHEN n % 3 = 0 THEN 'late' ELSE 'early' END FROM generate_series(1, 2000) n`);
    await makeIndexes(inBuild, make);
    expect(await definitions('deferred')).toEqual(before);
    // The keys hold again.
    await expect(pool.query(`INSERT INTO deferred.rows VALUES ('r1', 'new', 9999, now(), 'x')`)).rejects.toThrow(/rows_pkey/);
  });

  it('lets an autovacuum in the way give way after 50 ms, for the transaction only, and leaves a role that may not set that as it was', async () => {
    const inside = await inTransaction(pool, async (client) => {
      await client.query(AUTOVACUUM_GIVES_WAY);
      return (await client.query<{ deadlock_timeout: string }>('SHOW deadlock_timeout')).rows[0].deadlock_timeout;
    });
    expect(inside).toBe('50ms');
    expect((await pool.query<{ deadlock_timeout: string }>('SHOW deadlock_timeout')).rows[0].deadlock_timeout).toBe('1s');

    const role = `deferred_${process.pid}_${Date.now()}`;
    await pool.query(`CREATE ROLE ${role} LOGIN PASSWORD 'reader'`);
    const url = new URL(database.url);
    url.username = role;
    url.password = 'reader';
    const reader = new Pool({ connectionString: url.toString(), max: 1 });
    try {
      const theirs = await inTransaction(reader, async (client) => {
        await client.query(AUTOVACUUM_GIVES_WAY);
        return (await client.query<{ deadlock_timeout: string }>('SHOW deadlock_timeout')).rows[0].deadlock_timeout;
      });
      expect(theirs).toBe('1s');
    } finally {
      await reader.end();
      await pool.query(`DROP ROLE ${role}`);
    }
  });
});
