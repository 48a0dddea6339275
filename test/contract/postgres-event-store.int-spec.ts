import { PostgresEventStore } from '../../libs/event-store/src';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { eventStoreContract } from './event-store.contract';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
  await store.close();
});
afterAll(() => database.drop());

eventStoreContract(
  'postgres',
  async () => new PostgresEventStore({ connectionString: database.url, max: 20 }),
  (store) => store.close(),
);
