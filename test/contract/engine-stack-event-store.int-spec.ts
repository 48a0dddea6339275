import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { engineEventStore } from '../../apps/engine/src/runtime';
import { PostgresEventStore, type EventStore } from '../../libs/event-store/src';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { eventStoreContract, newEvent, type EventVocabulary } from './event-store.contract';

/*
 * The store the engine really uses, built by the engine's own factory (runtime.ts): the schema layer over
 * encryption over PostgreSQL. It keeps every promise of the port that the bare adapter keeps.
 */

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  const pool = new Pool({ connectionString: database.url });
  const log = new PostgresEventStore(pool);
  await log.migrate();
  await engineEventStore(log, pool).keys.migrate();
  await log.close();
});
afterAll(() => database.drop());

/** As the runtime opens it: the log on the pool that also holds the data keys. */
const open = async (): Promise<EventStore> => {
  const pool = new Pool({ connectionString: database.url, max: 20 });
  return engineEventStore(new PostgresEventStore(pool), pool).store;
};

/**
 * The stack stores only the domain's event types. Each contract event is an InteractionLogged whose summary, a
 * personal field, carries its name: every check that reads a name back also proves the field was sealed on the way
 * in and opened on the way out.
 */
const interactions: EventVocabulary = {
  write: (name, data) => ({ type: 'InteractionLogged', data: { ...data, summary: name } }),
  nameOf: (event) => String(event.data.summary),
};

eventStoreContract('the engine stack (schemas over encryption over postgres)', open, (store) => store.close(), {
  eventIdsUniqueAcrossStreams: true,
  vocabulary: interactions,
});

describe('the engine stack, beyond the contract', () => {
  let store: EventStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(() => store.close());

  it('stores personal fields sealed and the type at its current schema version', async () => {
    const stream = `customer-${randomUUID()}`;
    await store.append(stream, [newEvent('InteractionLogged', { interactionId: 'i1', summary: 'Asked about Crete' })]);
    const raw = new Pool({ connectionString: database.url, max: 1 });
    const { rows } = await raw.query('SELECT data, schema_version FROM event_store.events WHERE stream_id = $1', [stream]).finally(() => raw.end());
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({ data: { interactionId: 'i1', $personal: expect.objectContaining({ fields: ['summary'] }) }, schema_version: 1 });
    expect(JSON.stringify(rows[0].data)).not.toContain('Crete');
    expect((await store.readStream(stream))[0].data).toEqual({ interactionId: 'i1', summary: 'Asked about Crete' });
  });

  it('refuses a type the domain does not know, writing nothing', async () => {
    const stream = `customer-${randomUUID()}`;
    await expect(store.append(stream, [newEvent('SomethingHappened')])).rejects.toThrow('unknown event type "SomethingHappened"');
    expect(await store.readStream(stream)).toEqual([]);
  });
});
