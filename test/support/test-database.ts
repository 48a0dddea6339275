import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const adminUrl = (): string => {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests through jest (its global set-up starts PostgreSQL)');
  return url;
};

/** A fresh database for one test file, on the run's one server; its name marks it as a test database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      if (!name.startsWith('test_')) throw new Error(`refusing to drop ${name}: not a test database`);
      const client = new Client({ connectionString: adminUrl() });
      await client.connect();
      // A pool's end() resolves before its idle connections have closed. Forcing them closed then reaches the pool
      // as an 'error' event with no listener (57P01), which fails the test file: give them a moment to go first.
      for (let tries = 0; tries < 40; tries++) {
        const { rows } = await client.query('SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1', [name]);
        if (rows[0].open === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * Waits until every stored event is visible to log readers: the xid fence is server-wide, so other test files'
 * open transactions can hold it back for a moment.
 */
export async function allEventsVisible(pool: Pool): Promise<void> {
  for (let tries = 0; tries < 400; tries++) {
    const { rows } = await pool.query(
      `SELECT coalesce((SELECT max(transaction_id) FROM event_store.events) < pg_snapshot_xmin(pg_current_snapshot()), true) AS visible`,
    );
    if (rows[0].visible) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('events did not become visible within 10 s');
}
