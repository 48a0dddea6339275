import { Pool } from 'pg';
import { openDatabase, PostgresEventStore, type Database } from '../../event-store/src';
import { Projector } from '../../projection-engine/src';
import { PROJECTIONS } from '../../../projections';
import type { Config } from './config';

/** The long-lived pieces every app shares: the database, the event store, the read-model pool and the projector. */
export interface Runtime {
  config: Config;
  database: Database;
  store: PostgresEventStore;
  readModels: Pool;
  projector: Projector;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, log: (line: string) => void): Promise<Runtime> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  try {
    const pool = new Pool({ connectionString: database.url, max: config.databasePoolSize });
    // An idle connection dropped by the server (restart, shutdown) must not crash the process; the next query reconnects.
    pool.on('error', (error) => log(`database connection lost: ${error.message}`));
    const store = new PostgresEventStore(pool);
    await store.migrate();
    const projector = new Projector(pool, store, PROJECTIONS, { batchSize: config.projectorBatchSize, log });
    await projector.migrate();
    return {
      config,
      database,
      store,
      readModels: pool,
      projector,
      close: async () => {
        await store.close();
        await database.stop();
      },
    };
  } catch (error) {
    await database.stop();
    throw error;
  }
}
