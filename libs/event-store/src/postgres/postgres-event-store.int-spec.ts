import { Client } from 'pg';
import { START, WrongExpectedVersion, compareCheckpoints, type RecordedEvent } from '../event-store.port';
import { PostgresEventStore, READ_STREAMS_SQL, STREAM_VERSIONS_SQL } from './postgres-event-store';
import { migrate } from '../../../postgres/src';
import { EVENT_STORE_MIGRATIONS } from './event-store.migrations';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { newEvent } from '../../../../test/contract/event-store.contract';

let database: TestDatabase;
let store: PostgresEventStore;
beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
});
/** Reads on from `after` until `count` events of `streams` arrived: other databases' transactions on the same server may delay visibility. */
const readUntil = async (after: string, count: number, streams: string[], reader: PostgresEventStore = store): Promise<RecordedEvent[]> => {
  const seen: RecordedEvent[] = [];
  let checkpoint = after;
  const deadline = Date.now() + 10_000;
  while (seen.length < count && Date.now() < deadline) {
    const batch = await reader.readAll(checkpoint, 1000);
    seen.push(...batch.events.filter((e) => streams.includes(e.streamId)));
    checkpoint = batch.checkpoint;
    if (!batch.events.length) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return seen;
};

afterAll(async () => {
  await store.close();
  await database.drop();
});

it('migrations are safe to run twice, and concurrently', async () => {
  await Promise.all([store.migrate(), store.migrate(), migrate(store.pool, 'event_store', EVENT_STORE_MIGRATIONS)]);
  const { rows } = await store.pool.query(`SELECT version FROM migrations.applied WHERE component = 'event_store' ORDER BY version`);
  expect(rows.map((row) => row.version)).toEqual(EVENT_STORE_MIGRATIONS.map((m) => m.version));
});

it('reads the instants an event was given, whatever time zone the session is in', async () => {
  // A database on a server that is not in UTC prints timestamps with another offset: read through a Date then.
  const zoned = new PostgresEventStore({ connectionString: database.url, options: '-c TimeZone=Asia/Kolkata' });
  try {
    const instants = ['2019-01-05T09:00:00.000Z', '2024-02-29T23:59:59.999Z', '1999-12-31T18:30:00.120Z'];
    const appended = await zoned.append('customer-zoned', instants.map((occurredAt) => newEvent('Zoned', {}, occurredAt)));
    const printed = await zoned.pool.query(`SELECT occurred_at::text AS at FROM event_store.events WHERE stream_id = 'customer-zoned' ORDER BY stream_position`);
    expect(printed.rows.map((row) => row.at)).toEqual(['2019-01-05 14:30:00+05:30', '2024-03-01 05:29:59.999+05:30', '2000-01-01 00:00:00.12+05:30']);
    for (const reader of [zoned, store]) {
      expect((await reader.readStream('customer-zoned')).map((event) => event.occurredAt)).toEqual(instants);
      expect((await reader.readStreams(['customer-zoned'])).get('customer-zoned')!.map((event) => event.occurredAt)).toEqual(instants);
      expect((await readUntil(START, instants.length, ['customer-zoned'], reader)).map((event) => event.occurredAt)).toEqual(instants);
      const read = await reader.readStream('customer-zoned', { direction: 'backward', limit: 1 });
      expect(read[0].recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Math.abs(Date.parse(read[0].recordedAt) - Date.now())).toBeLessThan(60_000);
    }
    expect(appended.position).toBeGreaterThan(0);
  } finally {
    await zoned.close();
  }
});

it('a conflict loser burns no global position', async () => {
  const stream = 'customer-burn';
  const first = await store.append(stream, [newEvent('A')]);
  await expect(store.append(stream, [newEvent('B')], { expectedVersion: 'no_stream' })).rejects.toThrow('expected version');
  const next = await store.append('customer-burn-2', [newEvent('C')]);
  expect(next.position).toBe(first.position + 1);
});

it('never skips an event behind a transaction still open: a later append to another stream commits at once, readers stop before both', async () => {
  const { checkpoint: head } = await store.readAll(START, 1_000_000);
  const slow = new Client({ connectionString: database.url });
  await slow.connect();
  try {
    // The slow writer appends and keeps its transaction open...
    await slow.query('BEGIN');
    const event = newEvent('Slow');
    await slow.query(`SELECT * FROM event_store.append_events('customer-slow', 'any', $1)`, [
      JSON.stringify([{ ...event, schemaVersion: 1, metadata: { ...event.metadata, eventId: event.eventId } }]),
    ]);
    const slowTransaction = (await slow.query(`SELECT pg_current_xact_id()::text AS xid`)).rows[0].xid as string;
    // ...and a fast writer on another stream commits meanwhile: no lock is shared by appends to different streams.
    const fast = await store.append('customer-fast', [newEvent('Fast')]);

    const controller = new AbortController();
    const delivered: RecordedEvent[] = [];
    const subscriber = (async () => {
      for await (const batch of store.subscribe(head, { signal: controller.signal, pollIntervalMs: 20 })) {
        delivered.push(...batch.filter((e) => e.streamId === 'customer-slow' || e.streamId === 'customer-fast'));
        if (delivered.length >= 2) controller.abort();
      }
    })();

    // While the slow one is open, a reader sees neither, and its checkpoint does not move past the slow one.
    const early = await store.readAll(head, 100);
    expect(early.events.filter((e) => e.streamId === 'customer-fast' || e.streamId === 'customer-slow')).toEqual([]);
    expect(compareCheckpoints(early.checkpoint, `${slowTransaction}:0`)).toBeLessThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(delivered).toEqual([]);

    await slow.query('COMMIT');
    await subscriber;
    expect(delivered.map((e) => e.type)).toEqual(['Slow', 'Fast']);
    expect(delivered[1].globalPosition).toBe(fast.position);
    expect(delivered[0].globalPosition).toBeLessThan(fast.position);
  } finally {
    await slow.end();
  }
});

it('keeps each stream in stream order in the global read order, under concurrent writers', async () => {
  const streams = Array.from({ length: 10 }, (_, i) => `customer-order-${i}`);
  const { checkpoint: head } = await store.readAll(START, 1_000_000);
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => store.append(streams[i % streams.length], [newEvent('Step', { i }), newEvent('Step2', { i })])),
  );
  const events = await readUntil(head, 400, streams);
  expect(events).toHaveLength(400);
  for (const stream of streams) {
    const positions = events.filter((e) => e.streamId === stream).map((e) => e.streamPosition);
    expect(positions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  }
});

describe('appendBatch', () => {
  const stream = () => `customer-${Math.random().toString(36).slice(2)}`;

  it('is all or nothing: a conflict in the second stream leaves the first unwritten', async () => {
    const [first, second] = [stream(), stream()];
    await store.append(second, [newEvent('A')]);
    await expect(
      store.appendBatch([
        { streamId: first, events: [newEvent('A')], expectedVersion: 'no_stream' },
        { streamId: second, events: [newEvent('B')], expectedVersion: 'no_stream' },
      ]),
    ).rejects.toThrow(`stream ${second}`);
    expect(await store.readStream(first)).toEqual([]);
  });

  it('writes the whole batch in one transaction, in the order given', async () => {
    const [first, second] = [stream(), stream()];
    const before = (await store.readAll(START, 1)).checkpoint;
    await store.appendBatch([
      { streamId: first, events: [newEvent('A'), newEvent('B')], expectedVersion: 'no_stream' },
      { streamId: second, events: [newEvent('C')], expectedVersion: 'any' },
    ]);
    const events = await readUntil(before, 3, [first, second]);
    expect(events.map((e) => e.type)).toEqual(['A', 'B', 'C']);
    expect(new Set(events.map((e) => e.checkpoint.split(':')[0])).size).toBe(1);
  });

  it('carries text that COPY must escape (backslashes, tabs, newlines) unchanged', async () => {
    const id = stream();
    const data = { text: 'tab\there\nnew line\\backslash\r\n"quoted" \\t', unicode: 'Ωμέγα 🌍' };
    await store.appendBatch([{ streamId: id, events: [newEvent('A', data)], expectedVersion: 'no_stream' }]);
    expect((await store.readStream(id))[0].data).toEqual(data);
  });

  it('translates a writer that slipped in between into WrongExpectedVersion, naming the stream', async () => {
    const id = stream();
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      // Hold an uncommitted row at position 1 so the batch's version check passes but its COPY then collides.
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO event_store.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
         VALUES ($1, 1, gen_random_uuid(), 'X', 1, '{}', '{}', now())`,
        [id],
      );
      const batch = store.appendBatch([{ streamId: id, events: [newEvent('A')], expectedVersion: 'no_stream' }]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.query('COMMIT');
      const error = await batch.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedVersion);
      expect(error).toMatchObject({ streamId: id, actual: 1 });
      expect((await store.readStream(id)).map((e) => e.type)).toEqual(['X']);
    } finally {
      await client.end();
    }
  });
});

describe('reading many streams at once', () => {
  it('probes the index per stream even when the statistics still describe an empty log', async () => {
    const fresh = await createTestDatabase();
    const other = new PostgresEventStore({ connectionString: fresh.url });
    try {
      await other.migrate();
      await other.pool.query('ANALYZE event_store.events');
      await other.pool.query(
        `INSERT INTO event_store.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
         SELECT 'customer-' || (n / 10), n % 10 + 1, gen_random_uuid(), 'A', 1, '{}', '{}', now() FROM generate_series(0, 49999) n`,
      );
      const ids = Array.from({ length: 1000 }, (_, i) => `customer-${i * 5}`);
      const scansOfEvents = async (sql: string): Promise<string[]> => {
        const { rows } = await other.pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, [ids]);
        const nodes: string[] = [];
        const walk = (node: Record<string, unknown>): void => {
          if (node['Relation Name'] === 'events') nodes.push(String(node['Node Type']));
          for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk(rows[0]['QUERY PLAN'][0].Plan);
        return nodes;
      };
      for (const sql of [STREAM_VERSIONS_SQL, READ_STREAMS_SQL]) {
        const scans = await scansOfEvents(sql);
        expect(scans.length).toBeGreaterThan(0);
        expect(scans.filter((scan) => scan === 'Seq Scan')).toEqual([]);
      }
      const histories = await other.readStreams(['customer-7', 'customer-4999', 'customer-none']);
      expect([...histories.keys()]).toEqual(['customer-7', 'customer-4999']);
      expect(histories.get('customer-7')!.map((e) => e.streamPosition)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await other.close();
      await fresh.drop();
    }
  });
});
