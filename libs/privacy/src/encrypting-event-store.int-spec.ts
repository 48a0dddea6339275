import { randomUUID } from 'node:crypto';
import { CUSTOMER_EVENT_SCHEMAS, ERASED, InvalidInput, NotFound, RuleViolated, customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../domain/src';
import { PostgresEventStore, SchemaAwareEventStore, START, handleCommand, type EventStore, type NewEvent } from '../../event-store/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { CustomerKeyForgotten } from './customer-keys';
import { EncryptingEventStore } from './encrypting-event-store';
import { forgetCustomer } from './forget-customer';
import { UnreadablePersonalData } from './personal-envelope';

let database: TestDatabase;
let log: PostgresEventStore;
let encrypting: EncryptingEventStore;
let store: EventStore;

beforeEach(async () => {
  database = await createTestDatabase();
  log = new PostgresEventStore({ connectionString: database.url, max: 6 });
  await log.migrate();
  encrypting = new EncryptingEventStore(log, log.pool);
  await encrypting.keys.migrate();
  // As the runtime builds it: schemas over encryption over the log.
  store = new SchemaAwareEventStore(encrypting, CUSTOMER_EVENT_SCHEMAS);
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'privacy-test', role: 'admin' }, source: 'system' };
const decider = { decide, evolve, initialState };
const run = (customerId: string, type: CustomerCommand['type'], data: object, occurredAt = '2025-03-01T10:00:00Z') =>
  handleCommand(store, customerStreamId(customerId), decider, { type, customerId, data, occurredAt } as CustomerCommand, { metadata, newId: randomUUID });
const forget = (customerId: string, reason: unknown = 'erasure request 42') =>
  forgetCustomer(store, encrypting.keys, { type: 'ForgetCustomer', customerId, data: { reason: reason as string }, occurredAt: '2025-07-01T10:00:00Z' }, { metadata, newId: randomUUID });

const registration = { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0000', birthDate: '1990-02-28', timeZone: 'Europe/London', language: 'en', preferredChannel: 'email', marketingConsent: true };
const trip = { bookingId: 'b1', destination: { country: 'GR', city: 'Chania' }, departureDate: '2025-06-01', returnDate: '2025-06-08', amount: { value: 150_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' };
const SECRETS = /Ada|Lovelace|ada@example|7946|1990-02-28|Cockroach|broken lift|key account/;

/** A customer with personal data in several event types. */
async function lifeOf(customerId: string): Promise<void> {
  await run(customerId, 'RegisterCustomer', registration, '2025-01-10T10:00:00Z');
  await run(customerId, 'BookTrip', trip);
  await run(customerId, 'FileComplaint', { complaintId: 'cp1', category: 'room', severity: 'high', channel: 'phone', description: 'Cockroach in the bathroom' });
  await run(customerId, 'ResolveComplaint', { complaintId: 'cp1', resolution: 'Fixed the broken lift too' });
  await run(customerId, 'GrantVipStatus', { reason: 'key account' });
}

const atRest = async (): Promise<string> => (await log.pool.query(`SELECT string_agg(data::text, ' ') AS text FROM event_store.events`)).rows[0].text as string;

describe('at rest and on read', () => {
  it('stores no personal data in plain text, and every read decrypts it', async () => {
    await lifeOf('c1');
    expect(await atRest()).not.toMatch(SECRETS);
    expect(await atRest()).toContain('$personal');

    const history = await store.readStream(customerStreamId('c1'));
    expect(history.map((e) => e.type)).toEqual(['CustomerRegistered', 'TripBooked', 'ComplaintFiled', 'ComplaintResolved', 'VipStatusGranted']);
    expect(history[0].data).toEqual({ customerId: 'c1', ...registration, tags: [] });
    expect(history[1].data).toEqual(trip);
    expect(history[2].data).toMatchObject({ description: 'Cockroach in the bathroom' });
    expect(history[4].data).toEqual({ reason: 'key account' });

    await allEventsVisible(log.pool);
    const all = await store.readAll(START, 100);
    expect(all.events.map((e) => e.data)).toEqual(history.map((e) => e.data));
    expect((await store.readStreams([customerStreamId('c1')])).get(customerStreamId('c1'))!.map((e) => e.data)).toEqual(history.map((e) => e.data));
    const signal = new AbortController();
    for await (const batch of store.subscribe(START, { signal: signal.signal })) {
      expect(batch.map((e) => e.data)).toEqual(history.map((e) => e.data));
      signal.abort();
    }
  });

  it('keeps an idempotent retry a no-op, and a changed retry a duplicate', async () => {
    await run('c1', 'RegisterCustomer', registration);
    const event: NewEvent = { eventId: randomUUID(), type: 'InteractionLogged', data: { interactionId: 'i1', channel: 'phone', direction: 'inbound', topic: 'q', summary: 'Ada asked about Crete' }, occurredAt: '2025-03-02T10:00:00Z', metadata: { ...metadata, schemaVersion: 1 } };
    const first = await store.append(customerStreamId('c1'), [event]);
    const again = await store.append(customerStreamId('c1'), [{ ...event }]);
    expect(again).toEqual({ ...first, written: false });
    await expect(store.append(customerStreamId('c1'), [{ ...event, data: { ...event.data, summary: 'other' } }])).rejects.toThrow('already stored with other content');
  });

  it('encrypts a batch append too, with the keys of all its customers fetched in one query', async () => {
    const getOrCreate = jest.spyOn(encrypting.keys, 'getOrCreate');
    const registered = (customerId: string): NewEvent => ({ eventId: randomUUID(), type: 'CustomerRegistered', data: { customerId, ...registration, tags: [] }, occurredAt: '2025-01-10T10:00:00Z', metadata: { ...metadata, schemaVersion: 1 } });
    await store.appendBatch(['b1', 'b2', 'b3'].map((id) => ({ streamId: customerStreamId(id), events: [registered(id)], expectedVersion: 'no_stream' })));
    expect(getOrCreate).toHaveBeenCalledTimes(1);
    expect(await atRest()).not.toMatch(SECRETS);
    expect(Number((await log.pool.query('SELECT count(*) FROM privacy.customer_keys WHERE data_key IS NOT NULL')).rows[0].count)).toBe(3);
    expect((await store.readStream(customerStreamId('b2')))[0].data).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
  });

  it('looks the keys up once per read, however many customers and events it returns', async () => {
    for (const id of ['k1', 'k2', 'k3']) await lifeOf(id);
    await allEventsVisible(log.pool);
    const load = jest.spyOn(encrypting.keys, 'load');
    expect((await store.readAll(START, 1000)).events).toHaveLength(15);
    expect((await store.readStreams(['k1', 'k2', 'k3'].map(customerStreamId))).size).toBe(3);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('leaves other streams and events without personal data as they are', async () => {
    await run('c1', 'RegisterCustomer', registration);
    await run('c1', 'BookTrip', trip);
    const alert: NewEvent = { eventId: randomUUID(), type: 'DestinationRiskAlertIssued', data: { alertId: 'a1', country: 'GR', from: '2025-06-01', to: '2025-06-30', severity: 'high', message: 'Wildfires near Chania' }, occurredAt: '2025-05-01T10:00:00Z', metadata: { ...metadata, schemaVersion: 1 } };
    await store.append('risk-alert-a1', [alert]);
    const { rows } = await log.pool.query(`SELECT stream_id, type, data FROM event_store.events WHERE type IN ('TripBooked', 'DestinationRiskAlertIssued') ORDER BY global_position`);
    expect(rows).toEqual([
      { stream_id: customerStreamId('c1'), type: 'TripBooked', data: trip },
      { stream_id: 'risk-alert-a1', type: 'DestinationRiskAlertIssued', data: alert.data },
    ]);
  });

  it('seals with the key its read found for the append at the version read, and asks the table for any other', async () => {
    const late = (summary: string): NewEvent => ({ eventId: randomUUID(), type: 'InteractionLogged', data: { interactionId: randomUUID(), channel: 'phone', direction: 'inbound', topic: 'q', summary }, occurredAt: '2025-07-02T10:00:00Z', metadata: { ...metadata, schemaVersion: 1 } });
    for (const id of ['c1', 'c2']) await run(id, 'RegisterCustomer', registration);
    const getOrCreate = jest.spyOn(encrypting.keys, 'getOrCreate');
    await run('c1', 'UpdateCustomerProfile', { name: 'Ada King' });
    expect(getOrCreate).not.toHaveBeenCalled();
    expect((await store.readStream(customerStreamId('c1')))[1].data).toEqual({ name: 'Ada King' });
    // Forgotten between read and append, at another version than the read's: the table refuses personal data.
    await encrypting.keys.forget('c1');
    await expect(store.append(customerStreamId('c1'), [late('after the forget')], { expectedVersion: 'any' })).rejects.toMatchObject({ rule: 'customer.forgotten' });
    expect(getOrCreate).toHaveBeenCalledTimes(1);
    // At the version read, sealed with the key destroyed meanwhile: as if it had been written just before the forget.
    await store.readStream(customerStreamId('c2'));
    await encrypting.keys.forget('c2');
    await store.append(customerStreamId('c2'), [late('racing the forget')], { expectedVersion: 1 });
    expect(getOrCreate).toHaveBeenCalledTimes(1);
    expect((await store.readStream(customerStreamId('c2')))[1].data).toMatchObject({ summary: ERASED });
    expect(await atRest()).not.toMatch(/racing the forget|after the forget/);
  });

  it('refuses to read a sealed event whose customer has no key, rather than pass a lost key for an erasure', async () => {
    await run('c1', 'RegisterCustomer', registration);
    await log.pool.query(`DELETE FROM privacy.customer_keys WHERE customer_id = 'c1'`);
    await expect(store.readStream(customerStreamId('c1'))).rejects.toThrow(UnreadablePersonalData);
  });
});

describe('forgetting', () => {
  it('destroys the key, appends CustomerForgotten, and from then on every read shows the customer erased', async () => {
    await lifeOf('c1');
    await run('c2', 'RegisterCustomer', { ...registration, name: 'Grace Hopper' });
    const stored = `SELECT global_position, data FROM event_store.events ORDER BY global_position`;
    const before = (await log.pool.query(stored)).rows;
    const result = await forget('c1');
    expect(result).toMatchObject({ version: 6, events: 1 });
    // Events are never rewritten: the old ones are byte for byte as they were, and still ciphertext.
    expect((await log.pool.query(stored)).rows.slice(0, before.length)).toEqual(before);
    const history = await store.readStream(customerStreamId('c1'));
    expect(history[5]).toMatchObject({ type: 'CustomerForgotten', data: { reason: 'erasure request 42' }, metadata: { actor: { id: 'privacy-test' } } });
    expect(history[0].data).toEqual({ customerId: 'c1', name: ERASED, timeZone: 'Europe/London', language: 'en', preferredChannel: 'email', marketingConsent: true, tags: [] });
    expect(history[1].data).toEqual(trip);
    expect(history[2].data).toMatchObject({ complaintId: 'cp1', severity: 'high', description: ERASED });
    expect(history[3].data).toEqual({ complaintId: 'cp1', resolution: ERASED });
    expect(history[4].data).toEqual({ reason: ERASED });
    await allEventsVisible(log.pool);
    const all = (await store.readAll(START, 100)).events;
    expect(JSON.stringify(all.filter((e) => e.streamId === customerStreamId('c1')))).not.toMatch(SECRETS);
    expect(all.find((e) => e.streamId === customerStreamId('c2'))!.data).toMatchObject({ name: 'Grace Hopper', email: 'ada@example.com' });

    const { rows } = await log.pool.query(`SELECT data_key, forgotten_at FROM privacy.customer_keys WHERE customer_id = 'c1'`);
    expect(rows).toEqual([{ data_key: null, forgotten_at: expect.any(Date) }]);
  });

  it('never creates a key for a forgotten customer again, and the database keeps the tombstone', async () => {
    await run('c1', 'RegisterCustomer', registration);
    await forget('c1');
    await expect(encrypting.keys.getOrCreate(['c1'])).rejects.toThrow(CustomerKeyForgotten);
    // A write racing the forget (past decide) still cannot store personal data.
    const late: NewEvent = { eventId: randomUUID(), type: 'InteractionLogged', data: { interactionId: 'i1', channel: 'phone', direction: 'inbound', topic: 'q', summary: 'late' }, occurredAt: '2025-07-02T10:00:00Z', metadata: { ...metadata, schemaVersion: 1 } };
    await expect(store.append(customerStreamId('c1'), [late])).rejects.toMatchObject({ rule: 'customer.forgotten' });
    await expect(log.pool.query(`UPDATE privacy.customer_keys SET data_key = '\\x00', forgotten_at = NULL WHERE customer_id = 'c1'`)).rejects.toThrow('cannot be changed or removed');
    await expect(log.pool.query(`DELETE FROM privacy.customer_keys WHERE customer_id = 'c1'`)).rejects.toThrow('cannot be changed or removed');
  });

  it('refuses (writing and destroying nothing) an unknown customer, an empty reason and a second forget, and every later command', async () => {
    await run('c1', 'RegisterCustomer', registration);
    const count = async (): Promise<unknown> => (await log.pool.query('SELECT (SELECT count(*) FROM event_store.events) AS events, (SELECT count(*) FROM privacy.customer_keys WHERE data_key IS NULL) AS tombstones')).rows[0];
    const untouched = await count();
    await expect(forget('nobody')).rejects.toThrow(NotFound);
    await expect(forget('c1', '  ')).rejects.toThrow(InvalidInput);
    expect(await count()).toEqual(untouched);
    expect((await store.readStream(customerStreamId('c1')))[0].data).toMatchObject({ name: 'Ada Lovelace' });

    await forget('c1');
    const forgotten = await count();
    await expect(forget('c1')).rejects.toMatchObject({ rule: 'customer.forgotten' });
    await expect(run('c1', 'BookTrip', trip)).rejects.toThrow(RuleViolated);
    await expect(run('c1', 'UpdateCustomerProfile', { name: 'Ada King' })).rejects.toMatchObject({ rule: 'customer.forgotten' });
    expect(await count()).toEqual(forgotten);
  });

  it('reads and decides again after a version conflict, the key already gone', async () => {
    await run('c1', 'RegisterCustomer', registration);
    let raced = false;
    const racing: EventStore = Object.assign(Object.create(store) as EventStore, {
      append: async (...args: Parameters<EventStore['append']>) => {
        if (!raced) {
          raced = true;
          await run('c1', 'BookTrip', trip);
        }
        return store.append(...args);
      },
    });
    const result = await forgetCustomer(racing, encrypting.keys, { type: 'ForgetCustomer', customerId: 'c1', data: { reason: 'race' }, occurredAt: '2025-07-01T10:00:00Z' }, { metadata, newId: randomUUID });
    expect(result).toMatchObject({ version: 3, events: 1 });
    expect((await store.readStream(customerStreamId('c1'))).map((e) => e.type)).toEqual(['CustomerRegistered', 'TripBooked', 'CustomerForgotten']);
  });

  it('erases personal data stored in plain text before encryption existed', async () => {
    const plain: NewEvent = { eventId: randomUUID(), type: 'CustomerRegistered', data: { customerId: 'old', ...registration, tags: [] }, occurredAt: '2024-01-10T10:00:00Z', metadata: { ...metadata, schemaVersion: 1 } };
    await log.append(customerStreamId('old'), [plain]);
    expect((await store.readStream(customerStreamId('old')))[0].data).toMatchObject({ name: 'Ada Lovelace' });
    await forget('old');
    const [registered] = await store.readStream(customerStreamId('old'));
    expect(registered.data).toEqual({ customerId: 'old', name: ERASED, timeZone: 'Europe/London', language: 'en', preferredChannel: 'email', marketingConsent: true, tags: [] });
  });
});
