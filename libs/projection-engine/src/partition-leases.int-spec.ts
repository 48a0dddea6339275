import type { Pool } from 'pg';
import { PostgresEventStore } from '../../event-store/src';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { PartitionLeases, leaseOwners } from './partition-leases';
import { PARTITIONS } from './partitions';
import { Projector } from './projector';

let database: TestDatabase;
let log: PostgresEventStore;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  log = new PostgresEventStore({ connectionString: database.url, max: 6 });
  await log.migrate();
  pool = log.pool;
  await new Projector(pool, log, []).migrate();
});
afterAll(async () => {
  await log.close();
  await database.drop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

it('shares the partitions fairly, moves them when a process joins, leaves or dies, and has one leader at a time', async () => {
  const options = { heartbeatMs: 100, ttlMs: 600 };
  const [a, b, c] = [0, 1, 2].map(() => new PartitionLeases(pool, options));
  expect(await a.heartbeat()).toEqual([...Array(PARTITIONS).keys()]);
  expect(a.isLeader()).toBe(true);

  // b joins: a gives back half at its next heartbeat, b takes it at its next.
  await b.heartbeat();
  await a.heartbeat();
  await b.heartbeat();
  expect([a.owned().length, b.owned().length]).toEqual([PARTITIONS / 2, PARTITIONS / 2]);
  expect(new Set([...a.owned(), ...b.owned()]).size).toBe(PARTITIONS);
  expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);

  // A third: shares of 3, 3, 2, no partition held twice.
  for (const leases of [c, a, b, c, a, b, c]) await leases.heartbeat();
  expect([a, b, c].map((l) => l.owned().length).sort()).toEqual([2, 3, 3]);
  expect(new Set([a, b, c].flatMap((l) => l.owned())).size).toBe(PARTITIONS);

  // a dies (no more heartbeats, leases not given back): after the TTL b and c take its partitions and the lead.
  await sleep(options.ttlMs + 50);
  for (const leases of [b, c, b, c]) await leases.heartbeat();
  expect([b, c].map((l) => l.owned().length)).toEqual([PARTITIONS / 2, PARTITIONS / 2]);
  expect([b.isLeader(), c.isLeader()].filter(Boolean)).toHaveLength(1);

  // c leaves cleanly: b has everything at its next heartbeat, without waiting for the TTL.
  await c.release();
  await b.heartbeat();
  expect(b.owned()).toHaveLength(PARTITIONS);
  expect(b.isLeader()).toBe(true);
  const owners = await leaseOwners(pool);
  expect(owners.map((o) => o.owner)).toEqual(Array(PARTITIONS + 1).fill(b.id));
});
