/*
 * Every read model after a customer is forgotten (issue 7): erased where it held personal data, still counting the
 * facts that are not personal, and rebuilt from the log (which now reads the customer erased) into the same rows.
 */
import { randomUUID } from 'node:crypto';
import { CUSTOMER_EVENT_SCHEMAS, ERASED, customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../libs/domain/src';
import { PostgresEventStore, SchemaAwareEventStore, handleCommand, type EventStore } from '../libs/event-store/src';
import { Projector } from '../libs/projection-engine/src';
import { EncryptingEventStore, forgetCustomer } from '../libs/privacy/src';
import { segmentConfig } from '../libs/segments/src';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../libs/touchpoints/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { projections } from './';
import { evaluateAndRecord } from './segments/segment-recording';

let database: TestDatabase;
let log: PostgresEventStore;
let store: EventStore;
let keys: EncryptingEventStore['keys'];
let projector: Projector;
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'agent-7', role: 'admin' }, source: 'api' };
const SECRETS = /Ada|Lovelace|ada@example|7946|1985-04-12|Cockroach|two nights|hated|Crete|CEO|broke her leg|says thanks/;

const run = (customerId: string, type: CustomerCommand['type'], data: object, occurredAt: string) =>
  handleCommand(store, customerStreamId(customerId), { decide, evolve, initialState }, { type, customerId, data, occurredAt } as CustomerCommand, { metadata, newId: randomUUID });

const catchUp = async (): Promise<void> => {
  await allEventsVisible(log.pool);
  for (const projection of projector.projections) await projector.catchUp(projection.name);
};

/** Every row of every table of every projection, in a fixed order. */
const snapshot = async (): Promise<Record<string, unknown[]>> => {
  const tables: Record<string, unknown[]> = {};
  for (const table of projector.projections.flatMap((p) => p.tables)) {
    tables[table] = JSON.parse(JSON.stringify((await log.pool.query(`SELECT * FROM ${table} t ORDER BY t::text`)).rows)) as unknown[];
  }
  return tables;
};

const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await log.pool.query(sql)).rows as Record<string, unknown>[];
const trip = (bookingId: string, departureDate: string, returnDate: string, value: number) => ({
  bookingId, destination: { country: 'GR', city: 'Chania' }, departureDate, returnDate, amount: { value, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web',
});
const register = (name: string) => ({ name, email: 'ada@example.com', phone: '+44 20 7946 0000', birthDate: '1985-04-12', timeZone: 'Europe/London', language: 'en', preferredChannel: 'phone', marketingConsent: true, tags: ['family'] });

let live: Record<string, unknown[]>;
let birthdaysBefore: number;

beforeAll(async () => {
  database = await createTestDatabase();
  log = new PostgresEventStore({ connectionString: database.url, max: 8 });
  await log.migrate();
  const encrypting = new EncryptingEventStore(log, log.pool);
  await encrypting.keys.migrate();
  keys = encrypting.keys;
  store = new SchemaAwareEventStore(encrypting, CUSTOMER_EVENT_SCHEMAS);
  projector = new Projector(log.pool, store, projections({ touchpoints: DEFAULT_TOUCHPOINT_CONFIG }), { batchSize: 7 });
  await projector.migrate();

  await run('f1', 'RegisterCustomer', register('Ada Lovelace'), '2025-01-10T10:00:00Z');
  await run('f1', 'BookTrip', trip('b1', '2025-06-01', '2025-06-08', 150_000), '2025-02-01T10:00:00Z');
  await run('f1', 'RecordDeparture', { bookingId: 'b1' }, '2025-06-01T08:00:00Z');
  await run('f1', 'RecordReturn', { bookingId: 'b1' }, '2025-06-08T18:00:00Z');
  await run('f1', 'FileComplaint', { complaintId: 'cp1', bookingId: 'b1', category: 'room', severity: 'high', channel: 'phone', description: 'Cockroach in the bathroom' }, '2025-06-03T09:00:00Z');
  await run('f1', 'ResolveComplaint', { complaintId: 'cp1', resolution: 'Refunded two nights' }, '2025-06-04T09:00:00Z');
  await run('f1', 'AnswerSurvey', { surveyId: 's1', bookingId: 'b1', nps: 4, comment: 'Ada hated the food' }, '2025-06-15T09:00:00Z');
  await run('f1', 'LogInteraction', { interactionId: 'i1', channel: 'phone', direction: 'outbound', topic: 'welcome home', summary: 'Ada wants Crete next' }, '2025-06-10T09:00:00Z');
  await run('f1', 'GrantVipStatus', { reason: 'knows the CEO' }, '2025-06-20T09:00:00Z');
  await run('f1', 'BookTrip', trip('b2', '2026-09-01', '2026-09-10', 90_000), '2025-06-21T09:00:00Z');
  await run('f1', 'BookTrip', trip('b3', '2026-10-01', '2026-10-05', 40_000), '2025-06-22T09:00:00Z');
  await run('f1', 'CancelBooking', { bookingId: 'b3', reason: 'Ada broke her leg' }, '2025-06-23T09:00:00Z');
  await run('k1', 'RegisterCustomer', register('Kept Customer'), '2025-01-11T10:00:00Z');
  await run('k1', 'BookTrip', trip('b1', '2026-09-01', '2026-09-10', 70_000), '2025-02-01T10:00:00Z');
  await catchUp();

  const [call] = await rows(`SELECT touchpoint_id FROM read_models.touchpoints WHERE customer_id = 'f1' AND kind = 'welcome-home-call'`);
  await run('f1', 'CompleteTouchpoint', { touchpointId: call.touchpoint_id, outcome: 'done', note: 'Ada says thanks' }, '2025-06-10T10:00:00Z');
  await catchUp();
  [{ n: birthdaysBefore }] = (await rows(`SELECT count(*)::int AS n FROM read_models.touchpoints WHERE customer_id = 'f1' AND kind = 'birthday-greeting'`)) as { n: number }[];

  await forgetCustomer(store, keys, { type: 'ForgetCustomer', customerId: 'f1', data: { reason: 'erasure request 2025-114' }, occurredAt: '2025-07-01T10:00:00Z' }, { metadata, newId: randomUUID });
  await catchUp();
  live = await snapshot();
}, 120_000);
afterAll(async () => {
  await store.close();
  await database.drop();
});

describe('a forgotten customer in the read models', () => {
  it('shows the overview erased, with counts, revenue, complaints, NPS and VIP status kept', async () => {
    const [overview] = await rows(`SELECT * FROM read_models.customer_overview WHERE customer_id = 'f1'`);
    expect(overview).toMatchObject({
      name: ERASED, email: null, phone: null, birth_date: null, erased: true, erased_at: new Date('2025-07-01T10:00:00Z'),
      bookings_count: 3, trips_count: 1, cancellations_count: 1, revenue: { EUR: 240_000 }, total_complaints: 1, open_complaints: 0, last_nps: 4, vip: true,
      time_zone: 'Europe/London', tags: ['family'],
    });
    const [kept] = await rows(`SELECT name, email, erased FROM read_models.customer_overview WHERE customer_id = 'k1'`);
    expect(kept).toEqual({ name: 'Kept Customer', email: 'ada@example.com', erased: false });
  });

  it('holds no personal data anywhere in read_models', async () => {
    expect(JSON.stringify(Object.entries(live).map(([table, tableRows]) => [table, tableRows.filter((row) => (row as { customer_id?: string }).customer_id !== 'k1')]))).not.toMatch(SECRETS);
  });

  it('still counts the trips, amounts, complaints, surveys and contacts in segment and churn facts', async () => {
    expect(await rows(`SELECT booking_id, amount_value::int, returned_at IS NOT NULL AS returned, cancelled_at IS NOT NULL AS cancelled FROM read_models.segment_facts_bookings WHERE customer_id = 'f1' ORDER BY 1`)).toEqual([
      { booking_id: 'b1', amount_value: 150_000, returned: true, cancelled: false },
      { booking_id: 'b2', amount_value: 90_000, returned: false, cancelled: false },
      { booking_id: 'b3', amount_value: 40_000, returned: false, cancelled: true },
    ]);
    expect(await rows(`SELECT declared_tags, jsonb_array_length(vip_changes) AS vip_changes FROM read_models.segment_facts_customers WHERE customer_id = 'f1'`)).toEqual([{ declared_tags: ['family'], vip_changes: 1 }]);
    const churn = await rows(`SELECT (SELECT count(*)::int FROM read_models.churn_facts_bookings WHERE customer_id = 'f1') AS bookings,
      (SELECT count(*)::int FROM read_models.churn_facts_complaints WHERE customer_id = 'f1') AS complaints,
      (SELECT nps FROM read_models.churn_facts_surveys WHERE customer_id = 'f1') AS nps,
      (SELECT count(*)::int FROM read_models.churn_facts_contacts WHERE customer_id = 'f1') AS contacts`);
    expect(churn).toEqual([{ bookings: 3, complaints: 1, nps: 4, contacts: 1 }]);

    await evaluateAndRecord(log.pool, store, segmentConfig(), { asOf: '2025-12-01T00:00:00Z', trigger: 'on-demand' });
    expect(await rows(`SELECT trips, bookings, revenue::int FROM read_models.segment_scores WHERE customer_id = 'f1'`)).toEqual([{ trips: 1, bookings: 2, revenue: 240_000 }]);
  });

  it('drops the birthday greetings, erases the completion note, cancels every open touchpoint and keeps what was done', async () => {
    expect(birthdaysBefore).toBeGreaterThan(0);
    const touchpoints = await rows(`SELECT kind, status, reason, note, completed_by FROM read_models.touchpoints WHERE customer_id = 'f1' ORDER BY due_at, touchpoint_id`);
    expect(touchpoints.filter((t) => t.kind === 'birthday-greeting')).toEqual([]);
    expect(touchpoints.filter((t) => t.status === 'open')).toEqual([]);
    expect(touchpoints.find((t) => t.kind === 'welcome-home-call')).toEqual({ kind: 'welcome-home-call', status: 'done', reason: null, note: ERASED, completed_by: 'agent-7' });
    const forgotten = touchpoints.filter((t) => String(t.reason).includes('customer forgotten'));
    expect(forgotten.length).toBeGreaterThan(0);
    expect(forgotten.every((t) => t.status === 'cancelled')).toBe(true);
    const [facts] = await rows(`SELECT facts FROM read_models.touchpoint_facts WHERE customer_id = 'f1'`);
    expect(facts.facts).not.toHaveProperty('birthDate');
    expect(facts.facts).toMatchObject({ forgottenAt: '2025-07-01T10:00:00.000Z', completions: [{ note: ERASED }] });
    expect(await rows(`SELECT count(*)::int AS n FROM read_models.touchpoints WHERE customer_id = 'k1' AND status = 'open'`)).not.toEqual([{ n: 0 }]);
  });

  it('rebuilds every read model from the log into the same rows', async () => {
    // As the tests before left them: the segment evaluation recorded after the erasure included.
    const before = await snapshot();
    expect(before['read_models.segment_evaluations']).toHaveLength(1);
    for (const projection of projector.projections) await projector.rebuild(projection.name);
    expect(await snapshot()).toEqual(before);
  });
});
