import { Client } from 'pg';
import { createTestDatabase } from './test-database';

// pg's Pool.end() resolves once it has asked its idle connections to close, not once they have. A drop that forced
// them closed at that moment reached the pool as an 'error' event with no listener (57P01 on a loaded CI machine):
// hash-chain.int-spec failed after all its tests had passed. The drop now lets a closing connection go by itself.
it('lets a connection that is about to close do so before it forces the rest closed and drops the database', async () => {
  const database = await createTestDatabase();
  const client = new Client({ connectionString: database.url });
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  const closing = new Promise((resolve) => setTimeout(resolve, 300)).then(() => client.end());
  await database.drop();
  await closing;
  expect(errors).toEqual([]);
  const admin = new Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  const { rows } = await admin.query('SELECT count(*)::int AS left FROM pg_database WHERE datname = $1', [new URL(database.url).pathname.slice(1)]);
  await admin.end();
  expect(rows[0].left).toBe(0);
});
