import { Pool } from 'pg';
import { PostgresEventStore } from './postgres-event-store';
import { verifyHashChains, type HashChainReport } from './hash-chain';
import { migrate } from '../../../postgres/src';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { newEvent } from '../../../../test/contract/event-store.contract';
import { migrationsBeforeRoutineFiles } from '../../../../test/fixtures/schema-before-routine-files';

let database: TestDatabase;
let store: PostgresEventStore;
let sql: Pool;
/** Small pages, several in flight: every check below also crosses page boundaries. */
const verify = (): Promise<HashChainReport> => verifyHashChains(sql, { pageSize: 4, concurrency: 3 });

interface Stored {
  global_position: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
}
const stored = async (): Promise<Stored[]> =>
  (await sql.query<Stored>('SELECT global_position, stream_id, stream_position, event_id FROM event_store.events ORDER BY global_position')).rows;
const at = async (streamId: string, streamPosition: number): Promise<Stored> => {
  const row = (await stored()).find((e) => e.stream_id === streamId && Number(e.stream_position) === streamPosition);
  if (!row) throw new Error(`no event at ${streamId}/${streamPosition}`);
  return row;
};
const named = (event: Stored) => ({ streamId: event.stream_id, streamPosition: Number(event.stream_position), globalPosition: Number(event.global_position), eventId: event.event_id });

// The log every tampering test starts from, in global order:
//   a/1 a/2 (one append of two events), b/1, a/3, c/1 c/2 b/2 (one batch), a/4 (single), c/3 (single)
beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
  sql = new Pool({ connectionString: database.url });
  const first = [newEvent('Registered', { name: 'Ana' }), newEvent('TripBooked', { amount: { value: 1999, currency: 'EUR' } })];
  await store.append('a', first, { expectedVersion: 'no_stream' });
  await store.append('b', [newEvent('Registered', { name: 'Bo', note: 'tab\there "quoted" Ωμέγα 🌍' })]);
  const retried = newEvent('TripBooked', { n: 3 }, '2024-02-29T23:59:59.999Z');
  await store.append('a', [retried], { expectedVersion: 2 });
  await store.appendBatch([
    { streamId: 'c', events: [newEvent('Registered'), newEvent('TripBooked', { nested: { z: 1, a: [1, 2.5, null] } })], expectedVersion: 'no_stream' },
    { streamId: 'b', events: [newEvent('Complained')], expectedVersion: 1 },
  ]);
  await store.append('a', [newEvent('Departed')], { expectedVersion: 3 });
  await store.append('c', [newEvent('Returned')], { expectedVersion: 2 });
  // Idempotent retries (single and multi-event) are no-op successes and leave the chain as it was.
  const head = (await sql.query('SELECT hash, last_position FROM event_store.chain_head')).rows[0];
  expect(await store.append('a', [retried], { expectedVersion: 2 })).toMatchObject({ written: false });
  expect(await store.append('a', first, { expectedVersion: 'no_stream' })).toMatchObject({ written: false });
  expect((await sql.query('SELECT hash, last_position FROM event_store.chain_head')).rows[0]).toEqual(head);
  await sql.query(`CREATE TABLE public.events_copy AS SELECT * FROM event_store.events;
                   CREATE TABLE public.head_copy AS SELECT * FROM event_store.chain_head`);
});
// Tampering is committed (the verifier reads through other connections), so every test starts from the copy.
beforeEach(() =>
  sql.query(`TRUNCATE event_store.events;
             INSERT INTO event_store.events OVERRIDING SYSTEM VALUE SELECT * FROM public.events_copy;
             DELETE FROM event_store.chain_head; INSERT INTO event_store.chain_head SELECT * FROM public.head_copy`),
);
afterAll(async () => {
  await sql.end();
  await store.close();
  await database.drop();
});

it('an untouched log verifies clean: single appends, a multi-event append, a batch, idempotent retries', async () => {
  const events = await stored();
  expect(events.map((e) => `${e.stream_id}/${e.stream_position}`)).toEqual(['a/1', 'a/2', 'b/1', 'a/3', 'c/1', 'c/2', 'b/2', 'a/4', 'c/3']);
  const last = (await sql.query('SELECT encode(global_hash, $2) AS hash FROM event_store.events WHERE global_position = $1', [events[8].global_position, 'hex'])).rows[0];
  expect(await verify()).toEqual({ ok: true, events: 9, streams: 3, head: { position: Number(events[8].global_position), hash: last.hash } });
  expect(await verifyHashChains(sql)).toEqual(await verify());
});

it('an altered data field is named, by the stream chain and by the global chain alone', async () => {
  const target = await at('a', 3);
  await sql.query(`UPDATE event_store.events SET data = jsonb_set(data, '{n}', '4') WHERE event_id = $1`, [target.event_id]);
  expect(await verify()).toEqual({ ok: false, chain: 'stream', ...named(target), reason: expect.stringMatching(/altered after it was appended/) });
  // Recompute its stream link only: the global chain still names the event.
  await sql.query(
    `UPDATE event_store.events e SET stream_hash = event_store.event_link(p.stream_hash, e.global_position, e.recorded_at,
            event_store.event_digest(e.stream_id, e.stream_position, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.occurred_at))
       FROM event_store.events p WHERE p.stream_id = e.stream_id AND p.stream_position = e.stream_position - 1 AND e.event_id = $1`,
    [target.event_id],
  );
  expect(await verify()).toMatchObject({ ok: false, chain: 'global', ...named(target) });
});

it('altered metadata is named', async () => {
  const target = await at('c', 2);
  await sql.query(`UPDATE event_store.events SET metadata = jsonb_set(metadata, '{actor,id}', '"someone-else"') WHERE event_id = $1`, [target.event_id]);
  expect(await verify()).toMatchObject({ ok: false, chain: 'stream', ...named(target) });
});

it('an altered instant or type is named, whatever the session time zone', async () => {
  const target = await at('b', 1);
  await sql.query(`UPDATE event_store.events SET occurred_at = occurred_at + interval '1 microsecond' WHERE event_id = $1`, [target.event_id]);
  expect(await verify()).toMatchObject({ ok: false, ...named(target) });
  await sql.query(`UPDATE event_store.events SET occurred_at = occurred_at - interval '1 microsecond', type = 'Other' WHERE event_id = $1`, [target.event_id]);
  expect(await verify()).toMatchObject({ ok: false, ...named(target) });
  await sql.query(`UPDATE event_store.events SET type = 'Registered', recorded_at = recorded_at + interval '1 microsecond' WHERE event_id = $1`, [target.event_id]);
  expect(await verify()).toMatchObject({ ok: false, ...named(target) });
  await sql.query(`UPDATE event_store.events SET recorded_at = recorded_at - interval '1 microsecond' WHERE event_id = $1`, [target.event_id]);
  const other = new Pool({ connectionString: database.url, options: '-c TimeZone=Asia/Kathmandu -c DateStyle=SQL,DMY' });
  try {
    expect(await verifyHashChains(other)).toMatchObject({ ok: true, events: 9 });
  } finally {
    await other.end();
  }
});

it('two events swapped between their global positions, hashes and all, are caught at the first of them', async () => {
  const [first, second] = [await at('a', 4), await at('c', 3)];
  await sql.query(`CREATE TEMP TABLE moved AS SELECT * FROM event_store.events WHERE event_id IN ('${first.event_id}', '${second.event_id}');
                   DELETE FROM event_store.events WHERE event_id IN (SELECT event_id FROM moved);
                   UPDATE moved SET global_position = CASE WHEN event_id = '${first.event_id}' THEN ${second.global_position} ELSE ${first.global_position} END;
                   INSERT INTO event_store.events OVERRIDING SYSTEM VALUE SELECT * FROM moved;
                   DROP TABLE moved`);
  expect(await verify()).toMatchObject({ ok: false, ...named({ ...second, global_position: first.global_position }) });
});

it('a removed middle event is caught: the next event of the log names the gap, its stream the missing position', async () => {
  const removed = await at('a', 3);
  const next = await at('c', 1);
  await sql.query('DELETE FROM event_store.events WHERE event_id = $1', [removed.event_id]);
  expect(await verify()).toEqual({ ok: false, chain: 'global', ...named(next), reason: expect.stringMatching(/an event between them was removed/) });
  // Removing a stream's predecessor that is also the previous event of the log: the stream chain names the gap.
  await sql.query('DELETE FROM event_store.events WHERE event_id = $1', [(await at('a', 1)).event_id]);
  expect(await verify()).toEqual({ ok: false, chain: 'stream', ...named(await at('a', 2)), reason: 'stream position 1 of its stream is missing: an event was removed' });
});

it('a truncated tail is caught by the chain head', async () => {
  const last = await at('c', 3);
  await sql.query('DELETE FROM event_store.events WHERE event_id = $1', [last.event_id]);
  expect(await verify()).toEqual({
    ok: false, chain: 'global', streamId: null, streamPosition: null, eventId: null, globalPosition: Number(last.global_position),
    reason: expect.stringMatching(/events at the end were removed/),
  });
});

it('altered data with its own hashes recomputed is caught at the next link', async () => {
  const target = await at('c', 1);
  await sql.query(`UPDATE event_store.events SET data = jsonb_build_object('forged', true) WHERE event_id = $1`, [target.event_id]);
  // Its stream link starts the stream (position 1); its global link continues from the event before it.
  await sql.query(
    `UPDATE event_store.events e
        SET stream_hash = event_store.event_link(''::bytea, e.global_position, e.recorded_at, d.digest),
            global_hash = event_store.event_link((SELECT p.global_hash FROM event_store.events p WHERE p.global_position < e.global_position
                                                   ORDER BY p.global_position DESC LIMIT 1), e.global_position, e.recorded_at, d.digest)
       FROM (SELECT event_store.event_digest(x.stream_id, x.stream_position, x.event_id, x.type, x.schema_version,
                                             x.data, x.metadata, x.occurred_at) AS digest
               FROM event_store.events x WHERE x.event_id = $1) d
      WHERE e.event_id = $1`,
    [target.event_id],
  );
  expect(await verify()).toEqual({
    ok: false, chain: 'stream', ...named(await at('c', 2)), reason: expect.stringMatching(/or that event was altered and its hashes recomputed/),
  });
});

it('a row written with plain SQL, around the append functions, is named', async () => {
  await sql.query(
    `INSERT INTO event_store.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
     VALUES ('d', 1, gen_random_uuid(), 'Forged', 1, '{}', '{}', now())`,
  );
  const forged = await at('d', 1);
  expect(await verify()).toMatchObject({ ok: false, chain: 'global', ...named(forged), reason: expect.stringMatching(/beyond the chain head/) });
  // Chained appends after it leave it inside the chain's range, without hashes.
  await store.append('d', [newEvent('After')]);
  expect(await verify()).toMatchObject({ ok: false, chain: 'stream', ...named(forged), reason: expect.stringMatching(/no stream hash/) });
});

it('concurrent appends and batches from several connections to several streams still verify clean', async () => {
  const stores = Array.from({ length: 4 }, () => new PostgresEventStore({ connectionString: database.url, max: 4 }));
  try {
    const streams = Array.from({ length: 8 }, (_, i) => `concurrent-${i}`);
    await Promise.all(
      stores.flatMap((writer, w) => [
        ...Array.from({ length: 30 }, (_, i) => writer.append(streams[(w + i) % streams.length], [newEvent('Step', { w, i })])),
        ...Array.from({ length: 3 }, (_, i) => writer.append(streams[(w * 3 + i) % streams.length], [newEvent('Pair', { i }), newEvent('Pair', { i })])),
        writer.appendBatch([{ streamId: `batch-${w}`, events: Array.from({ length: 25 }, (_, i) => newEvent('Imported', { i })), expectedVersion: 'no_stream' }]),
      ]),
    );
    expect(await verify()).toMatchObject({ ok: true, events: 9 + 4 * (30 + 6 + 25), streams: 3 + 8 + 4 });
  } finally {
    await Promise.all(stores.map((writer) => writer.close()));
  }
});

it('the migration chains the events of an existing log, and appends continue the chain', async () => {
  const old = await createTestDatabase();
  const legacy = new PostgresEventStore({ connectionString: old.url });
  try {
    // The first release: the events table and its append functions, before the chain.
    await migrate(legacy.pool, 'event_store', migrationsBeforeRoutineFiles('event_store').slice(0, 1));
    await legacy.pool.query(`SELECT * FROM event_store.append_events('x', 'any', $1)`, [
      JSON.stringify([newEvent('A'), newEvent('B')].map((e) => ({ ...e, schemaVersion: 1, metadata: { ...e.metadata, eventId: e.eventId } }))),
    ]);
    await legacy.pool.query(`SELECT * FROM event_store.append_event('y', 'any', gen_random_uuid(), 'C', 1, '{"k":1}', '{}', now())`);
    await legacy.migrate();
    await legacy.append('x', [newEvent('D')], { expectedVersion: 2 });
    expect(await verifyHashChains(legacy.pool, { pageSize: 2 })).toMatchObject({ ok: true, events: 4, streams: 2 });
  } finally {
    await legacy.close();
    await old.drop();
  }
});
