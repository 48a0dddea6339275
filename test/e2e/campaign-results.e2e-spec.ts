import { randomUUID } from 'node:crypto';
import { armOf } from '../../libs/campaigns/src';
import { campaignStreamId, customerStreamId } from '../../libs/domain/src';
import type { NewEvent, StreamAppend } from '../../libs/event-store/src';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * GET /campaigns/:id/results on a generated base with a planted effect (issue 18's acceptance). 4,000 customers are
 * in two campaigns launched at the same instant, arms drawn by the engine's keyed hash (libs/campaigns armOf):
 * - cmp-effect (holdout 50 %): its treated customers book within the 30-day window with probability 0.30, its
 *   controls with 0.20 (a seeded RNG): the planted uplift is 0.10;
 * - cmp-null (holdout 50 %, another key): bookings do not depend on its arms at all, so its uplift is 0.
 * The reported 95 % interval must contain 0.10 for the first and 0 for the second. With a seeded RNG the base is the
 * same on every run, so this is not a flaky 1-in-20 check: it is the seed's draw, and the benchmark
 * (bench/campaigns.bench.ts) measures the coverage over 50 seeds.
 */
const CUSTOMERS = 4_000;
const SEED = 18;
const ASSIGNED_AT = Date.parse('2026-03-02T09:00:00.000Z');
const DAY = 86_400_000;
const KEY_EFFECT = '11'.repeat(32);
const KEY_NULL = '22'.repeat(32);

const mulberry32 = (seed: number): (() => number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

let t: TestApp;
let last = 0;
const planted = { treatment: { customers: 0, conversions: 0 }, control: { customers: 0, conversions: 0 } };

const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test-import', role: 'system' }, source: 'import', schemaVersion: 1 };
const ev = (type: string, atMs: number, data: Record<string, unknown>, schemaVersion = 1): NewEvent => ({ eventId: randomUUID(), type, occurredAt: new Date(atMs).toISOString(), data, metadata: { ...metadata, schemaVersion } });
const window = { from: '2026-03-02T08:00:00.000Z', until: '2026-03-09T18:00:00.000Z' };

beforeAll(async () => {
  t = await startTestApp();
  const store = t.runtime.store;
  for (const [campaignId, key] of [['cmp-effect', KEY_EFFECT], ['cmp-null', KEY_NULL]]) {
    await store.append(campaignStreamId(campaignId), [
      ev('CampaignDefined', ASSIGNED_AT - 5 * DAY, {
        campaignId, name: campaignId, audience: { requireMarketingConsent: true }, channel: 'sms', contentHints: ['spring flight deal'],
        sendWindow: window, holdoutShare: 0.5, goal: { kind: 'booking' }, conversionWindowDays: 30,
      }),
      ev('CampaignLaunched', ASSIGNED_AT, { campaignId, assignmentKey: key }),
    ]);
  }
  const random = mulberry32(SEED);
  const appends: StreamAppend[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const customerId = `cr-${String(c).padStart(5, '0')}`;
    const effectArm = armOf(KEY_EFFECT, 'cmp-effect', customerId, 0.5);
    const nullArm = armOf(KEY_NULL, 'cmp-null', customerId, 0.5);
    const events = [
      ev('CustomerRegistered', Date.parse('2025-01-10T10:00:00.000Z'), { customerId, name: `Customer ${c}`, phone: `+30 690 ${String(c).padStart(7, '0')}`, timeZone: 'Europe/Athens', language: 'el', preferredChannel: 'sms', marketingConsent: true, tags: [] }),
      ev('CampaignArmAssigned', ASSIGNED_AT, { campaignId: 'cmp-effect', arm: effectArm, channel: 'sms', contentHints: ['spring flight deal'], sendWindow: window }),
      ev('CampaignArmAssigned', ASSIGNED_AT, { campaignId: 'cmp-null', arm: nullArm, channel: 'sms', contentHints: ['spring flight deal'], sendWindow: window }),
    ];
    const books = random() < (effectArm === 'treatment' ? 0.3 : 0.2);
    const dayOf = 1 + Math.floor(random() * 28);
    planted[effectArm].customers += 1;
    if (books) {
      planted[effectArm].conversions += 1;
      events.push(
        ev('TripBooked', ASSIGNED_AT + dayOf * DAY, { bookingId: 'b1', destination: { country: 'GB', city: 'London' }, departureDate: '2026-06-01', returnDate: '2026-06-05', amount: { value: 20_000, currency: 'EUR' }, travellers: 1, productType: 'flight', channel: 'web' }, 2),
      );
    }
    appends.push({ streamId: customerStreamId(customerId), events, expectedVersion: 'no_stream' });
  }
  for (let i = 0; i < appends.length; i += 500) await store.appendBatch(appends.slice(i, i + 500));
  last = Number((await t.runtime.readModels.query<{ p: string }>('SELECT max(global_position) AS p FROM event_store.events')).rows[0].p);
}, 120_000);
afterAll(() => t?.close());

/** Asked again while the answer says a read model is still behind (the wait is bounded; two suites share 2 vCPUs). */
const results = async (campaignId: string) => {
  for (let attempt = 1; ; attempt++) {
    const res = await t.http('analyst').get(`/campaigns/${campaignId}/results?asOf=2026-06-01T00:00:00Z&minPosition=${last}`).expect(200);
    if (res.headers['x-read-model-stale'] === undefined || attempt === 5) return res.body;
  }
};

describe('GET /campaigns/:id/results with a planted effect', () => {
  it('reports an interval containing the planted uplift of 0.10, and exactly the planted counts', async () => {
    const body = await results('cmp-effect');
    expect(body.arms.treatment).toMatchObject({ customers: planted.treatment.customers, conversions: planted.treatment.conversions, dropped: { forgotten: 0, consentWithdrawn: 0 } });
    expect(body.arms.control).toMatchObject({ customers: planted.control.customers, conversions: planted.control.conversions });
    expect(body.arms.treatment.customers + body.arms.control.customers).toBe(CUSTOMERS);
    const { uplift } = body;
    expect(uplift.method).toMatch(/unpooled Wald/);
    expect(uplift.interval95.low).toBeLessThan(0.1);
    expect(uplift.interval95.high).toBeGreaterThan(0.1);
    // And it is an effect: the interval excludes 0 and the test rejects "no effect".
    expect(uplift.interval95.low).toBeGreaterThan(0);
    expect(uplift.pValue).toBeLessThan(0.05);
    expect(uplift.incrementalConversions).toBeCloseTo(uplift.absolute * planted.treatment.customers, 6);
    expect(Object.keys(uplift.incrementalRevenue)).toEqual(['EUR']);
  });

  it('reports an interval containing 0 for a campaign with no effect', async () => {
    const { uplift, arms } = await results('cmp-null');
    expect(arms.treatment.customers + arms.control.customers).toBe(CUSTOMERS);
    expect(uplift.interval95.low).toBeLessThan(0);
    expect(uplift.interval95.high).toBeGreaterThan(0);
  });

  it('counts nothing before the launch, and answers 404 for an unknown campaign, 400 for a bad asOf', async () => {
    const before = (await t.http('analyst').get('/campaigns/cmp-effect/results?asOf=2026-03-01T00:00:00Z').expect(200)).body;
    expect([before.arms.treatment.customers, before.arms.control.customers, before.uplift]).toEqual([0, 0, null]);
    await t.http('analyst').get('/campaigns/cmp-nope/results').expect(404);
    await t.http('analyst').get('/campaigns/cmp-effect/results?asOf=soon').expect(400);
    await t.http('agent').get('/campaigns/cmp-effect/results').expect(403);
  });

  it('exports the treated customers\' sends as ndjson and CSV, phone numbers for sms, to managers only', async () => {
    await results('cmp-effect');
    const ndjson = await t.http('manager').get(`/campaigns/cmp-effect/export?minPosition=${last}`).set('Accept', 'application/x-ndjson').expect(200);
    const lines = ndjson.text.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(planted.treatment.customers);
    expect(lines[0]).toEqual({ touchpointId: expect.stringMatching(/^tp_/), customerId: expect.stringMatching(/^cr-/), channel: 'sms', address: expect.stringMatching(/^\+30 690 /), language: 'el', contentHints: ['spring flight deal'], dueAt: '2026-03-02T09:00:00.000Z' });
    const csv = await t.http('manager').get('/campaigns/cmp-effect/export').set('Accept', 'text/csv').expect(200);
    const rows = csv.text.trim().split('\n');
    expect(rows[0]).toBe('touchpoint_id,customer_id,channel,address,language,content_hints,due_at');
    expect(rows).toHaveLength(planted.treatment.customers + 1);
    await t.http('analyst').get('/campaigns/cmp-effect/export').expect(403);
  });
});
