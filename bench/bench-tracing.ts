/**
 * What a measured part of a benchmark spent, each switched on by a variable and doing nothing without it: its
 * costliest statements (PG_TRACE_STATEMENTS), the server's CPU by statement (BENCH_SERVER_CPU_BY_STATEMENT), and
 * this thread's CPU profile (BENCH_CPU_PROFILE).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Client, type Pool } from 'pg';
import { log, processTicks, sleep, TICKS_PER_SECOND } from './bench-support';

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
