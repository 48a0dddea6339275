import { Client, Pool } from 'pg';
import { PostgresEventStore } from './postgres-event-store';
import { Sealer } from './sealer';
import { verifyHashChains } from './hash-chain';
import { migrate } from '../../../postgres/src';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { newEvent } from '../../../../test/contract/event-store.contract';
import { sealEverything, sealOrder } from '../../../../test/support/chain-fixtures';
import { migrationsBeforeRoutineFiles } from '../../../../test/fixtures/schema-before-routine-files';

let database: TestDatabase;
let store: PostgresEventStore;
let sql: Pool;

beforeEach(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
  sql = new Pool({ connectionString: database.url });
});
afterEach(async () => {
  await sql.end();
  await store.close();
  await database.drop();
});

const oneEvent = (stream: string) => [stream, 'any', newEvent('Step').eventId, 'Step', 1, '{}', '{}', '2025-01-01T00:00:00Z'];
const APPEND_ONE = 'SELECT last_position FROM event_store.append_event($1, $2, $3, $4, $5, $6, $7, $8)';

it('a writer that commits after a higher position is sealed in commit-safe order, and nothing is sealed past it while it runs', async () => {
  const slow = new Client({ connectionString: database.url });
  await slow.connect();
  try {
    await slow.query('BEGIN');
    await slow.query('SELECT pg_current_xact_id()'); // its transaction id is older than the quick writer's
    const quick = (await store.append('quick', [newEvent('Step')])).position;
    const sealer = new Sealer(sql);
    // The quick event is committed, but the slow transaction may still commit below it: the fence holds it back.
    expect(await sealer.sealAll()).toBe(0);
    expect(await sealer.status()).toMatchObject({ sealed: 0, unsealed: 1 });
    const late = Number((await slow.query<{ last_position: string }>(APPEND_ONE, oneEvent('slow'))).rows[0].last_position);
    await slow.query('COMMIT');
    expect(late).toBeGreaterThan(quick);
    await sealEverything(sql);
    // Sealed in (transaction id, position) order, the order readers take: the slow writer's event first.
    expect(await sealOrder(sql)).toEqual([late, quick]);
    expect(await verifyHashChains(sql)).toMatchObject({ ok: true, events: 2, head: { seq: 2, position: quick }, pending: { events: 0 } });
  } finally {
    await slow.end();
  }
});

it('a batch seals at most its limit, with its seal rows and the checkpoint together', async () => {
  for (let i = 0; i < 5; i++) await store.append(`s-${i}`, [newEvent('Step')]);
  const sealer = new Sealer(sql, 2);
  const rounds: number[] = [];
  // A round may seal nothing while another test file's transaction holds the server-wide fence: it waits, up to 10 s.
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && (await sealer.status()).unsealed > 0; ) {
    const { sealed } = await sealer.sealOnce();
    rounds.push(sealed);
    if (sealed === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Another file's transaction may let part of a batch through (2, 1, 2): what holds is the limit and the total.
  const sealing = rounds.filter((n) => n > 0);
  expect(Math.max(...sealing)).toBe(2);
  expect(sealing.length).toBeGreaterThanOrEqual(3);
  expect(sealing.reduce((a, b) => a + b, 0)).toBe(5);
  expect(await sealer.status()).toMatchObject({ sealed: 5, unsealed: 0, lagSeconds: 0 });
  expect(await sealOrder(sql)).toHaveLength(5);
});

it('two sealers on their own connections, running while writers append, seal every event exactly once', async () => {
  const pools = [new Pool({ connectionString: database.url, max: 2 }), new Pool({ connectionString: database.url, max: 2 })];
  const sealers = pools.map((pool) => new Sealer(pool, 7));
  let writing = true;
  const busy = [0, 0];
  const loops = sealers.map(async (sealer, i) => {
    while (writing) {
      const round = await sealer.sealOnce();
      if (round.busy) busy[i]++;
    }
  });
  try {
    await Promise.all(Array.from({ length: 8 }, (_, w) => (async () => {
      for (let i = 0; i < 40; i++) await store.append(`writer-${w % 3}`, [newEvent('Step', { w, i })]);
    })()));
  } finally {
    writing = false;
    await Promise.all(loops);
  }
  await sealEverything(sql);
  const order = await sealOrder(sql);
  expect(order).toHaveLength(320);
  expect(new Set(order).size).toBe(320);
  expect(await verifyHashChains(sql)).toMatchObject({ ok: true, events: 320, head: { seq: 320 } });
  await Promise.all(pools.map((pool) => pool.end()));
});

it('a sealer killed mid-batch loses its batch, and the next one seals from the checkpoint: nothing lost or doubled', async () => {
  for (let i = 0; i < 30; i++) await store.append(`s-${i % 4}`, [newEvent('Step', { i })]);
  const first = new Sealer(sql, 10);
  for (const deadline = Date.now() + 10_000; (await first.status()).sealed < 10 && Date.now() < deadline; ) {
    if ((await first.sealOnce()).sealed === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const dying = new Client({ connectionString: database.url });
  await dying.connect();
  dying.on('error', () => undefined);
  // Its batch of 15, uncommitted (a round that another test file's transaction fenced off is rolled back and tried again).
  for (const deadline = Date.now() + 10_000; ; ) {
    await dying.query('BEGIN');
    if ((await dying.query('SELECT sealed FROM event_store.seal(15)')).rows[0].sealed === 15) break;
    await dying.query('ROLLBACK');
    if (Date.now() > deadline) throw new Error('the fence held sealing back for 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // The process dies before it commits: its connection is cut.
  await sql.query('SELECT pg_terminate_backend($1)', [(dying as unknown as { processID: number }).processID]);
  await dying.end().catch(() => undefined);
  expect(await new Sealer(sql).status()).toMatchObject({ sealed: 10, unsealed: 20 });
  await sealEverything(sql);
  expect(await sealOrder(sql)).toHaveLength(30);
  expect(await verifyHashChains(sql)).toMatchObject({ ok: true, events: 30, head: { seq: 30 } });
});

describe('an existing log chained at append (before sealing) migrates', () => {
  let old: TestDatabase;
  const legacyLog = async (): Promise<PostgresEventStore> => {
    old = await createTestDatabase();
    const legacy = new PostgresEventStore({ connectionString: old.url });
    await migrate(legacy.pool, 'event_store', migrationsBeforeRoutineFiles('event_store'));
    await legacy.pool.query(`SELECT * FROM event_store.append_events('x', 'any', $1)`, [
      JSON.stringify([newEvent('A'), newEvent('B')].map((e) => ({ ...e, schemaVersion: 1, metadata: { ...e.metadata, eventId: e.eventId } }))),
    ]);
    await legacy.pool.query(`SELECT * FROM event_store.append_event('y', 'any', gen_random_uuid(), 'C', 1, '{"k":1}', '{}', now())`);
    await legacy.pool.query(`SELECT * FROM event_store.append_event('x', 'any', gen_random_uuid(), 'D', 1, '{}', '{}', now())`);
    return legacy;
  };
  const dropLegacy = async (legacy: PostgresEventStore): Promise<void> => {
    await legacy.close();
    await old.drop();
  };

  it('its events are sealed by the upgrade, and appends and seals continue', async () => {
    const legacy = await legacyLog();
    try {
      await legacy.migrate();
      const columns = await legacy.pool.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'event_store' AND column_name = 'global_hash'`);
      expect(columns.rowCount).toBe(0);
      expect(await verifyHashChains(legacy.pool, { pageSize: 2 })).toMatchObject({ ok: true, events: 4, streams: 2, head: { seq: 4 } });
      await legacy.append('x', [newEvent('E')], { expectedVersion: 3 });
      await sealEverything(legacy.pool);
      expect(await verifyHashChains(legacy.pool, { pageSize: 2 })).toMatchObject({ ok: true, events: 5, head: { seq: 5 } });
    } finally {
      await dropLegacy(legacy);
    }
  });

  it('a log whose old global chain was already broken keeps that on record: the upgrade never launders it', async () => {
    const legacy = await legacyLog();
    try {
      const { rows } = await legacy.pool.query(`UPDATE event_store.events SET global_hash = sha256('forged') WHERE stream_id = 'y' RETURNING global_position`);
      await legacy.migrate();
      expect(await verifyHashChains(legacy.pool)).toEqual({
        ok: false, chain: 'global', streamId: null, streamPosition: null, eventId: null, globalPosition: Number(rows[0].global_position),
        reason: `before the upgrade to a sealed global chain, the old global chain was already broken at global position ${rows[0].global_position}`,
      });
    } finally {
      await dropLegacy(legacy);
    }
  });
});
