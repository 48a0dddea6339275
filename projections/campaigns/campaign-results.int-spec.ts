import { randomUUID } from 'node:crypto';
import { campaignStreamId, customerStreamId } from '../../libs/domain/src';
import { PostgresEventStore, type NewEvent } from '../../libs/event-store/src';
import { Projector } from '../../libs/projection-engine/src';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../../libs/touchpoints/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { projections } from '../index';
import { campaignArmCounts, campaignForResults } from './campaign-results.queries';
import { campaignSends } from './campaign-export.queries';

/*
 * The results SQL on a hand-built base, customer by customer. The query joins several read models (assignments,
 * customer_overview, churn_facts, touchpoints), so the test runs the engine's whole set of projections (projections/index).
 */
let database: TestDatabase;
let store: PostgresEventStore;
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'manager' }, source: 'api', schemaVersion: 1 };
const ev = (type: string, occurredAt: string, data: Record<string, unknown>, schemaVersion = 1): NewEvent => ({ eventId: randomUUID(), type, occurredAt, data, metadata: { ...metadata, schemaVersion } });

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 6 });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

const WINDOW = { from: '2026-03-01T08:00:00.000Z', until: '2026-03-31T18:00:00.000Z' };
const ASSIGNED = '2026-03-01T09:00:00.000Z';

const registered = (id: string, consent = true): NewEvent =>
  ev('CustomerRegistered', '2025-01-10T10:00:00.000Z', { customerId: id, name: `Customer ${id}`, email: `${id}@example.com`, phone: `+30 210 000 ${id.length}`, timeZone: 'Europe/Athens', language: 'el', preferredChannel: 'email', marketingConsent: consent, tags: [] });
const assigned = (campaignId: string, arm: 'treatment' | 'control'): NewEvent =>
  ev('CampaignArmAssigned', ASSIGNED, { campaignId, arm, channel: 'sms', contentHints: ['flight deal'], sendWindow: WINDOW });
const booked = (bookingId: string, at: string, value: number, currency = 'EUR'): NewEvent =>
  ev('TripBooked', at, { bookingId, destination: { country: 'GB', city: 'London' }, departureDate: '2026-06-01', returnDate: '2026-06-05', amount: { value, currency }, travellers: 1, productType: 'flight', channel: 'web' }, 2);

/** Every customer is in both campaigns, in the same arm: cmp-any (goal booking) and cmp-big (booking of at least 800.00 EUR). */
const customers: Record<string, NewEvent[]> = {
  // Converts: books in the window (1,000.00 EUR).
  t1: [booked('b1', '2026-03-10T12:00:00.000Z', 100_000)],
  // Booked before the assignment only: no conversion, no revenue.
  t2: [booked('b1', '2026-02-20T12:00:00.000Z', 90_000)],
  // Books after the 30-day window (ends 2026-03-31T09:00Z): no.
  t3: [booked('b1', '2026-04-15T12:00:00.000Z', 90_000)],
  // Books in the window and cancels two days later: counts only as of an instant before the cancellation.
  t4: [booked('b1', '2026-03-05T12:00:00.000Z', 50_000), ev('BookingCancelled', '2026-03-07T12:00:00.000Z', { bookingId: 'b1', reason: 'changed plans' })],
  // Withdraws consent: dropped, whatever they booked.
  t5: [ev('MarketingConsentChanged', '2026-03-03T10:00:00.000Z', { granted: false }), booked('b1', '2026-03-10T12:00:00.000Z', 100_000)],
  // Forgotten: dropped.
  t6: [booked('b1', '2026-03-10T12:00:00.000Z', 100_000), ev('CustomerForgotten', '2026-04-01T10:00:00.000Z', { reason: 'asked to be forgotten' })],
  // Control, converts in GBP (below the EUR threshold: another currency never meets it).
  c1: [booked('b1', '2026-03-20T12:00:00.000Z', 150_000, 'GBP')],
  // Control, nothing.
  c2: [],
};

beforeAll(async () => {
  for (const [campaignId, goal] of [['cmp-any', { kind: 'booking' }], ['cmp-big', { kind: 'booking-above', amount: { value: 80_000, currency: 'EUR' } }]] as const) {
    await store.append(campaignStreamId(campaignId), [
      ev('CampaignDefined', '2026-02-25T10:00:00.000Z', {
        campaignId, name: `Flight deal ${campaignId}`, audience: { requireMarketingConsent: true, trips: { productTypes: ['flight'] } }, channel: 'sms', contentHints: ['flight deal'],
        sendWindow: WINDOW, holdoutShare: 0.25, goal, conversionWindowDays: 30,
      }),
      ev('CampaignLaunched', ASSIGNED, { campaignId, assignmentKey: 'ab'.repeat(16) }),
    ]);
  }
  for (const [id, later] of Object.entries(customers)) {
    const arm = id.startsWith('t') ? 'treatment' : 'control';
    await store.append(customerStreamId(id), [registered(id), assigned('cmp-any', arm), assigned('cmp-big', arm), ...later].sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : 1)));
  }
  await allEventsVisible(store.pool);
  const projector = new Projector(store.pool, store, projections({ touchpoints: DEFAULT_TOUCHPOINT_CONFIG }), { batchSize: 500, pollIntervalMs: 20 });
  await projector.migrate();
  for (const name of ['customer_overview', 'churn_facts', 'campaigns', 'touchpoints']) await projector.catchUp(name);
});

describe('campaign results SQL', () => {
  it('counts each arm, its conversions and revenue, and the dropped, customer by customer', async () => {
    const campaign = (await campaignForResults(store.pool, 'cmp-any'))!;
    expect(campaign).toMatchObject({ status: 'running', goal: { kind: 'booking' }, conversionWindowDays: 30, requireMarketingConsent: true });
    expect(await campaignArmCounts(store.pool, campaign, '2026-06-01T00:00:00.000Z')).toEqual({
      // t1..t4 counted; t1 converts (t4's booking was cancelled by then); t5 and t6 dropped.
      treatment: { customers: 4, conversions: 1, revenue: { EUR: 100_000 }, dropped: { forgotten: 1, consentWithdrawn: 1 }, windowsOpen: 0 },
      control: { customers: 2, conversions: 1, revenue: { GBP: 150_000 }, dropped: { forgotten: 0, consentWithdrawn: 0 }, windowsOpen: 0 },
    });
  });

  it('counts only what happened by asOf: a booking later cancelled counts before its cancellation', async () => {
    const campaign = (await campaignForResults(store.pool, 'cmp-any'))!;
    expect(await campaignArmCounts(store.pool, campaign, '2026-03-06T00:00:00.000Z')).toMatchObject({
      treatment: { customers: 4, conversions: 1, revenue: { EUR: 50_000 }, windowsOpen: 4 },
      control: { customers: 2, conversions: 0, revenue: {}, windowsOpen: 2 },
    });
    // Before anyone was assigned there is nobody to count.
    expect(await campaignArmCounts(store.pool, campaign, '2026-02-28T00:00:00.000Z')).toMatchObject({ treatment: { customers: 0 }, control: { customers: 0 } });
  });

  it('drops a customer who withdrew consent only as of instants after the withdrawal, so past results stay as they were', async () => {
    const campaign = (await campaignForResults(store.pool, 'cmp-any'))!;
    // t5 withdrew at 2026-03-03T10:00Z, two days after the assignment.
    const before = await campaignArmCounts(store.pool, campaign, '2026-03-03T09:59:59.000Z');
    const after = await campaignArmCounts(store.pool, campaign, '2026-03-03T10:00:00.000Z');
    expect(before.treatment).toMatchObject({ customers: 5, dropped: { forgotten: 1, consentWithdrawn: 0 } });
    expect(after.treatment).toMatchObject({ customers: 4, dropped: { forgotten: 1, consentWithdrawn: 1 } });
    const { rows } = await store.pool.query(`SELECT campaign_id, consent_withdrawn_at FROM read_models.campaign_assignments WHERE customer_id = 't5' ORDER BY campaign_id`);
    expect(rows).toEqual([
      { campaign_id: 'cmp-any', consent_withdrawn_at: new Date('2026-03-03T10:00:00.000Z') },
      { campaign_id: 'cmp-big', consent_withdrawn_at: new Date('2026-03-03T10:00:00.000Z') },
    ]);
  });

  it('takes a booking-above goal in its own currency only', async () => {
    const campaign = (await campaignForResults(store.pool, 'cmp-big'))!;
    const counts = await campaignArmCounts(store.pool, campaign, '2026-06-01T00:00:00.000Z');
    // t1's 1,000.00 EUR meets 800.00 EUR; c1's 1,500.00 GBP is another currency.
    expect([counts.treatment.conversions, counts.control.conversions]).toEqual([1, 0]);
  });

  it('exports the open sends of treated customers with consent, and none of the control arm or the forgotten', async () => {
    const { items } = await campaignSends(store.pool, { campaignId: 'cmp-any', limit: 100 });
    // t1-t4 have consent; t5 withdrew it after the send was due (still open in the schedule, left out of the export);
    // t6 is forgotten (cancelled); c1, c2 are controls (no row).
    expect(items.map((send) => send.customerId).sort()).toEqual(['t1', 't2', 't3', 't4']);
    expect(items[0]).toMatchObject({ channel: 'sms', language: 'el', contentHints: ['flight deal'], dueAt: '2026-03-01T09:00:00.000Z' });
    expect(items.find((send) => send.customerId === 't1')).toMatchObject({ phone: '+30 210 000 2', email: 't1@example.com' });
    const rows = await store.pool.query(`SELECT customer_id, status FROM read_models.touchpoints WHERE campaign_id = 'cmp-any' AND customer_id IN ('t5', 't6') ORDER BY 1`);
    expect(rows.rows).toEqual([{ customer_id: 't5', status: 'open' }, { customer_id: 't6', status: 'cancelled' }]);
  });
});
