import { Pool } from 'pg';
import { PostgresEventStore, Sealer, verifyHashChains } from '../../libs/event-store/src';
import { newEvent } from '../contract/event-store.contract';
import { sealOrder } from '../support/chain-fixtures';
import { spawnEngine, type EngineProcess } from '../support/engine-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Several engine processes on one database (npm run start:projector, as built): each runs a sealer, one seals at a
 * time. Under load one process is killed (SIGKILL, mid-batch or not) and every connection of the others is cut by
 * the database; the survivors carry on, and the log ends sealed exactly once, in one unbroken chain.
 */
let database: TestDatabase;
let store: PostgresEventStore;
let sql: Pool;
const processes: EngineProcess[] = [];
const output = (): string => processes.map((p) => p.output().replace(/^/gm, `${p.name}: `)).join('\n');

const startProcess = (name: string): EngineProcess => {
  const engine = spawnEngine(name, 'projector', { DATABASE_URL: database.url, SEAL_INTERVAL_MS: '10', SEAL_BATCH_SIZE: '50' });
  processes.push(engine);
  return engine;
};

const until = async (what: string, done: () => Promise<boolean>, ms = 60_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms / 1000} s; processes said:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 8, application_name: 'test-writer' });
  await store.migrate();
  sql = new Pool({ connectionString: database.url, application_name: 'test-reader' });
});
afterAll(async () => {
  for (const engine of processes) if (engine.running()) engine.child.kill('SIGKILL');
  await sql.end();
  await store.close();
  await database.drop();
});

it('two engine processes seal a log written under load exactly once, through a SIGKILL and cut connections', async () => {
  const [first, second] = [startProcess('first'), startProcess('second')];
  const sealer = new Sealer(sql);
  let written = 0;
  const writer = async (w: number, count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      if (i % 10 === 9) await store.appendBatch([{ streamId: `batch-${w}-${i}`, events: [newEvent('Imported'), newEvent('Imported')], expectedVersion: 'no_stream' }]).then(() => (written += 2));
      else await store.append(`customer-${(w + i) % 12}`, [newEvent('Step', { w, i })]).then(() => (written += 1));
    }
  };
  const load = Promise.all(Array.from({ length: 6 }, (_, w) => writer(w, 150)));

  // Both processes are up and the seal is moving.
  await until('the first seals', async () => (await sealer.status()).sealed > 50);
  first.child.kill('SIGKILL');
  // The database cuts every connection the survivor holds (a failover or an operator's pg_terminate_backend).
  const cut = await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                WHERE datname = current_database() AND application_name NOT IN ('test-writer', 'test-reader')`);
  expect(cut.rowCount).toBeGreaterThan(0);
  await load;
  const third = startProcess('third');
  await until('every event sealed', async () => (await sealer.status()).unsealed === 0);

  const order = await sealOrder(sql);
  expect(order).toHaveLength(written);
  expect(new Set(order).size).toBe(written);
  expect(await verifyHashChains(sql)).toMatchObject({ ok: true, events: written, head: { seq: written }, pending: { events: 0 } });
  // The survivors never stopped: they are still running, and said why sealing paused if it did.
  if (!second.running()) throw new Error(`the second process exited:\n${output()}`);
  expect(third.running()).toBe(true);
  expect(output()).not.toMatch(/Unhandled|TypeError|at .*\.js:\d+/);
}, 180_000);
