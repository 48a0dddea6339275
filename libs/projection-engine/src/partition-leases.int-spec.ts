import type { Pool } from 'pg';
import { PostgresEventStore } from '../../event-store/src';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { PartitionLeases, leaseOwners, processLeads } from './partition-leases';
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
  await Promise.all([a, b].map((leases) => leases.release()));
});

/** Ends a process's sessions as its death would: the server ends them (SIGKILL closes its sockets). */
const die = async (leases: PartitionLeases): Promise<void> => {
  const { rowCount } = await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [leases.id]);
  expect(rowCount).toBe(1);
  await sleep(100);
};

it('takes over a killed process\'s partitions and the lead at the next heartbeat, long before its leases expire', async () => {
  const options = { heartbeatMs: 100, ttlMs: 60_000 };
  const [a, b] = [0, 1].map(() => new PartitionLeases(pool, options));
  for (const leases of [a, b, a, b]) await leases.heartbeat();
  expect([a.owned().length, b.owned().length]).toEqual([PARTITIONS / 2, PARTITIONS / 2]);
  expect(a.isLeader()).toBe(true);

  await die(a);
  await b.heartbeat();
  expect(b.owned()).toEqual([...Array(PARTITIONS).keys()]);
  expect(b.isLeader()).toBe(true);
  expect((await pool.query('SELECT id FROM projector.members')).rows).toEqual([{ id: b.id }]);

  // A process that only lost its session (the database restarted) opens another at its next heartbeat and gets its share back.
  await die(b);
  await a.heartbeat();
  expect(a.owned()).toEqual([...Array(PARTITIONS).keys()]);
  await b.heartbeat();
  await a.heartbeat();
  await b.heartbeat();
  expect([a.owned().length, b.owned().length]).toEqual([PARTITIONS / 2, PARTITIONS / 2]);
  await Promise.all([a, b].map((leases) => leases.release()));
  expect((await pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ANY($1)', [[a.id, b.id]])).rows[0].n).toBe(0);
});

it('a member from before presence (no session named after it) keeps its leases until they expire', async () => {
  const a = new PartitionLeases(pool, { heartbeatMs: 100, ttlMs: 60_000 });
  await pool.query(`INSERT INTO projector.members (id, heartbeat_at) VALUES ('old-process', now())`);
  await pool.query(`UPDATE projector.leases SET owner = 'old-process', expires_at = now() + interval '1 minute' WHERE partition < 4`);
  await a.heartbeat();
  expect(a.owned()).toEqual([4, 5, 6, 7]);
  await pool.query(`UPDATE projector.leases SET owner = NULL, expires_at = '-infinity' WHERE owner = 'old-process'`);
  await pool.query(`DELETE FROM projector.members WHERE id = 'old-process'`);
  await a.release();
});

it('tells the schedules in another thread whether this process leads, from the leader\'s lease', async () => {
  await pool.query(`UPDATE projector.leases SET owner = 'another-host:1:abcdef', expires_at = now() + interval '1 minute' WHERE partition = -1`);
  expect(await processLeads(pool)).toBe(false);
  await pool.query(`UPDATE projector.leases SET owner = NULL, expires_at = '-infinity' WHERE partition = -1`);
  const leases = new PartitionLeases(pool, { heartbeatMs: 100, ttlMs: 60_000 });
  await leases.heartbeat();
  expect(leases.isLeader()).toBe(true);
  expect(await processLeads(pool)).toBe(true);
  await leases.release();
  expect(await processLeads(pool)).toBe(false);
});
