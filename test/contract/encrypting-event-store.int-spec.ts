import { PostgresEventStore } from '../../libs/event-store/src';
import { CustomerKeys, EncryptingEventStore } from '../../libs/privacy/src';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { eventStoreContract } from './event-store.contract';

/* The encrypting decorator keeps every promise of the port (its encryption is tested in libs/privacy). */

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const store = new PostgresEventStore({ connectionString: database.url });
  await store.migrate();
  await new CustomerKeys(store.pool).migrate();
  await store.close();
});
afterAll(() => database.drop());

eventStoreContract(
  'encrypting over postgres',
  async () => {
    const log = new PostgresEventStore({ connectionString: database.url, max: 20 });
    return new EncryptingEventStore(log, log.pool);
  },
  (store) => store.close(),
);
