import { Pool } from 'pg';
import type { Options } from 'express-rate-limit';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { migrateApiKeys } from './api-keys';
import { SharedRateLimitStore } from './shared-rate-limit-store';

let database: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 4 });
  await migrateApiKeys(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const store = (): SharedRateLimitStore => {
  const made = new SharedRateLimitStore(pool, () => undefined, 60_000);
  made.init({ windowMs: 60_000 } as Options);
  return made;
};

it('two API processes count one key together: each sees the other\'s hits after a sync', async () => {
  const [a, b] = [store(), store()];
  for (let i = 0; i < 30; i++) await a.increment('api-key:k1');
  for (let i = 0; i < 20; i++) await b.increment('api-key:k1');
  expect((await b.increment('api-key:other')).totalHits).toBe(1);
  // Before a sync each knows only its own.
  expect((await a.increment('api-key:k1')).totalHits).toBe(31);
  await a.sync();
  await b.sync();
  await a.sync();
  // 31 from a, 20 from b: both see 51 and count their own on from there until the next sync.
  expect((await a.increment('api-key:k1')).totalHits).toBe(52);
  expect((await b.increment('api-key:k1')).totalHits).toBe(52);
  expect((await b.increment('api-key:other')).totalHits).toBe(2);
  // A third process that first sees the key after a sync starts from every process's count.
  const c = store();
  expect((await c.increment('api-key:k1')).totalHits).toBe(52);
  const { rows } = await pool.query('SELECT key, hits::int AS hits FROM auth.rate_limit_hits ORDER BY key');
  expect(rows).toEqual([
    { key: 'api-key:k1', hits: 51 },
    { key: 'api-key:other', hits: 1 },
  ]);
  await Promise.all([a, b, c].map((made) => made.shutdown()));
});

it('counts on alone while the database cannot be reached', async () => {
  const broken = new Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 200 });
  const lines: string[] = [];
  const alone = new SharedRateLimitStore(broken, (line) => lines.push(line), 60_000);
  alone.init({ windowMs: 60_000 } as Options);
  for (let i = 0; i < 5; i++) await alone.increment('address:1.2.3.4');
  await alone.sync();
  expect((await alone.increment('address:1.2.3.4')).totalHits).toBe(6);
  expect(lines).toEqual([expect.stringContaining('counting in this process alone')]);
  await alone.shutdown();
  await broken.end();
});

// At every SIGTERM the engine logged "rate-limit counts not shared (Cannot use a pool after calling end on the pool)":
// the store's timer synced once more after the pool was closed.
it('stops syncing quietly once its pool is closed, as the engine stops', async () => {
  const closing = new Pool({ connectionString: database.url, max: 1 });
  const lines: string[] = [];
  const made = new SharedRateLimitStore(closing, (line) => lines.push(line), 60_000);
  made.init({ windowMs: 60_000 } as Options);
  await made.increment('address:5.6.7.8');
  await made.sync();
  await made.increment('address:5.6.7.8');
  await closing.end();
  await made.sync();
  expect(lines).toEqual([]);
});
