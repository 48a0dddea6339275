import { Client, Pool } from 'pg';
import { START, type RecordedEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';
import { declareNotAppending } from './not-appending';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { newEvent } from '../../../../test/contract/event-store.contract';

// Issue 16: a segment evaluation wrote read models in a transaction of 1.5-2.6 s, and every log reader waited for it
// (the fence is the least running transaction): each read model's lag grew by that much, p99 1.25 s at 300 commands/s.

let database: TestDatabase;
let store: PostgresEventStore;
let other: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
  other = new Pool({ connectionString: database.url, max: 2 }).on('error', () => undefined);
});
afterAll(async () => {
  await other.end();
  await store.close();
  await database.drop();
});

/** Reads on from `after` for up to `ms` (other test files' transactions on the server hold every reader back for a moment). */
const readFor = async (after: string, ms: number, stream: string): Promise<RecordedEvent[]> => {
  const seen: RecordedEvent[] = [];
  let checkpoint = after;
  const deadline = Date.now() + ms;
  while (!seen.length && Date.now() < deadline) {
    const batch = await store.readAll(checkpoint, 1000);
    seen.push(...batch.events.filter((e) => e.streamId === stream));
    checkpoint = batch.checkpoint;
    if (!batch.events.length) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return seen;
};

/** The writers still open: a test that fails midway must not leave one open, which would hold every reader on the server. */
const open = new Set<() => Promise<void>>();
afterEach(async () => {
  for (const end of open) await end().catch(() => undefined);
});

/** A transaction that writes a table (so it has an id) and stays open until `end` is called. */
const openWriter = async (declare: boolean): Promise<{ end: () => Promise<void>; xid: string }> => {
  const client = await other.connect();
  await client.query('BEGIN');
  const end = async (): Promise<void> => {
    open.delete(end);
    await client.query('COMMIT');
    client.release();
  };
  open.add(end);
  if (declare) await declareNotAppending(client, store.pool);
  await client.query('CREATE TEMP TABLE IF NOT EXISTS scratch (n int); INSERT INTO scratch VALUES (1)');
  const xid = (await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid;
  return { xid, end };
};

it('an open transaction that writes holds readers back, unless it is declared not to append', async () => {
  const { checkpoint: head } = await store.readAll(START, 1_000_000);
  const undeclared = await openWriter(false);
  await store.append('behind-undeclared', [newEvent('Booked')]);
  expect(await readFor(head, 300, 'behind-undeclared')).toEqual([]);
  await undeclared.end();
  expect(await readFor(head, 10_000, 'behind-undeclared')).toHaveLength(1);

  const { checkpoint: next } = await store.readAll(START, 1_000_000);
  const declared = await openWriter(true);
  await store.append('behind-declared', [newEvent('Booked')]);
  // Read while the declared transaction is still open.
  expect(await readFor(next, 10_000, 'behind-declared')).toHaveLength(1);
  await declared.end();
});

it('a declared transaction passes by only itself: an appender open beside it still holds readers back', async () => {
  const { checkpoint: head } = await store.readAll(START, 1_000_000);
  const declared = await openWriter(true);
  const appender = new Client({ connectionString: database.url });
  await appender.connect();
  await appender.query('BEGIN');
  const late = newEvent('Late');
  await appender.query(`SELECT * FROM event_store.append_events('late-appender', 'any', $1)`, [
    JSON.stringify([{ ...late, schemaVersion: 1, metadata: { ...late.metadata, eventId: late.eventId } }]),
  ]);
  await store.append('after-appender', [newEvent('Booked')]);
  expect(await readFor(head, 300, 'after-appender')).toEqual([]);
  await appender.query('COMMIT');
  await appender.end();
  // In commit order: the late appender's event comes first, nothing was stepped over.
  const read = await readFor(head, 10_000, 'after-appender');
  expect(read).toHaveLength(1);
  const both = (await store.readAll(head, 1_000_000)).events.filter((e) => ['late-appender', 'after-appender'].includes(e.streamId)).map((e) => e.streamId);
  expect(both).toEqual(['late-appender', 'after-appender']);
  await declared.end();
});

it('keeps the declarations of running transactions only: ended ones go with the next declaration', async () => {
  const first = await openWriter(true);
  await first.end();
  // Ended means below the server's oldest running transaction, which another test file's transaction (another
  // database, same server) may hold back for a while: the next declarations remove it once that one has ended too.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const next = await openWriter(true);
    const { rows } = await store.pool.query<{ xid: string }>('SELECT xid::text FROM event_store.not_appending');
    const kept = rows.map((row) => row.xid);
    await next.end();
    expect(kept).toContain(next.xid);
    if (kept.length === 1 || Date.now() > deadline) {
      expect(kept).toEqual([next.xid]);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
