import { randomUUID } from 'node:crypto';
import { customerStreamId } from '../../libs/domain/src';
import { PostgresEventStore, type NewEvent } from '../../libs/event-store/src';
import { Projector } from '../../libs/projection-engine/src';
import { touchpointConfig } from '../../libs/touchpoints/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { projections } from '../index';
import { touchpointHoldoutCounts } from './touchpoint-holdouts.queries';
import { touchpointQueue } from './touchpoints.queries';

/*
 * A kind's holdout end to end in the read models: 60 customers back from one trip on 2025-03-08, their welcome-home
 * calls (due 2025-03-09) half held out by the hash (share 0.5). Every third books again on 2025-05-01 (one of them
 * cancels it), every customer answers a survey on 2025-03-20 with NPS i mod 11. The expected counts are taken customer
 * by customer from the plan and the rows' statuses.
 */
let database: TestDatabase;
let store: PostgresEventStore;
const config = touchpointConfig({ version: 'holdouts-int', rules: { 'welcome-home-call': { holdoutShare: 0.5 } } });
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'agent' }, source: 'api', schemaVersion: 1 };
const ev = (type: string, occurredAt: string, data: Record<string, unknown>): NewEvent => ({ eventId: randomUUID(), type, occurredAt, data, metadata });
const CUSTOMERS = 60;
const id = (i: number): string => `h-${String(i).padStart(2, '0')}`;
const trip = (bookingId: string, at: string, departureDate: string, returnDate: string): NewEvent =>
  ev('TripBooked', at, { bookingId, destination: { country: 'GR', city: 'Chania' }, departureDate, returnDate, amount: { value: 100_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' });

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 6 });
  await store.migrate();
  for (let i = 0; i < CUSTOMERS; i++) {
    const events = [
      ev('CustomerRegistered', '2024-06-01T10:00:00.000Z', { customerId: id(i), name: `C ${i}`, timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'phone', marketingConsent: true, tags: [] }),
      trip('b1', '2025-01-10T10:00:00.000Z', '2025-03-01', '2025-03-08'),
      ev('TripDeparted', '2025-03-01T06:00:00.000Z', { bookingId: 'b1' }),
      ev('TripReturned', '2025-03-08T18:00:00.000Z', { bookingId: 'b1' }),
      ev('SurveyAnswered', '2025-03-20T10:00:00.000Z', { surveyId: 's1', bookingId: 'b1', nps: i % 11 }),
    ];
    if (i % 3 === 0) events.push(trip('b2', '2025-05-01T10:00:00.000Z', '2025-08-01', '2025-08-08'));
    if (i === 3) events.push(ev('BookingCancelled', '2025-05-02T10:00:00.000Z', { bookingId: 'b2', reason: 'changed plans' }));
    await store.append(customerStreamId(id(i)), events.map((event) => ({ ...event, metadata: { ...event.metadata, schemaVersion: event.type === 'TripBooked' || event.type === 'SurveyAnswered' ? 2 : 1 } })));
  }
  await allEventsVisible(store.pool);
  const projector = new Projector(store.pool, store, projections({ touchpoints: config }), { batchSize: 500, pollIntervalMs: 20 });
  await projector.migrate();
  for (const name of ['customer_overview', 'churn_facts', 'touchpoints', 'campaigns']) await projector.catchUp(name);
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

describe('touchpoint-kind holdouts in the read models', () => {
  it('holds out welcome-home calls by the hash, keeps them out of the work queue, and measures both arms customer by customer', async () => {
    const { rows } = await store.pool.query<{ customer_id: string; status: string }>(`SELECT customer_id, status FROM read_models.touchpoints WHERE kind = 'welcome-home-call' AND booking_id = 'b1' ORDER BY customer_id`);
    expect(rows).toHaveLength(CUSTOMERS);
    const held = new Set(rows.filter((row) => row.status === 'held-out').map((row) => row.customer_id));
    expect(held.size).toBeGreaterThan(15);
    expect(held.size).toBeLessThan(45);
    // (The second trips' calls, due 2025-08-09, are drawn too; with a 6-month window they are not yet measured.)
    // Other kinds of the same trips are untouched.
    expect((await store.pool.query(`SELECT count(*)::int AS n FROM read_models.touchpoints WHERE status = 'held-out' AND kind <> 'welcome-home-call'`)).rows[0].n).toBe(0);
    const queue = await touchpointQueue(store.pool, { kind: 'welcome-home-call', asOf: '2025-03-10T00:00:00.000Z', limit: 1000 });
    expect(queue.items.filter((item) => item.bookingId === 'b1').map((item) => item.customerId).sort()).toEqual(rows.filter((row) => !held.has(row.customer_id)).map((row) => row.customer_id));

    const expected = { treatment: { n: 0, x: 0, answered: 0, sum: 0, promoters: 0, detractors: 0 }, control: { n: 0, x: 0, answered: 0, sum: 0, promoters: 0, detractors: 0 } };
    for (let i = 0; i < CUSTOMERS; i++) {
      const arm = expected[held.has(id(i)) ? 'control' : 'treatment'];
      const nps = i % 11;
      arm.n += 1;
      if (i % 3 === 0 && i !== 3) arm.x += 1;
      arm.answered += 1;
      arm.sum += nps;
      if (nps >= 9) arm.promoters += 1;
      if (nps <= 6) arm.detractors += 1;
    }
    const counts = await touchpointHoldoutCounts(store.pool, 'welcome-home-call', 6, '2026-01-01T00:00:00.000Z');
    for (const name of ['treatment', 'control'] as const) {
      const want = expected[name];
      expect(counts[name]).toEqual({
        customers: want.n,
        conversions: want.x,
        revenue: want.x ? { EUR: want.x * 100_000 } : {},
        nps: { answered: want.answered, npsSum: want.sum, promoters: want.promoters, detractors: want.detractors },
      });
    }
  });

  it('counts only touchpoints whose window has ended, and repeat bookings within it', async () => {
    // Due 2025-03-09: a 6-month window ends 2025-09-09; as of 2025-09-01 none has had its full time.
    const early = await touchpointHoldoutCounts(store.pool, 'welcome-home-call', 6, '2025-09-01T00:00:00.000Z');
    expect([early.treatment.customers, early.control.customers]).toEqual([0, 0]);
    // A one-month window closes before the 2025-05-01 bookings: nobody converts; the 2025-03-20 answers still count.
    const short = await touchpointHoldoutCounts(store.pool, 'welcome-home-call', 1, '2026-01-01T00:00:00.000Z');
    expect(short.treatment.conversions + short.control.conversions).toBe(0);
    expect(short.treatment.nps.answered + short.control.nps.answered).toBe(CUSTOMERS);
  });
});
