import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApi } from '../../apps/api/src/app';
import { loadConfig } from '../../libs/runtime/src';
import { openRuntime, type Runtime } from '../../libs/runtime/src';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface TestApp {
  app: INestApplication;
  runtime: Runtime;
  database: TestDatabase;
  http: () => ReturnType<typeof request>;
  /** Rows in the event log: tests use it to prove a rejected request wrote nothing. */
  eventCount(): Promise<number>;
  close(): Promise<void>;
}

/** The real HTTP app on its own fresh database, with the projector running in-process as `npm start` does. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: database.url, ...env });
  const runtime = await openRuntime(config, () => undefined);
  const app = await createApi(runtime, { logger: false });
  const projecting = new AbortController();
  const projector = config.projector ? runtime.projector.run(projecting.signal) : Promise.resolve();
  return {
    app,
    runtime,
    database,
    http: () => request(app.getHttpServer()),
    eventCount: async () => Number((await runtime.readModels.query('SELECT count(*) AS n FROM event_store.events')).rows[0].n),
    close: async () => {
      projecting.abort();
      await app.close();
      await projector;
      await runtime.close();
      await database.drop();
    },
  };
}
