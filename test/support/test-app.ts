import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApi } from '../../apps/api/src/app';
import { createApiKey, ROLES, type Role } from '../../libs/auth/src';
import { loadConfig, openRuntime, runSealer, type Runtime } from '../../apps/engine/src';
import { createTestDatabase, type TestDatabase } from './test-database';

/**
 * How long a suite waits for every read model to catch up with the whole CDNOW import (about 70,000 events). Alone it
 * takes about 16 s here; beside another suite on a loaded 2-core CI machine a 60-s bound was passed (stop 28).
 */
export const IMPORT_CATCH_UP_MS = 150_000;

export interface TestApp {
  app: INestApplication;
  runtime: Runtime;
  database: TestDatabase;
  /** Requests with the test key of `as` (default admin, who may do everything); null sends no credentials. */
  http: (as?: Role | null) => ReturnType<typeof request>;
  /** The API key of each role (names test-<role>, the actor id events record). */
  keys: Record<Role, string>;
  /** Rows in the event log: tests use it to prove a rejected request wrote nothing. */
  eventCount(): Promise<number>;
  close(): Promise<void>;
}

/** The real HTTP app on its own fresh database, with the projector running in-process as `npm start` does. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  // MAX_API_BUSY_PERCENT off unless a test sets it: the app shares its thread with the test's own code and its cores
  // with other suites, so how busy the thread is says little about the app (test/e2e/overload.e2e-spec.ts sets it).
  // Reads wait up to 20 s for the caller's write (5 s by default): with two test workers and six read models on 2
  // vCPUs, a projector can fall that far behind with nothing stuck (a stopped read model still answers stale at once).
  const config = loadConfig({ DATABASE_URL: database.url, RATE_LIMIT_PER_MINUTE: '1000000', MAX_API_BUSY_PERCENT: '100', READ_YOUR_WRITES_TIMEOUT_MS: '20000', ...env });
  const runtime = await openRuntime(config, () => undefined);
  const app = await createApi(runtime, { logger: false });
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(runtime.readModels, `test-${role}`, role)).key;
  const projecting = new AbortController();
  const projector = Promise.all([runSealer(runtime, () => undefined, projecting.signal), config.projector ? runtime.projector.run(projecting.signal) : undefined]);
  return {
    app,
    runtime,
    database,
    keys,
    http: (as: Role | null = 'admin') => (as ? request.agent(app.getHttpServer()).set('Authorization', `Bearer ${keys[as]}`) : request(app.getHttpServer())),
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
