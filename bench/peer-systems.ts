/**
 * The three systems of the peer benchmark (bench/peer.bench.ts), each in its own database on one server, behind one
 * small interface so that every path runs the same loop for all three:
 *   - this engine: PostgresEventStore from libs/event-store (append with the exact expected version, readAll);
 *   - Emmett 0.42: getPostgreSQLEventStore (appendToStream with expectedStreamVersion) and readMessagesBatch, the
 *     global-order batch read its consumers run (without the consumer's polling sleeps and checkpoint writes);
 *   - raw: autocommit INSERTs (named prepared statements) into a copy of event_store.events, keyset reads.
 */
import { randomBytes } from 'node:crypto';
import { dumbo } from '@event-driven-io/dumbo';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import { Client, Pool, types, type CustomTypesConfig } from 'pg';
import { PostgresEventStore, START, Sealer, type NewEvent } from '../libs/event-store/src';
import { poll } from '../libs/projection-engine/src';
import { tripBooked, type StreamState } from './bench-events';

// Emmett's SQL layer (dumbo) swaps pg's global parsers for int8 (to BigInt) and json/jsonb (JSON.parse with a BigInt
// reviver) when its first pool opens. Our store and the raw baseline keep pg's own parsers, captured here before
// that happens, so each system reads rows the way it does in production and pays only for its own parsing.
const PG_PARSERS = new Map([20, 114, 3802].map((oid) => [oid, types.getTypeParser(oid, 'text')]));
const pgOwnTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format !== 'binary' && PG_PARSERS.get(oid)) || types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

export interface PeerSystem {
  readonly name: string;
  /** The library under comparison; our store and the raw baseline are the harness (their misreads are our bugs). */
  readonly peer: boolean;
  /** Appends `count` new events to `stream`, expecting exactly `stream.version`, and advances it. */
  append(stream: StreamState, count: number): Promise<void>;
  /**
   * Reads the whole log in global order, `batch` events per query, until a batch comes back empty; returns how many
   * events came back. `audit`, for an untimed check, is given each event's global position.
   */
  readAll(batch: number, audit?: (globalPosition: string) => void): Promise<number>;
  /** A small pool on the system's database (pg's own parsers), and the table that holds its events. */
  readonly pool: Pool;
  readonly table: string;
  /** What loadLog needs: append ready-made events to a new stream. */
  readonly loader: { append(streamId: string, events: NewEvent[]): Promise<unknown> };
  close(): Promise<void>;
}

const POOL_MAX = 16;

// ---------------------------------------------------------------------------------------------------------------
// A sibling database on the server of the bench database.
// ---------------------------------------------------------------------------------------------------------------

export interface SiblingDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createSiblingDatabase(benchUrl: string, suffix: string): Promise<SiblingDatabase> {
  const url = new URL(benchUrl);
  const name = `${url.pathname.slice(1).replace(/[^a-z0-9_]/gi, '') || 'bench'}_${suffix}_${randomBytes(3).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new Client({ connectionString: benchUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export const countEvents = async ({ pool, table }: PeerSystem): Promise<number> =>
  Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

const batchOf = (stream: StreamState, count: number): NewEvent[] => Array.from({ length: count }, () => tripBooked(stream.customerId));

// ---------------------------------------------------------------------------------------------------------------
// This engine.
// ---------------------------------------------------------------------------------------------------------------

/**
 * This engine's store, and its sealer: `startSealing` runs it as every engine process does (a round every 100 ms,
 * 5,000 events a batch), so the global chain's cost is paid during the timed rounds, not left for later.
 */
export async function engineSystem(url: string): Promise<PeerSystem & { sealer: Sealer; startSealing(): () => Promise<void> }> {
  const store = new PostgresEventStore({ connectionString: url, max: POOL_MAX, types: pgOwnTypes });
  const pool = new Pool({ connectionString: url, max: 2, types: pgOwnTypes }).on('error', () => undefined);
  await store.migrate();
  const sealer = new Sealer(pool);
  return {
    sealer,
    startSealing: () => {
      const stop = new AbortController();
      const running = poll(async () => void (await sealer.sealAll()), { pollMs: 100, maxBackoffMs: 1_000, what: 'sealing', log: (line) => console.error(line) }, stop.signal);
      return async () => {
        stop.abort();
        await running;
      };
    },
    name: 'this engine',
    peer: false,
    append: async (stream, count) => {
      const appended = await store.append(stream.id, batchOf(stream, count), { expectedVersion: stream.version });
      stream.version = appended.version;
    },
    readAll: async (batch, audit) => {
      let checkpoint = START;
      let read = 0;
      for (;;) {
        const page = await store.readAll(checkpoint, batch);
        if (page.events.length === 0) return read;
        read += page.events.length;
        if (audit) page.events.forEach((event) => audit(String(event.globalPosition)));
        checkpoint = page.checkpoint;
      }
    },
    pool,
    table: 'event_store.events',
    loader: { append: (streamId, events) => store.append(streamId, events, { expectedVersion: 'no_stream' }) },
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Emmett.
// ---------------------------------------------------------------------------------------------------------------

/**
 * The same event as ours: Emmett keeps the message id in its own column (we pass ours) and has no occurred-at
 * column, so the instant travels in the metadata (about as many bytes as the eventId our metadata JSON carries).
 */
const toEmmett = (event: NewEvent) => ({
  type: event.type,
  data: event.data,
  metadata: { ...event.metadata, messageId: event.eventId, occurredAt: event.occurredAt },
});

export async function emmettSystem(url: string): Promise<PeerSystem> {
  const pgPool = new Pool({ connectionString: url, max: POOL_MAX }).on('error', () => undefined);
  // One dumbo pool over one pg pool: the store appends through it, readMessagesBatch reads through its executor,
  // exactly as the store's own consumer does.
  const sql = dumbo({ connectionString: url, pool: pgPool });
  const store = getPostgreSQLEventStore(url, { connectionOptions: { dumbo: sql }, schema: { autoMigration: 'None' } });
  await store.schema.migrate();
  const pool = new Pool({ connectionString: url, max: 2, types: pgOwnTypes }).on('error', () => undefined);
  const append = async (streamId: string, events: NewEvent[], expected: bigint) =>
    store.appendToStream(streamId, events.map(toEmmett), { expectedStreamVersion: expected });
  return {
    name: 'Emmett 0.42',
    peer: true,
    append: async (stream, count) => {
      const appended = await append(stream.id, batchOf(stream, count), BigInt(stream.version));
      stream.version = Number(appended.nextExpectedStreamVersion);
    },
    readAll: async (batch, audit) => {
      let after = 0n;
      let read = 0;
      for (;;) {
        const page = await readMessagesBatch(sql.execute, { after, batchSize: batch });
        if (page.messages.length === 0) return read;
        read += page.messages.length;
        if (audit) page.messages.forEach((message) => audit(String(message.metadata.globalPosition)));
        after = page.currentGlobalPosition;
      }
    },
    pool,
    table: 'emt_messages',
    // 0n: the stream must not exist yet (Emmett's STREAM_DOES_NOT_EXIST turns the check off).
    loader: { append: (streamId, events) => append(streamId, events, 0n) },
    close: async () => {
      await store.close();
      await pgPool.end();
      await pool.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Raw PostgreSQL: the baseline of bench/event-store.bench.ts, in a database of its own.
// ---------------------------------------------------------------------------------------------------------------

const RAW_TABLE = 'public.bench_raw';
const RAW_COLUMNS = 'stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at';

/** One autocommit INSERT of `rows` rows (one transaction), prepared once per row count. */
const rawInsert = (rows: number) => ({
  name: `bench_raw_insert_${rows}`,
  text: `INSERT INTO ${RAW_TABLE} (${RAW_COLUMNS}) VALUES ${Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: 8 }, (__, c) => `$${r * 8 + c + 1}`).join(', ')})`,
  ).join(', ')}`,
});

const rawValues = (streamId: string, firstPosition: number, events: NewEvent[]): unknown[] =>
  events.flatMap((event, i) => [
    streamId,
    firstPosition + i,
    event.eventId,
    event.type,
    event.metadata.schemaVersion,
    JSON.stringify(event.data),
    JSON.stringify({ ...event.metadata, eventId: event.eventId }),
    event.occurredAt,
  ]);

export async function rawSystem(url: string): Promise<PeerSystem> {
  // The table is shaped by our own migration (columns, identity, xid8 default, unique keys, indexes), then copied
  // without its triggers or functions: what PostgreSQL does for a plain INSERT into an events table.
  const schema = new PostgresEventStore({ connectionString: url, max: 1, types: pgOwnTypes });
  await schema.migrate();
  await schema.close();
  const pool = new Pool({ connectionString: url, max: POOL_MAX, types: pgOwnTypes }).on('error', () => undefined);
  await pool.query(`CREATE TABLE ${RAW_TABLE} (LIKE event_store.events INCLUDING ALL)`);
  const insert = (streamId: string, firstPosition: number, events: NewEvent[]) =>
    pool.query({ ...rawInsert(events.length), values: rawValues(streamId, firstPosition, events) });
  return {
    name: 'raw',
    peer: false,
    append: async (stream, count) => {
      await insert(stream.id, stream.version + 1, batchOf(stream, count));
      stream.version += count;
    },
    readAll: async (batch, audit) => {
      let after = '0';
      let read = 0;
      for (;;) {
        const { rows } = await pool.query<{ global_position: string }>({
          name: `bench_raw_read_${batch}`,
          text: `SELECT global_position, ${RAW_COLUMNS}, recorded_at FROM ${RAW_TABLE}
                  WHERE global_position > $1 ORDER BY global_position LIMIT ${batch}`,
          values: [after],
        });
        if (rows.length === 0) return read;
        read += rows.length;
        if (audit) rows.forEach((row) => audit(row.global_position));
        after = rows[rows.length - 1].global_position;
      }
    },
    pool,
    table: RAW_TABLE,
    loader: { append: (streamId, events) => insert(streamId, 1, events) },
    close: () => pool.end(),
  };
}

/** Untimed self-check: a second append that still expects the old version must be refused by every system. */
export async function checkExpectedVersion(system: PeerSystem, stream: StreamState): Promise<void> {
  await system.append(stream, 1);
  const stale = { ...stream, version: stream.version - 1 };
  const refused = await system.append(stale, 1).then(
    () => false,
    () => true,
  );
  if (!refused) throw new Error(`${system.name}: an append expecting a stale version was accepted`);
}

/** pg's own int8 parser (text) must still be in force for our pools once Emmett's pool has opened. */
export async function checkOwnParsers(url: string): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 1, types: pgOwnTypes }).on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ n: unknown; j: unknown }>(`SELECT 9007199254740993::int8 AS n, '{"a": 1}'::jsonb AS j`);
    if (rows[0].n !== '9007199254740993' || JSON.stringify(rows[0].j) !== '{"a":1}') {
      throw new Error(`our pools parse int8/jsonb differently from pg's defaults: ${typeof rows[0].n} ${JSON.stringify(rows[0].j)}`);
    }
  } finally {
    await pool.end();
  }
}
