import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../libs/postgres/src';

/**
 * One PostgreSQL server per test run (DESIGN section 6): DATABASE_URL when given, otherwise an embedded one
 * in a temporary folder. Each test file then creates its own database on it (test/support/test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'lifecycle-test-'));
  const database = await startEmbeddedPostgres(dataDir, (line) => process.stderr.write(`${line}\n`));
  process.env.TEST_ADMIN_DATABASE_URL = database.url;
  (globalThis as { __testDatabase?: { stop(): Promise<void>; dataDir: string } }).__testDatabase = { stop: database.stop, dataDir };
}
