/**
 * Shared helpers of the benchmarks under bench/ (never part of `npm test`): logging and settings, per-run CPU
 * accounting of the client and of the server, timed runs with median/min/max, and the machine they ran on. The
 * throw-away database is in bench-database.ts, the events and the loading of a log in bench-events.ts, the opt-in
 * diagnostics of a measured part (statements, server CPU by statement, CPU profile) in bench-tracing.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';

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

export const TICKS_PER_SECOND = 100;

/**
 * CPU ticks (user + system) per process of the postmaster and its direct children, or null when not observable.
 * Per process, so that a backend that exits during a run (a pool connection timing out) does not make the sum drop;
 * the postmaster's own count includes its children that exited (cutime, cstime), so that the backends of a process
 * that connected and left within the run (a rebuild in a process of its own) count too.
 */
/** A process's /proc stat fields after its name (state, ppid, ...; utime and stime at 11 and 12), or null when it is gone. */
function procStat(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: split after the closing parenthesis of comm, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** A process's CPU ticks (user + system), or null when it is gone. */
export function processTicks(pid: number): number | null {
  const fields = procStat(pid);
  return fields && Number(fields[11]) + Number(fields[12]);
}

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
    const fields = procStat(entry);
    if (!fields) continue;
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
