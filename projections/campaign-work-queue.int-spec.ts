import { randomUUID } from 'node:crypto';
import { campaignStreamId, customerStreamId } from '../libs/domain/src';
import { PostgresEventStore, type NewEvent } from '../libs/event-store/src';
import { Projector } from '../libs/projection-engine/src';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../libs/touchpoints/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { projections } from './index';
import { touchpointQueue } from './touchpoints/touchpoints.queries';

/*
 * Two read models meet here (so the test sits above both): a campaign's sends are open rows of the touchpoints read
 * model, and whether its campaign runs is in the campaigns read model. The work queue joins them at read time.
 */
let database: TestDatabase;
let store: PostgresEventStore;
let projector: Projector;
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'manager' }, source: 'api', schemaVersion: 1 };
const ev = (type: string, occurredAt: string, data: Record<string, unknown>): NewEvent => ({ eventId: randomUUID(), type, occurredAt, data, metadata });
const WINDOW = { from: '2026-03-01T08:00:00.000Z', until: '2026-03-31T18:00:00.000Z' };

const caughtUp = async (): Promise<void> => {
  await allEventsVisible(store.pool);
  for (const name of ['customer_overview', 'touchpoints', 'campaigns']) await projector.catchUp(name);
};

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 6 });
  await store.migrate();
  for (const campaignId of ['cmp-a', 'cmp-b']) {
    await store.append(campaignStreamId(campaignId), [
      ev('CampaignDefined', '2026-02-25T10:00:00.000Z', {
        campaignId, name: campaignId, audience: { requireMarketingConsent: true }, channel: 'email', contentHints: ['offer'], sendWindow: WINDOW, holdoutShare: 0.1, goal: { kind: 'booking' }, conversionWindowDays: 30,
      }),
      ev('CampaignLaunched', '2026-03-01T09:00:00.000Z', { campaignId, assignmentKey: 'cd'.repeat(16) }),
    ]);
  }
  for (const id of ['q1', 'q2']) {
    await store.append(customerStreamId(id), [
      ev('CustomerRegistered', '2025-01-10T10:00:00.000Z', { customerId: id, name: id, timeZone: 'Europe/Lisbon', language: 'pt', preferredChannel: 'email', marketingConsent: true, tags: [] }),
      ev('CampaignArmAssigned', '2026-03-01T09:00:00.000Z', { campaignId: id === 'q1' ? 'cmp-a' : 'cmp-b', arm: 'treatment', channel: 'email', contentHints: ['offer'], sendWindow: WINDOW }),
    ]);
  }
  projector = new Projector(store.pool, store, projections({ touchpoints: DEFAULT_TOUCHPOINT_CONFIG }), { batchSize: 500, pollIntervalMs: 20 });
  await projector.migrate();
  await caughtUp();
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

const queued = async (): Promise<string[]> =>
  (await touchpointQueue(store.pool, { kind: 'campaign', status: 'open', asOf: '2026-03-02T00:00:00.000Z', limit: 100 })).items.map((item) => `${item.customerId}:${item.campaignId}`).sort();

describe('the work queue and campaign status', () => {
  it('keeps the open sends of a paused or ended campaign out of the queue, and brings a resumed one back', async () => {
    expect(await queued()).toEqual(['q1:cmp-a', 'q2:cmp-b']);
    await store.append(campaignStreamId('cmp-b'), [ev('CampaignPaused', '2026-03-01T12:00:00.000Z', { campaignId: 'cmp-b' })]);
    await caughtUp();
    expect(await queued()).toEqual(['q1:cmp-a']);
    // The row itself stays open: the schedule never reads the campaign's stream.
    const row = await store.pool.query(`SELECT status FROM read_models.touchpoints WHERE campaign_id = 'cmp-b'`);
    expect(row.rows).toEqual([{ status: 'open' }]);
    await store.append(campaignStreamId('cmp-b'), [ev('CampaignResumed', '2026-03-01T13:00:00.000Z', { campaignId: 'cmp-b' })]);
    await caughtUp();
    expect(await queued()).toEqual(['q1:cmp-a', 'q2:cmp-b']);
    await store.append(campaignStreamId('cmp-a'), [ev('CampaignEnded', '2026-03-01T14:00:00.000Z', { campaignId: 'cmp-a' })]);
    await caughtUp();
    expect(await queued()).toEqual(['q2:cmp-b']);
  });
});
