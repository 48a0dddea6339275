import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

/**
 * Who owns the embedded server on a DATA_DIR: the engine whose pid is in DATA_DIR/pg-owner stops it when it stops.
 * An engine killed with -9 leaves its server running; the next engine finds the owner dead and adopts the server,
 * so nothing is left behind for good. An engine that finds a live owner shares the server and never stops it.
 */
const OWNER_FILE = 'pg-owner';

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but is another user's (the server runs as postgres when the engine is root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export const readOwner = async (root: string): Promise<number | null> => {
  const pid = Number((await readFile(join(root, OWNER_FILE), 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
};

export const becomeOwner = (root: string): Promise<void> => writeFile(join(root, OWNER_FILE), `${process.pid}\n`);

/** Gives up ownership, unless another engine has taken it meanwhile. */
export const leaveOwnership = async (root: string): Promise<void> => {
  if ((await readOwner(root)) === process.pid) await rm(join(root, OWNER_FILE), { force: true });
};

/** The server holding the cluster's lock file, if its process is alive (postmaster.pid: pid on line 1, port on line 4). */
export async function runningServer(clusterDir: string): Promise<{ pid: number; port: number } | null> {
  const lock = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (!lock) return null;
  const [pid, , , port] = lock.split('\n');
  return alive(Number(pid)) ? { pid: Number(pid), port: Number(port) } : null;
}

/**
 * Waits (bounded) until the server in the lock file either answers, or is gone: one that is shutting down (it
 * refuses connections, or answers 57P03 "shutting down") is waited out, so the caller starts its own instead of
 * attaching to a dying one. Resolves with the server when it answers, null once it is gone.
 */
export async function settledServer(clusterDir: string, url: (port: number) => string, log: (line: string) => void, withinMs = 60_000): Promise<{ pid: number; port: number } | null> {
  const deadline = Date.now() + withinMs;
  let said = false;
  for (;;) {
    const server = await runningServer(clusterDir);
    if (!server) return null;
    const client = new Client({ connectionString: url(server.port), connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return server;
    } catch (error) {
      const message = (error as Error).message;
      if (!said && /shutting down|ECONNREFUSED/.test(`${message} ${(error as { code?: string }).code}`)) {
        said = true;
        log(`the embedded PostgreSQL on ${clusterDir} (pid ${server.pid}) is shutting down (${message}): waiting for it to stop, then starting one`);
      }
      if (Date.now() > deadline) {
        throw new Error(`the embedded PostgreSQL on ${clusterDir} (pid ${server.pid}) neither answered nor stopped within ${withinMs / 1000} s (${message}); stop it, or set DATA_DIR or DATABASE_URL`, { cause: error });
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
}

/** Stops a server this process did not start (an adopted one): a fast shutdown, waited for (bounded). */
export async function stopServer(pid: number, withinMs = 30_000): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + withinMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
}
