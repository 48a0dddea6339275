import { Pool } from 'pg';
import { withClient } from './transaction';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';

let database: TestDatabase;
let admin: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  admin = new Pool({ connectionString: database.url, max: 1 });
});
afterAll(async () => {
  await admin.end();
  await database.drop();
});

it('a connection cut while lent out, between two queries, fails the next query instead of ending the process, and is not lent again', async () => {
  const pool = new Pool({ connectionString: database.url, max: 1 }).on('error', () => undefined);
  try {
    let cutPid = 0;
    await expect(
      withClient(pool, async (client) => {
        cutPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        await admin.query('SELECT pg_terminate_backend($1)', [cutPid]);
        // The server's goodbye arrives while no query runs: unheld, that 'error' event would end the process.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await client.query('SELECT 1');
      }),
    ).rejects.toThrow();
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(rows[0].pid).not.toBe(cutPid);
  } finally {
    await pool.end();
  }
});
