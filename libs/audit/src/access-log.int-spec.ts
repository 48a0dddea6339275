import { Pool } from 'pg';
import { BadCursor } from '../../projection-engine/src';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { listAccess, migrateAuditLog, recordAccess, type AccessEntry, type AccessQuery, type AccessRecord } from './access-log';

let database: TestDatabase;
let pool: Pool;

const read = (customerId: string, actorId: string, at?: string): AccessEntry => ({
  ...(at && { at }),
  actorId,
  actorRole: 'agent',
  endpoint: 'GET /customers/:id',
  customerId,
  outcome: 'read',
  status: 200,
  correlationId: `corr-${actorId}`,
});

/** Every page of a query, following nextCursor. */
async function allPages(query: Omit<AccessQuery, 'after'>): Promise<{ items: AccessRecord[]; pages: number }> {
  const items: AccessRecord[] = [];
  let after: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await listAccess(pool, { ...query, after });
    items.push(...page.items);
    if (!page.nextCursor) return { items, pages };
    after = page.nextCursor;
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 4 });
  expect(await migrateAuditLog(pool)).toEqual([1]);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

it('migrates once, into its own schema audit (no projection rebuild touches it)', async () => {
  expect(await migrateAuditLog(pool)).toEqual([]);
  const { rows } = await pool.query(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'access_log'`);
  expect(rows).toEqual([{ table_schema: 'audit' }]);
});

it('records a 100,000-customer export in one statement', async () => {
  const client = await pool.connect();
  try {
    const query = jest.spyOn(client, 'query');
    const entries = Array.from({ length: 100_000 }, (_, i) => ({ ...read(`export-${i}`, 'exporter'), endpoint: 'GET /exports/customers' }));
    expect(await recordAccess(client, entries)).toBe(100_000);
    expect(query).toHaveBeenCalledTimes(1);
  } finally {
    client.release();
  }
  const { rows } = await pool.query(`SELECT count(*)::int AS n, count(DISTINCT at)::int AS instants FROM audit.access_log WHERE actor_id = 'exporter'`);
  expect(rows).toEqual([{ n: 100_000, instants: 1 }]);
  expect(await recordAccess(pool, [])).toBe(0);
}, 60_000);

it('refuses a read without its customer or reader, a denial naming a customer, an unknown outcome: nothing of the batch is kept', async () => {
  const before = (await pool.query('SELECT count(*)::int AS n FROM audit.access_log')).rows[0].n;
  const denial: AccessEntry = { actorId: null, actorRole: null, endpoint: 'GET /customers/:id', customerId: null, outcome: 'unauthenticated', status: 401, correlationId: null };
  await expect(recordAccess(pool, [denial, { ...read('c-1', 'a-1'), customerId: null }])).rejects.toThrow(/access_log_read_names_customer/);
  await expect(recordAccess(pool, [denial, { ...read('c-1', 'a-1'), actorId: null }])).rejects.toThrow(/access_log_read_names_customer/);
  await expect(recordAccess(pool, [{ ...denial, outcome: 'forbidden', status: 403, customerId: 'c-1' }])).rejects.toThrow(/access_log_read_names_customer/);
  await expect(recordAccess(pool, [{ ...denial, outcome: 'peeked' as 'read' }])).rejects.toThrow(/access_log_outcome/);
  expect((await pool.query('SELECT count(*)::int AS n FROM audit.access_log')).rows[0].n).toBe(before);
});

it('lists newest first, filtered by customer, actor, outcome and [from, to), paging through rows of one instant', async () => {
  // A customer read three times at one instant and once later, by two actors; a denial between; µs are dropped.
  await recordAccess(pool, [
    read('cust-1', 'alice', '2025-03-01T10:00:00.000Z'),
    read('cust-1', 'alice', '2025-03-01T10:00:00.000Z'),
    read('cust-1', 'bob', '2025-03-01T10:00:00.000Z'),
    read('cust-2', 'bob', '2025-03-01T10:00:00.000Z'),
    { actorId: 'bob', actorRole: 'agent', endpoint: 'GET /customers/:id', customerId: null, outcome: 'forbidden', status: 403, correlationId: 'corr-x', at: '2025-03-01T11:00:00Z' },
    { endpoint: 'GET /customers', outcome: 'rate-limited', status: 429, at: '2025-03-01T11:30:00Z' },
    read('cust-1', 'bob', '2025-03-01T12:00:00.123456Z'),
  ]);
  const customer = await allPages({ customerId: 'cust-1', limit: 1 });
  expect(customer.pages).toBe(4);
  expect(customer.items.map((r) => [r.at, r.actorId])).toEqual([
    ['2025-03-01T12:00:00.123Z', 'bob'],
    ['2025-03-01T10:00:00.000Z', 'bob'],
    ['2025-03-01T10:00:00.000Z', 'alice'],
    ['2025-03-01T10:00:00.000Z', 'alice'],
  ]);
  expect(customer.items[0]).toEqual({
    id: expect.any(Number),
    at: '2025-03-01T12:00:00.123Z',
    actorId: 'bob',
    actorRole: 'agent',
    endpoint: 'GET /customers/:id',
    customerId: 'cust-1',
    outcome: 'read',
    status: 200,
    correlationId: 'corr-bob',
  });

  const bob = await allPages({ actorId: 'bob', limit: 2 });
  expect(bob.items.map((r) => [r.outcome, r.customerId])).toEqual([
    ['read', 'cust-1'],
    ['forbidden', null],
    ['read', 'cust-2'],
    ['read', 'cust-1'],
  ]);
  expect((await listAccess(pool, { actorId: 'bob', customerId: 'cust-1', limit: 10 })).items).toHaveLength(2);
  expect((await listAccess(pool, { outcome: 'rate-limited', limit: 10 })).items).toEqual([
    expect.objectContaining({ actorId: null, actorRole: null, customerId: null, correlationId: null, status: 429, at: '2025-03-01T11:30:00.000Z' }),
  ]);

  // From inclusive, to exclusive.
  const window = await allPages({ from: '2025-03-01T10:00:00Z', to: '2025-03-01T12:00:00.123Z', limit: 2 });
  expect(window.items.map((r) => r.at)).toEqual([
    '2025-03-01T11:30:00.000Z',
    '2025-03-01T11:00:00.000Z',
    '2025-03-01T10:00:00.000Z',
    '2025-03-01T10:00:00.000Z',
    '2025-03-01T10:00:00.000Z',
    '2025-03-01T10:00:00.000Z',
  ]);
  expect(new Set(window.items.map((r) => r.id)).size).toBe(6);
});

it('pages the whole log, 100,000 rows of one instant included, without a gap or a repeat', async () => {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM audit.access_log');
  const { items } = await allPages({ limit: 5_000 });
  expect(items).toHaveLength(rows[0].n);
  expect(new Set(items.map((r) => r.id)).size).toBe(rows[0].n);
  const keys = items.map((r) => `${r.at}/${String(r.id).padStart(15, '0')}`);
  expect(keys).toEqual([...keys].sort().reverse());
}, 60_000);

it('refuses a cursor that is not a nextCursor, and a limit below 1', async () => {
  const page = await listAccess(pool, { actorId: 'alice', limit: 1 });
  expect(page.nextCursor).not.toBeNull();
  const forge = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  for (const after of ['nope', forge([5, '1']), forge(['2025-03-01T10:00:00.000Z', '1 OR 1=1']), forge(['yesterday', '1'])]) {
    await expect(listAccess(pool, { actorId: 'alice', after, limit: 1 })).rejects.toThrow(BadCursor);
  }
  await expect(listAccess(pool, { limit: 0 })).rejects.toThrow(RangeError);
});
