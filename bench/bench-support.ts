/**
 * Shared helpers of the benchmarks under bench/ (never part of `npm test`): logging and settings, per-run CPU
 * accounting of the client and of the server, timed runs with median/min/max, and the machine they ran on. The
 * throw-away database is in bench-database.ts, the events and the loading of a log in bench-events.ts.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, type Pool } from 'pg';

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
// CPU accounting: the node process, and the server's processes (postmaster and its children) from /proc.
// ---------------------------------------------------------------------------------------------------------------

const TICKS_PER_SECOND = 100;

/**
 * CPU ticks (user + system) per process of the postmaster and its direct children, or null when not observable.
 * Per process, so that a backend that exits during a run (a pool connection timing out) does not make the sum drop;
 * the postmaster's own count includes its children that exited (cutime, cstime), so that the backends of a process
 * that connected and left within the run (a rebuild in a process of its own) count too.
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
    ticks.set(pid, Number(fields[11]) + Number(fields[12]) + (pid === postmasterPid ? Number(fields[13]) + Number(fields[14]) : 0));
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

/**
 * Server CPU seconds between two samples: processes that started in between count from zero; one that exited in
 * between is in the postmaster's count with its whole life, so what it had used before is taken off.
 */
export const serverCpuBetween = (before: CpuSample, after: CpuSample): number | null => {
  if (!before.server || !after.server) return null;
  let ticks = 0;
  for (const [pid, now] of after.server) ticks += now - (before.server.get(pid) ?? 0);
  for (const [pid, then] of before.server) if (!after.server.has(pid)) ticks -= then;
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

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * PG_TRACE_STATEMENTS=1 (the embedded server then loads pg_stat_statements): `reset` before a measured part,
 * `print` after it logs its costliest statements. Without the variable both do nothing.
 */
export const statementTrace = (client: Pool, write: (line: string) => void = log) => ({
  async reset(): Promise<void> {
    if (!process.env.PG_TRACE_STATEMENTS) return;
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  },
  async print(top = 15): Promise<void> {
    if (!process.env.PG_TRACE_STATEMENTS) return;
    const { rows } = await client.query<{ ms: string; calls: string; rows: string; query: string }>(
      `SELECT round(total_exec_time) AS ms, calls, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 150) AS query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1`,
      [top],
    );
    for (const row of rows) write(`  ${row.ms} ms ${row.calls} calls ${row.rows} rows: ${row.query}`);
    await client.query('SELECT pg_stat_statements_reset()');
  },
});

/** A process's CPU ticks (user + system) from /proc, or null when it is gone. */
function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** How often serverCpuByStatement looks at what each backend runs. */
const STATEMENT_SAMPLE_MS = 10;

/**
 * BENCH_SERVER_CPU_BY_STATEMENT=1 (with the server on this machine): `start` before a measured part and `print` after
 * it log the server's CPU by the statement each process was running, sampled every 10 ms from pg_stat_activity and
 * /proc (a process's ticks since the last sample go to what it ran then; idle backends' to the statement they last
 * ran, background processes' to their type). Unlike pg_stat_statements' times, which count a statement's waits for a
 * core as well, this is CPU, so it tells where a contended run's cores went. The sampling takes some 10-15 % of a core
 * itself. Without the variable both do nothing.
 */
export const serverCpuByStatement = (url: string, write: (line: string) => void = log) => {
  const on = Boolean(process.env.BENCH_SERVER_CPU_BY_STATEMENT);
  const client = on ? new Client({ connectionString: url }) : undefined;
  const spent = new Map<string, number>();
  let running: Promise<void> | undefined;
  let stopped = false;
  const sample = async (): Promise<void> => {
    const last = new Map<number, { ticks: number; what: string }>();
    while (!stopped) {
      const { rows } = await client!.query<{ pid: number; what: string }>(
        `SELECT pid, CASE WHEN backend_type <> 'client backend' THEN backend_type
                          WHEN state = 'active' THEN left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
                          ELSE '(idle after) ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 60) END AS what
           FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type IS NOT NULL`,
      );
      for (const { pid, what } of rows) {
        const ticks = processTicks(pid);
        if (ticks === null) continue;
        const before = last.get(pid);
        if (before && ticks > before.ticks) spent.set(before.what, (spent.get(before.what) ?? 0) + ticks - before.ticks);
        last.set(pid, { ticks, what });
      }
      await sleep(STATEMENT_SAMPLE_MS);
    }
  };
  return {
    async start(): Promise<void> {
      if (!client) return;
      await client.connect();
      running = sample();
    },
    async print(top = 15): Promise<void> {
      if (!client) return;
      stopped = true;
      await running;
      await client.end();
      const total = [...spent.values()].reduce((sum, ticks) => sum + ticks, 0);
      write(`server CPU by statement (sampled every ${STATEMENT_SAMPLE_MS} ms): ${(total / TICKS_PER_SECOND).toFixed(2)} s in all`);
      for (const [what, ticks] of [...spent].sort((a, b) => b[1] - a[1]).slice(0, top)) write(`  ${(ticks / TICKS_PER_SECOND).toFixed(2)} s ${what}`);
    },
  };
};

/**
 * BENCH_CPU_PROFILE=<file>: `start` before a measured part and `stop` after it write this thread's CPU profile of
 * that part (open it in Chrome's DevTools). Without the variable both do nothing.
 */
export const cpuProfile = () => {
  const file = process.env.BENCH_CPU_PROFILE;
  const session = file ? new Session() : undefined;
  const post = (method: string): Promise<unknown> =>
    new Promise((done, fail) => session!.post(method, (error: Error | null, result?: unknown) => (error ? fail(error) : done(result))));
  return {
    async start(): Promise<void> {
      if (!session) return;
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
    },
    async stop(): Promise<void> {
      if (!session) return;
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(file!, JSON.stringify(profile));
      session.disconnect();
      log(`CPU profile of this thread written to ${file}`);
    },
  };
};
