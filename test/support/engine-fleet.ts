import { Pool } from 'pg';
import type { CommandLoad } from './command-load';
import { spawnEngine, type EngineProcess } from './engine-process';
import { startPostgresServer, type PostgresServer } from './postgres-server';

/** A test file's own PostgreSQL server, a pool on it for the test's SQL, and the engine processes started there. */
export interface EngineFleet {
  server: PostgresServer;
  /** The test's own connections (application_name test: pg_terminate_backend of the engines' spares them). */
  sql: Pool;
  /** Loads to stop after the file. */
  loads: CommandLoad[];
  engines: EngineProcess[];
  /** A built engine process (`api` or `projector`) on the server, with a rate limit that never gets in the way. */
  start(name: string, main: 'api' | 'projector', args?: string[]): EngineProcess;
}

/** Sets the fleet up before the file's tests and tears it down after them: loads stopped, engines killed, server removed. */
export function engineFleet(): EngineFleet {
  const fleet = {
    loads: [] as CommandLoad[],
    engines: [] as EngineProcess[],
    start(name: string, main: 'api' | 'projector', args: string[] = []): EngineProcess {
      const engine = spawnEngine(name, main, { DATABASE_URL: fleet.server.url, RATE_LIMIT_PER_MINUTE: '1000000' }, args);
      fleet.engines.push(engine);
      return engine;
    },
  } as EngineFleet;
  beforeAll(async () => {
    fleet.server = await startPostgresServer();
    fleet.sql = new Pool({ connectionString: fleet.server.url, max: 4, application_name: 'test' }).on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all(fleet.loads.map((load) => load.stop()));
    for (const engine of fleet.engines) if (engine.running()) engine.child.kill('SIGKILL');
    await fleet.sql?.end();
    await fleet.server?.remove();
  });
  return fleet;
}
