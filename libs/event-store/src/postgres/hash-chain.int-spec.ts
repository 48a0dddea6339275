import { Pool } from 'pg';
import { PostgresEventStore } from './postgres-event-store';
import { verifyHashChains, type HashChainReport } from './hash-chain';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { newEvent } from '../../../../test/contract/event-store.contract';
import { eventAt, named, sealEverything, storedEvents } from '../../../../test/support/chain-fixtures';

let database: TestDatabase;
let store: PostgresEventStore;
let sql: Pool;
/** Small pages, several in flight: every check below also crosses page boundaries. */
const verify = (): Promise<HashChainReport> => verifyHashChains(sql, { pageSize: 4, concurrency: 3 });
const stored = () => storedEvents(sql);
const at = (streamId: string, streamPosition: number) => eventAt(sql, streamId, streamPosition);

// The log every tampering test starts from, in global order, all of it sealed:
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
  // Idempotent retries (single and multi-event) are no-op successes and write nothing.
  expect(await store.append('a', [retried], { expectedVersion: 2 })).toMatchObject({ written: false });
  expect(await store.append('a', first, { expectedVersion: 'no_stream' })).toMatchObject({ written: false });
  await sealEverything(sql);
  await sql.query(`CREATE TABLE public.events_copy AS SELECT * FROM event_store.events;
                   CREATE TABLE public.seals_copy AS SELECT * FROM event_store.seals;
                   CREATE TABLE public.head_copy AS SELECT * FROM event_store.seal_head`);
});
// Tampering is committed (the verifier reads through other connections), so every test starts from the copy.
beforeEach(() =>
  sql.query(`TRUNCATE event_store.events, event_store.seals, event_store.seal_head;
             INSERT INTO event_store.events OVERRIDING SYSTEM VALUE SELECT * FROM public.events_copy;
             INSERT INTO event_store.seals SELECT * FROM public.seals_copy;
             INSERT INTO event_store.seal_head SELECT * FROM public.head_copy`),
);
afterAll(async () => {
  await sql.end();
  await store.close();
  await database.drop();
});

const RECOMPUTE_STREAM_LINK = `UPDATE event_store.events e
    SET stream_hash = event_store.event_link(coalesce(p.stream_hash, ''::bytea), e.global_position, e.recorded_at,
          event_store.event_digest(e.stream_id, e.stream_position, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.occurred_at))
   FROM (SELECT x.event_id, (SELECT y.stream_hash FROM event_store.events y WHERE y.stream_id = x.stream_id AND y.stream_position = x.stream_position - 1) AS stream_hash
           FROM event_store.events x WHERE x.event_id = $1) p
  WHERE e.event_id = p.event_id`;

it('an untouched, sealed log verifies clean: single appends, a multi-event append, a batch, idempotent retries', async () => {
  const events = await stored();
  expect(events.map((e) => `${e.stream_id}/${e.stream_position}`)).toEqual(['a/1', 'a/2', 'b/1', 'a/3', 'c/1', 'c/2', 'b/2', 'a/4', 'c/3']);
  const last = (await sql.query(`SELECT global_position, encode(hash, 'hex') AS hash FROM event_store.seals WHERE seq = 9`)).rows[0];
  expect(await verify()).toEqual({
    ok: true, events: 9, streams: 3, head: { seq: 9, position: Number(last.global_position), hash: last.hash }, pending: { events: 0, oldestSeconds: 0 },
  });
  expect(await verifyHashChains(sql)).toEqual(await verify());
});

it('an altered data field is named by its stream chain; with its stream link recomputed, by its seal', async () => {
  const target = await at('a', 3);
  await sql.query(`UPDATE event_store.events SET data = jsonb_set(data, '{n}', '4') WHERE event_id = $1`, [target.event_id]);
  expect(await verify()).toEqual({ ok: false, chain: 'stream', ...named(target), reason: expect.stringMatching(/altered or moved after it was appended/) });
  await sql.query(RECOMPUTE_STREAM_LINK, [target.event_id]);
  expect(await verify()).toEqual({ ok: false, chain: 'global', ...named(target), reason: expect.stringMatching(/stream hash was rewritten after it was sealed/) });
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
  expect(await verify()).toMatchObject({ ok: false, chain: 'stream', ...named({ ...second, global_position: first.global_position }) });
});

it('a removed event is named by its seal at its own position, before its stream names the gap', async () => {
  const removed = await at('a', 3);
  await sql.query('DELETE FROM event_store.events WHERE event_id = $1', [removed.event_id]);
  expect(await verify()).toEqual({
    ok: false, chain: 'global', streamId: null, streamPosition: null, eventId: null, globalPosition: Number(removed.global_position),
    reason: expect.stringMatching(/is missing: it was removed after it was sealed/),
  });
  // Its seal removed too: the next sealed event names the gap in the seals (earlier in the log than a/4, whose stream
  // names the missing position).
  await sql.query('DELETE FROM event_store.seals WHERE global_position = $1', [removed.global_position]);
  expect(await verify()).toEqual({ ok: false, chain: 'global', ...named(await at('c', 1)), reason: 'seal 4, the one before its seal, is missing: a seal was removed' });
  await sql.query('DELETE FROM event_store.seals WHERE seq > 4');
  await sql.query(`UPDATE event_store.seal_head SET seq = 3, global_position = $1, hash = (SELECT hash FROM event_store.seals WHERE seq = 3)`, [(await at('b', 1)).global_position]);
  expect(await verify()).toEqual({ ok: false, chain: 'stream', ...named(await at('a', 4)), reason: 'stream position 3 of its stream is missing: an event was removed' });
});

it('a removed seal is named at the event sealed after it', async () => {
  const seals = (await sql.query<{ global_position: string }>('SELECT global_position FROM event_store.seals ORDER BY seq')).rows;
  await sql.query('DELETE FROM event_store.seals WHERE seq = 4');
  const next = (await stored()).find((e) => e.global_position === seals[4].global_position)!;
  expect(await verify()).toMatchObject({ ok: false, chain: 'global', ...named(next), reason: 'seal 4, the one before its seal, is missing: a seal was removed' });
});

it('a truncated tail is caught: by the seals while they remain, by the seal head once they are gone too', async () => {
  const last = (await sql.query<{ global_position: string }>('SELECT global_position FROM event_store.seals WHERE seq = 9')).rows[0];
  await sql.query('DELETE FROM event_store.events WHERE global_position = $1', [last.global_position]);
  expect(await verify()).toMatchObject({ ok: false, chain: 'global', globalPosition: Number(last.global_position), reason: expect.stringMatching(/removed after it was sealed/) });
  await sql.query('DELETE FROM event_store.seals WHERE seq = 9');
  expect(await verify()).toEqual({
    ok: false, chain: 'global', streamId: null, streamPosition: null, eventId: null, globalPosition: Number(last.global_position),
    reason: expect.stringMatching(/names seal 9 .* the seals end at 8: seals at the end were removed/),
  });
});

it('an altered seal head is named', async () => {
  await sql.query(`UPDATE event_store.seal_head SET hash = sha256('forged')`);
  expect(await verify()).toMatchObject({ ok: false, chain: 'global', reason: expect.stringMatching(/the head or the last seal was altered/) });
});

it('altered data with its own stream hash recomputed is caught by its seal, before the next link of its stream', async () => {
  const target = await at('c', 1);
  await sql.query(`UPDATE event_store.events SET data = jsonb_build_object('forged', true) WHERE event_id = $1`, [target.event_id]);
  await sql.query(RECOMPUTE_STREAM_LINK, [target.event_id]);
  expect(await verify()).toEqual({ ok: false, chain: 'global', ...named(target), reason: expect.stringMatching(/its seal \(\d+\) does not match its stream hash/) });
});

it('a row written with plain SQL, around the append functions, is named, sealed or not', async () => {
  await sql.query(
    `INSERT INTO event_store.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
     VALUES ('d', 1, gen_random_uuid(), 'Forged', 1, '{}', '{}', now())`,
  );
  const forged = await at('d', 1);
  expect(await verify()).toMatchObject({ ok: false, chain: 'stream', ...named(forged), reason: expect.stringMatching(/no stream hash/) });
  await sealEverything(sql);
  expect(await verify()).toMatchObject({ ok: false, chain: 'stream', ...named(forged), reason: expect.stringMatching(/no stream hash/) });
});

it('a row slipped into the sealed part of the log, with a valid stream link and an old transaction id, is named', async () => {
  await sql.query(
    `INSERT INTO event_store.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at, transaction_id)
     VALUES ('d', 1, gen_random_uuid(), 'Forged', 1, '{}', '{}', now(), '3'::xid8)`,
  );
  const forged = await at('d', 1);
  await sql.query(RECOMPUTE_STREAM_LINK, [forged.event_id]);
  expect(await verify()).toEqual({ ok: false, chain: 'global', ...named(forged), reason: 'it lies inside the sealed part of the log but has no seal: it was inserted after sealing' });
});

it('unsealed events are pending while young, an alarm once older than the alarm age', async () => {
  await store.append('e', [newEvent('Late')]);
  const late = await at('e', 1);
  expect(await verify()).toMatchObject({ ok: true, events: 10, head: { seq: 9 }, pending: { events: 1 } });
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect(await verifyHashChains(sql, { sealAlarmSeconds: 1 })).toEqual({
    ok: false, chain: 'global', ...named(late), reason: expect.stringMatching(/waited \d+ s to be sealed \(alarm after 1 s; 1 events unsealed\)/),
  });
  await sealEverything(sql);
  expect(await verifyHashChains(sql, { sealAlarmSeconds: 1 })).toMatchObject({ ok: true, events: 10, head: { seq: 10, position: Number(late.global_position) } });
});

it('concurrent appends and batches from several connections to several streams, sealed while they run, verify clean', async () => {
  const stores = Array.from({ length: 4 }, () => new PostgresEventStore({ connectionString: database.url, max: 4 }));
  let writing = true;
  const sealing = (async () => {
    while (writing) await sealEverything(sql).catch(() => undefined);
  })();
  try {
    const streams = Array.from({ length: 8 }, (_, i) => `concurrent-${i}`);
    await Promise.all(
      stores.flatMap((writer, w) => [
        ...Array.from({ length: 30 }, (_, i) => writer.append(streams[(w + i) % streams.length], [newEvent('Step', { w, i })])),
        ...Array.from({ length: 3 }, (_, i) => writer.append(streams[(w * 3 + i) % streams.length], [newEvent('Pair', { i }), newEvent('Pair', { i })])),
        writer.appendBatch([{ streamId: `batch-${w}`, events: Array.from({ length: 25 }, (_, i) => newEvent('Imported', { i })), expectedVersion: 'no_stream' }]),
      ]),
    );
  } finally {
    writing = false;
    await sealing;
    await Promise.all(stores.map((writer) => writer.close()));
  }
  await sealEverything(sql);
  expect(await verify()).toMatchObject({ ok: true, events: 9 + 4 * (30 + 6 + 25), streams: 3 + 8 + 4, head: { seq: 9 + 4 * (30 + 6 + 25) } });
});
