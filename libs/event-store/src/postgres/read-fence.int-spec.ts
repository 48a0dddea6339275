import { Client, Pool } from 'pg';
import { PostgresEventStore } from './postgres-event-store';
import { Sealer } from './sealer';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { newEvent } from '../../../../test/contract/event-store.contract';
import { START } from '../event-store.port';

/*
 * Issue 16: the read fence counts appending transactions only (routines/read-fence.sql). A read model's apply, a
 * sealer batch or an evaluation holds a transaction id for its whole run; with the cluster-wide pg_snapshot_xmin as
 * the fence each of them held every reader of the log back, which is where the lag spikes came from.
 */
let database: TestDatabase;
let store: PostgresEventStore;
let sql: Pool;
let other: Client;

beforeEach(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
  sql = new Pool({ connectionString: database.url });
  other = new Client({ connectionString: database.url });
  await other.connect();
});
afterEach(async () => {
  await other.end();
  await sql.end();
  await store.close();
  await database.drop();
});

const positions = async (): Promise<number[]> => (await store.readAll(START, 100)).events.map((e) => e.globalPosition);

it('a long writing transaction that appends nothing holds neither readers nor the sealer back', async () => {
  await other.query('BEGIN');
  await other.query('CREATE TABLE busy (n int); INSERT INTO busy VALUES (1)');
  await other.query('SELECT pg_current_xact_id()'); // older than the append below, and still running
  const { position } = await store.append('quick', [newEvent('Step')]);
  expect(await positions()).toEqual([position]);
  expect(await new Sealer(sql).sealAll()).toBe(1);
  await other.query('ROLLBACK');
});

it('an appender with an older transaction id holds readers back until it commits, then it is read first', async () => {
  await other.query('BEGIN');
  await other.query('SELECT event_store.begin_append()');
  await other.query('SELECT pg_current_xact_id()');
  const quick = (await store.append('quick', [newEvent('Step')])).position;
  expect(await positions()).toEqual([]);
  const late = Number(
    (await other.query(`SELECT last_position FROM event_store.append_event('slow', 'any', $1, 'Step', 1, '{}', '{}', now())`, [newEvent('Step').eventId])).rows[0].last_position,
  );
  expect(await positions()).toEqual([]);
  await other.query('COMMIT');
  // Commit-safe order: (transaction id, position), the slow appender's event first though its position is higher.
  expect(late).toBeGreaterThan(quick);
  expect(await positions()).toEqual([late, quick]);
});

it('refuses an append in a transaction that wrote before it (readers would not wait for it), writing nothing', async () => {
  await other.query('BEGIN');
  await other.query('CREATE TABLE busy (n int); INSERT INTO busy VALUES (1)');
  await expect(other.query(`SELECT * FROM event_store.append_event('late', 'any', $1, 'Step', 1, '{}', '{}', now())`, [newEvent('Step').eventId])).rejects.toMatchObject({
    code: 'ES003',
    message: expect.stringContaining('an append must come before anything else its transaction writes'),
  });
  await other.query('ROLLBACK');
  expect(await positions()).toEqual([]);
});

it('appends in the same transaction after its first append, and a batch after a single append, are one appender', async () => {
  await other.query('BEGIN');
  await other.query(`SELECT * FROM event_store.append_event('one', 'any', $1, 'Step', 1, '{}', '{}', now())`, [newEvent('Step').eventId]);
  await other.query(`SELECT * FROM event_store.append_event('two', 'any', $1, 'Step', 1, '{}', '{}', now())`, [newEvent('Step').eventId]);
  await other.query('SELECT event_store.open_staging()');
  await other.query('COMMIT');
  expect(await positions()).toHaveLength(2);
});
