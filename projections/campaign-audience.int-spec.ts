/*
 * Issue 18: a campaign's audience from the read models the engine keeps (segments, bookings, consent, erasure), and
 * its assignment into arms, on a hand-built base where every customer is in or out for one stated reason. Here, not
 * in projections/campaigns/, because it runs the segment and overview projections beside the campaigns one.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { armOf } from '../libs/campaigns/src';
import {
  campaignDecider,
  campaignStreamId,
  CUSTOMER_EVENT_SCHEMAS,
  customerStreamId,
  decide,
  evolve,
  initialState,
  parseCustomerCommand,
  parseDefineCampaign,
  type CampaignAudience,
  type CampaignCommand,
  type CustomerCommand,
} from '../libs/domain/src';
import { compareCheckpoints, handleCommand, PostgresEventStore, SchemaAwareEventStore, type EventStore } from '../libs/event-store/src';
import { EncryptingEventStore, forgetCustomer } from '../libs/privacy/src';
import { Projector } from '../libs/projection-engine/src';
import { segmentConfig } from '../libs/segments/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { assignAudience, assignmentEventId } from './campaigns/assign-audience';
import { runCampaignEntrants } from './campaigns/campaign-schedule';
import { audienceMembers } from './campaigns/campaign-audience.queries';
import { campaignsProjection } from './campaigns/campaigns.projection';
import { campaignView } from './campaigns/campaigns.queries';
import { customerOverviewProjection } from './customer-overview/customer-overview.projection';
import { evaluateAndRecord } from './segments/segment-recording';
import { segmentFactsProjection } from './segments/segment-facts.projection';

let database: TestDatabase;
let pool: Pool;
let log: PostgresEventStore;
let store: EventStore;
let keys: EncryptingEventStore['keys'];
let projector: Projector;
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'manager-1', role: 'manager' }, source: 'api' };
const AS_OF = '2026-03-01T00:00:00.000Z';

async function run(customerId: string, type: CustomerCommand['type'], body: object, occurredAt: string, ids: Record<string, string> = {}): Promise<void> {
  const parsed = parseCustomerCommand({ type, customerId, occurredAt, body, ids });
  if (!parsed.ok) throw parsed.error;
  await handleCommand(store, customerStreamId(customerId), { decide, evolve, initialState }, parsed.command as CustomerCommand, { metadata, newId: randomUUID });
}
const register = (customerId: string, marketingConsent: boolean, tags: string[] = []) =>
  run(customerId, 'RegisterCustomer', { name: `Customer ${customerId}`, timeZone: 'Europe/Lisbon', language: 'pt', preferredChannel: 'sms', phone: '+351 912 345 678', marketingConsent, tags }, '2022-01-01T09:00:00Z');
const book = (customerId: string, bookingId: string, productType: string, bookedAt: string, extra: { country?: string; channel?: string; value?: number; currency?: string } = {}) =>
  run(customerId, 'BookTrip', {
    bookingId, destination: { country: extra.country ?? 'PT', city: 'Lisbon' }, departureDate: '2026-06-01', returnDate: '2026-06-08',
    amount: { value: extra.value ?? 20_000, currency: extra.currency ?? 'EUR' }, travellers: 1, productType, channel: extra.channel ?? 'web',
  }, bookedAt);

async function command(command: CampaignCommand): Promise<void> {
  await handleCommand(store, campaignStreamId(command.data.campaignId), campaignDecider, command, { metadata, newId: randomUUID });
}
async function define(campaignId: string, audience: object, holdoutShare = 0.1): Promise<void> {
  const parsed = parseDefineCampaign(
    { campaignId, name: campaignId, audience, channel: 'sms', contentHints: ['flight deal'], sendWindow: { from: '2026-03-02T08:00:00Z', until: '2026-03-09T20:00:00Z' }, holdoutShare, goal: { kind: 'booking' }, conversionWindowDays: 30 },
    { campaignId, occurredAt: '2026-02-28T10:00:00Z' },
  );
  if (!parsed.ok) throw parsed.error;
  await command(parsed.command);
}
const launch = (campaignId: string, assignmentKey = 'c0ffee'.repeat(8)) => command({ type: 'LaunchCampaign', data: { campaignId, assignmentKey }, occurredAt: AS_OF });

const catchUp = async (): Promise<void> => {
  await allEventsVisible(pool);
  for (const projection of projector.projections) await projector.catchUp(projection.name);
};
const members = (audience: Omit<CampaignAudience, 'requireMarketingConsent'> & { requireMarketingConsent?: boolean }) =>
  audienceMembers(pool, { requireMarketingConsent: true, ...audience }, { asOf: AS_OF });

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 8 });
  log = new PostgresEventStore(pool);
  await log.migrate();
  const encrypting = new EncryptingEventStore(log, pool);
  await encrypting.keys.migrate();
  keys = encrypting.keys;
  store = new SchemaAwareEventStore(encrypting, CUSTOMER_EVENT_SCHEMAS);
  projector = new Projector(pool, store, [customerOverviewProjection, segmentFactsProjection, campaignsProjection], { batchSize: 50 });
  await projector.migrate();

  // The flight-deal base: who booked a flight in the 24 months before 2026-03-01, with marketing consent.
  await register('flyer-recent', true);
  await book('flyer-recent', 'b1', 'flight', '2025-06-10T10:00:00Z');
  await register('flyer-two', true, ['golf']);
  await book('flyer-two', 'b1', 'flight', '2024-04-01T10:00:00Z', { country: 'ES', channel: 'agency' });
  await book('flyer-two', 'b2', 'flight', '2025-11-01T10:00:00Z', { value: 90_000 });
  await run('flyer-two', 'AmendBooking', { amount: { value: 95_000, currency: 'EUR' } }, '2025-11-05T10:00:00Z', { bookingId: 'b2' });
  await register('flyer-consent-later', false);
  await book('flyer-consent-later', 'b1', 'flight', '2025-01-15T10:00:00Z');
  await run('flyer-consent-later', 'UpdateCustomerProfile', { marketingConsent: true }, '2025-02-01T10:00:00Z');
  await register('flyer-old', true); // booked 26 months before
  await book('flyer-old', 'b1', 'flight', '2024-01-01T10:00:00Z');
  await register('flyer-no-consent', false, ['golf']);
  await book('flyer-no-consent', 'b1', 'flight', '2025-06-10T10:00:00Z');
  await register('flyer-withdrew', true);
  await book('flyer-withdrew', 'b1', 'flight', '2025-06-10T10:00:00Z');
  await run('flyer-withdrew', 'UpdateCustomerProfile', { marketingConsent: false }, '2025-08-01T10:00:00Z');
  await register('flyer-cancelled', true);
  await book('flyer-cancelled', 'b1', 'flight', '2025-06-10T10:00:00Z');
  await run('flyer-cancelled', 'CancelBooking', { reason: 'changed plans' }, '2025-06-12T10:00:00Z', { bookingId: 'b1' });
  await register('flyer-forgotten', true);
  await book('flyer-forgotten', 'b1', 'flight', '2025-06-10T10:00:00Z');
  await forgetCustomer(store, keys, { type: 'ForgetCustomer', customerId: 'flyer-forgotten', data: { reason: 'erasure request' }, occurredAt: '2025-09-01T10:00:00Z' }, { metadata, newId: randomUUID });
  await register('packager', true, ['golf']);
  await book('packager', 'b1', 'package', '2025-06-10T10:00:00Z');
  await run('packager', 'GrantVipStatus', { reason: 'key account' }, '2025-07-01T10:00:00Z');
  await register('flyer-future', true); // books after the instant asked about
  await book('flyer-future', 'b1', 'flight', '2026-03-05T10:00:00Z');
  await register('vip-golfer', true, ['golf']);
  await run('vip-golfer', 'GrantVipStatus', { reason: 'key account' }, '2025-07-01T10:00:00Z');
  await catchUp();
  await evaluateAndRecord(pool, store, segmentConfig(), { asOf: AS_OF, trigger: 'on-demand' });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

describe('audienceMembers', () => {
  it('the flight deal: flight bookings in the last 24 months, with consent, not cancelled, not forgotten', async () => {
    expect(await members({ trips: { productTypes: ['flight'], withinMonths: 24 } })).toEqual(['flyer-consent-later', 'flyer-recent', 'flyer-two']);
  });

  it('takes everyone who booked when consent is not required, and never a forgotten customer', async () => {
    expect(await members({ trips: { productTypes: ['flight'], withinMonths: 24 }, requireMarketingConsent: false })).toEqual([
      'flyer-consent-later',
      'flyer-no-consent',
      'flyer-recent',
      'flyer-two',
      'flyer-withdrew',
    ]);
  });

  it('filters by destination, channel, number of trips and spend (as amended, in its currency)', async () => {
    expect(await members({ trips: { destinations: ['ES'] } })).toEqual(['flyer-two']);
    expect(await members({ trips: { channels: ['agency'] } })).toEqual(['flyer-two']);
    expect(await members({ trips: { productTypes: ['flight'], minTrips: 2 } })).toEqual(['flyer-two']);
    expect(await members({ trips: { minSpend: { value: 115_000, currency: 'EUR' } } })).toEqual(['flyer-two']);
    expect(await members({ trips: { minSpend: { value: 115_001, currency: 'EUR' } } })).toEqual([]);
    expect(await members({ trips: { minSpend: { value: 1, currency: 'GBP' } } })).toEqual([]);
  });

  it('takes segments, any or all of them, with the other filters', async () => {
    expect(await members({ segments: { match: 'any', keys: ['vip:vip', 'interest:golf'] } })).toEqual(['flyer-two', 'packager', 'vip-golfer']);
    expect(await members({ segments: { match: 'all', keys: ['vip:vip', 'interest:golf'] } })).toEqual(['packager', 'vip-golfer']);
    expect(await members({ segments: { match: 'any', keys: ['interest:golf'] }, trips: { productTypes: ['flight'] } })).toEqual(['flyer-two']);
  });
});

describe('assignAudience and the campaigns read model', () => {
  it('assigns each audience member once, in the arm of the keyed hash, and the read model counts them', async () => {
    await define('flight-deal', { trips: { productTypes: ['flight'], withinMonths: 24 } }, 0.5);
    await launch('flight-deal');
    const now = () => new Date(AS_OF);
    const first = await assignAudience(pool, store, 'flight-deal', { now, metadata });
    expect(first).toMatchObject({ status: 'running', audience: 3, assigned: 3 });
    // Again before the projector saw the first run: the log itself says who has an arm.
    const again = await assignAudience(pool, store, 'flight-deal', { now, metadata });
    expect(again).toMatchObject({ audience: 3, assigned: 0 });
    await catchUp();
    const arms = (await pool.query('SELECT customer_id, arm, assigned_at FROM read_models.campaign_assignments ORDER BY customer_id')).rows;
    expect(arms).toEqual(
      ['flyer-consent-later', 'flyer-recent', 'flyer-two'].map((customerId) => ({ customer_id: customerId, arm: armOf('c0ffee'.repeat(8), 'flight-deal', customerId, 0.5), assigned_at: new Date(AS_OF) })),
    );
    for (const customerId of ['flyer-recent', 'flyer-old']) {
      const stream = await store.readStream(customerStreamId(customerId));
      const assigned = stream.filter((event) => event.type === 'CampaignArmAssigned');
      expect(assigned.map((event) => event.eventId)).toEqual(customerId === 'flyer-recent' ? [assignmentEventId('flight-deal', customerId)] : []);
    }
    const [event] = (await store.readStream(customerStreamId('flyer-recent'))).filter((e) => e.type === 'CampaignArmAssigned');
    expect(event.data).toEqual({ campaignId: 'flight-deal', arm: expect.any(String), channel: 'sms', contentHints: ['flight deal'], sendWindow: { from: '2026-03-02T08:00:00.000Z', until: '2026-03-09T20:00:00.000Z' } });
    // A third run after the projector caught up finds nobody left.
    expect(await assignAudience(pool, store, 'flight-deal', { now, metadata })).toMatchObject({ audience: 0, assigned: 0 });
    const view = await campaignView(pool, 'flight-deal');
    expect(view).toMatchObject({ status: 'running', launchedAt: AS_OF, definition: { holdoutShare: 0.5, channel: 'sms' } });
    expect(view!.arms.treatment + view!.arms.control).toBe(3);
  });

  it('gives the same arms in many small batches in flight at once, and the position of the latest in read order', async () => {
    await define('golf-batched', { segments: { match: 'any', keys: ['interest:golf'] } });
    await launch('golf-batched');
    const run = await assignAudience(pool, store, 'golf-batched', { now: () => new Date(AS_OF), metadata, batchSize: 1, concurrency: 3 });
    expect(run).toMatchObject({ audience: 3, assigned: 3 });
    const events = (await Promise.all(['flyer-two', 'packager', 'vip-golfer'].map((id) => store.readStream(customerStreamId(id)))))
      .flat()
      .filter((event) => event.type === 'CampaignArmAssigned' && event.data.campaignId === 'golf-batched');
    expect(events.map((event) => event.data.arm)).toEqual(['flyer-two', 'packager', 'vip-golfer'].map((id) => armOf('c0ffee'.repeat(8), 'golf-batched', id, 0.1)));
    // The log is read in transaction order: every assignment comes at or before the one whose position is answered,
    // so a read past that position sees them all (the highest position may come earlier, in an older transaction).
    const answered = events.find((event) => event.globalPosition === run.lastPosition)!;
    expect(events.filter((event) => compareCheckpoints(event.checkpoint, answered.checkpoint) > 0)).toEqual([]);
  });

  it('assigns entrants while running, nobody while paused or ended', async () => {
    await define('golf', { segments: { match: 'any', keys: ['interest:golf'] } });
    const now = () => new Date(AS_OF);
    expect(await assignAudience(pool, store, 'golf', { now, metadata })).toMatchObject({ status: 'defined', assigned: 0 });
    await launch('golf');
    await command({ type: 'PauseCampaign', data: { campaignId: 'golf' }, occurredAt: AS_OF });
    expect(await assignAudience(pool, store, 'golf', { now, metadata })).toMatchObject({ status: 'paused', assigned: 0 });
    await command({ type: 'ResumeCampaign', data: { campaignId: 'golf' }, occurredAt: AS_OF });
    expect(await assignAudience(pool, store, 'golf', { now, metadata })).toMatchObject({ status: 'running', assigned: 3 });
    await catchUp();
    expect(await campaignView(pool, 'golf')).toMatchObject({ status: 'running', pausedAt: null });
    await command({ type: 'EndCampaign', data: { campaignId: 'golf' }, occurredAt: AS_OF });
    await catchUp();
    expect(await campaignView(pool, 'golf')).toMatchObject({ status: 'ended', endedAt: AS_OF, arms: { treatment: expect.any(Number) } });
  });
});

describe('runCampaignEntrants', () => {
  it('assigns who entered a running campaign\'s audience since, only in the leading process', async () => {
    await register('flyer-entrant', true);
    await book('flyer-entrant', 'b1', 'flight', '2026-02-20T10:00:00Z');
    await catchUp();
    const lines: string[] = [];
    const runOnce = async (leading: boolean): Promise<void> => {
      const stop = new AbortController();
      const running = runCampaignEntrants(pool, store, { intervalMs: 60_000, log: (line) => lines.push(line), now: () => new Date(AS_OF), leading: () => leading }, stop.signal);
      // The first step runs at once; the wait after it ends on abort.
      await new Promise((resolve) => setTimeout(resolve, 500));
      stop.abort();
      await running;
    };
    await runOnce(false);
    expect((await store.readStream(customerStreamId('flyer-entrant'))).filter((event) => event.type === 'CampaignArmAssigned')).toEqual([]);
    await runOnce(true);
    const assigned = (await store.readStream(customerStreamId('flyer-entrant'))).filter((event) => event.type === 'CampaignArmAssigned');
    // flight-deal is running; golf has ended, and the entrant has no golf tag anyway.
    expect(assigned.map((event) => event.data.campaignId)).toEqual(['flight-deal']); // golf-batched: no golf tag
    expect(assigned[0].metadata.actor).toEqual({ id: 'engine', role: 'system' });
    expect(lines).toEqual([expect.stringMatching(/^campaign flight-deal: 1 entrants assigned/)]);
  });
});

describe('the analysts\' queries in docs/read-models.md', () => {
  it('count arms and reachable customers, and the control share', async () => {
    await catchUp();
    const arms = await pool.query(`
SELECT c.campaign_id, c.status, a.arm, count(*) AS assigned,
       count(*) FILTER (WHERE NOT o.erased AND (o.marketing_consent OR NOT (c.definition->'audience'->>'requireMarketingConsent')::boolean)) AS reachable
  FROM read_models.campaigns c
  JOIN read_models.campaign_assignments a USING (campaign_id)
  JOIN read_models.customer_overview o USING (customer_id)
 GROUP BY 1, 2, 3 ORDER BY 1, 3`);
    const total = arms.rows.filter((row) => row.campaign_id === 'flight-deal').reduce((sum, row) => sum + Number(row.assigned), 0);
    expect(total).toBe(4); // the three launched to, and the entrant
    const shares = await pool.query(`
SELECT campaign_id, (definition->>'holdoutShare')::numeric AS holdout,
       round(avg((arm = 'control')::int), 4) AS control_share
  FROM read_models.campaigns JOIN read_models.campaign_assignments USING (campaign_id)
 GROUP BY 1, 2`);
    expect(shares.rows.map((row) => row.campaign_id).sort()).toEqual(['flight-deal', 'golf', 'golf-batched']);
  });
});
