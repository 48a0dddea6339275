/*
 * Campaigns over HTTP (issue 18, part A): define, launch, pause, resume, end; every refusal a 4xx naming its rule and
 * writing nothing; and the flight-deal case on a hand-built base: customers who booked `flight` products in the last
 * 24 months with marketing consent, SMS, 10 % holdout, checked customer by customer.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { armOf } from '../../libs/campaigns/src';
import { startTestApp, type TestApp } from '../support/test-app';
import { command, registration, trip } from './customer-api.fixtures';

let t: TestApp;
/** `npm run campaigns` as built (npm test builds dist/ first), on the test app's database. */
const CLI = resolve(__dirname, '../../dist/apps/api/src/campaigns/campaigns.cli.js');
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: t.database.url } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
const DAY = 86_400_000;
/** Booking instants relative to the real now: the audience is asked for at the launch, "the last 24 months" before it. */
const daysAgo = (days: number): string => new Date(Date.now() - days * DAY).toISOString();

const definition = (campaignId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  campaignId,
  name: 'Flight deal: Lisbon from 39 EUR',
  audience: { trips: { productTypes: ['flight'], withinMonths: 24 }, requireMarketingConsent: true },
  channel: 'sms',
  contentHints: ['Lisbon fares from 39 EUR', 'book by Sunday'],
  sendWindow: { from: daysAgo(-1), until: daysAgo(-8) },
  holdoutShare: 0.1,
  goal: { kind: 'booking' },
  conversionWindowDays: 30,
  ...overrides,
});

/** Who is in the flight-deal audience, and why each of the others is not. */
const MEMBERS = ['fd-flyer-a', 'fd-flyer-b', 'fd-flyer-c', 'fd-flyer-d', 'fd-flyer-e', 'fd-flyer-f', 'fd-flyer-g', 'fd-flyer-h', 'fd-flyer-i', 'fd-flyer-j', 'fd-late-consent', 'fd-two-flights'];
const NON_MEMBERS = ['fd-old-flight', 'fd-no-consent', 'fd-withdrew', 'fd-cancelled', 'fd-forgotten', 'fd-package', 'fd-nothing'];

async function register(customerId: string, marketingConsent: boolean): Promise<void> {
  await command(t, 'post', '/customers', registration(customerId, { marketingConsent, phone: '+351 912 345 678', preferredChannel: 'sms', occurredAt: daysAgo(1000) }), 201);
}
async function book(customerId: string, bookingId: string, productType: string, bookedDaysAgo: number): Promise<void> {
  await command(t, 'post', `/customers/${customerId}/bookings`, trip(bookingId, { productType, occurredAt: daysAgo(bookedDaysAgo), departureDate: daysAgo(-30).slice(0, 10), returnDate: daysAgo(-37).slice(0, 10) }), 201);
}
async function projected(): Promise<void> {
  const { rows } = await t.runtime.readModels.query<{ last: string }>('SELECT max(global_position) AS last FROM event_store.events');
  expect(await t.runtime.projector.waitFor(Number(rows[0].last), 60_000)).toBe(true);
}
const armEvents = async (customerId: string) =>
  ((await t.http().get(`/customers/${customerId}/events`).expect(200)).body.events as { type: string; data: Record<string, unknown>; occurredAt: string }[]).filter(
    (event) => event.type === 'CampaignArmAssigned',
  );
const assignmentKeyOf = async (campaignId: string): Promise<string> =>
  (await t.runtime.store.readStream(`campaign-${campaignId}`)).find((event) => event.type === 'CampaignLaunched')!.data.assignmentKey as string;

beforeAll(async () => {
  t = await startTestApp();
  for (const id of MEMBERS.filter((id) => id.startsWith('fd-flyer'))) {
    await register(id, true);
    await book(id, 'b1', 'flight', 30 + MEMBERS.indexOf(id) * 40);
  }
  await register('fd-late-consent', false);
  await book('fd-late-consent', 'b1', 'flight', 300);
  await command(t, 'patch', '/customers/fd-late-consent', { marketingConsent: true }, 200);
  await register('fd-two-flights', true);
  await book('fd-two-flights', 'b1', 'flight', 900);
  await book('fd-two-flights', 'b2', 'flight', 100);
  await register('fd-old-flight', true);
  await book('fd-old-flight', 'b1', 'flight', 760);
  await register('fd-no-consent', false);
  await book('fd-no-consent', 'b1', 'flight', 60);
  await register('fd-withdrew', true);
  await book('fd-withdrew', 'b1', 'flight', 60);
  await command(t, 'patch', '/customers/fd-withdrew', { marketingConsent: false }, 200);
  await register('fd-cancelled', true);
  await book('fd-cancelled', 'b1', 'flight', 60);
  await command(t, 'post', '/customers/fd-cancelled/bookings/b1/cancel', { reason: 'changed plans' }, 200);
  await register('fd-forgotten', true);
  await book('fd-forgotten', 'b1', 'flight', 60);
  await t.http('admin').post('/customers/fd-forgotten/forget').send({ reason: 'erasure request' }).expect(200);
  await register('fd-package', true);
  await book('fd-package', 'b1', 'package', 60);
  await register('fd-nothing', true);
  await projected();
}, 120_000);
afterAll(() => t.close());

describe('the flight deal', () => {
  it('launch assigns every audience member exactly once, in the arm of the keyed hash, and nobody else', async () => {
    await t.http('manager').post('/campaigns').send(definition('flight-deal')).expect(201);
    const launch = await t.http('manager').post('/campaigns/flight-deal/launch').set('Idempotency-Key', 'flight-deal-launch').expect(200);
    expect(launch.body).toMatchObject({ campaignId: 'flight-deal', assignment: { audience: MEMBERS.length, assigned: MEMBERS.length } });
    expect(launch.body.assignment.treatment + launch.body.assignment.control).toBe(MEMBERS.length);

    const key = await assignmentKeyOf('flight-deal');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    for (const customerId of MEMBERS) {
      const events = await armEvents(customerId);
      expect({ customerId, events }).toEqual({
        customerId,
        events: [
          expect.objectContaining({
            type: 'CampaignArmAssigned',
            data: { campaignId: 'flight-deal', arm: armOf(key, 'flight-deal', customerId, 0.1), channel: 'sms', contentHints: ['Lisbon fares from 39 EUR', 'book by Sunday'], sendWindow: expect.any(Object) },
            occurredAt: launch.body.assignment.asOf,
            metadata: expect.objectContaining({ actor: { id: 'test-manager', role: 'manager' }, source: 'api' }),
          }),
        ],
      });
    }
    for (const customerId of NON_MEMBERS.filter((id) => id !== 'fd-forgotten')) expect({ customerId, events: await armEvents(customerId) }).toEqual({ customerId, events: [] });
    const forgotten = await t.runtime.store.readStream('customer-fd-forgotten');
    expect(forgotten.filter((event) => event.type === 'CampaignArmAssigned')).toEqual([]);

    const view = await t.http('analyst').get('/campaigns/flight-deal').query({ minPosition: launch.body.position }).expect(200);
    const control = MEMBERS.filter((id) => armOf(key, 'flight-deal', id, 0.1) === 'control').length;
    expect(view.body).toMatchObject({ campaignId: 'flight-deal', status: 'running', arms: { treatment: MEMBERS.length - control, control }, definition: { holdoutShare: 0.1, channel: 'sms' } });
    expect(view.body.launchedAt).toEqual(expect.any(String));
  });

  it('a launch sent again with its Idempotency-Key gets the first answer and assigns only who entered since', async () => {
    await register('fd-newcomer', true);
    await book('fd-newcomer', 'b1', 'flight', 5);
    await projected();
    const before = await t.eventCount();
    const again = await t.http('manager').post('/campaigns/flight-deal/launch').set('Idempotency-Key', 'flight-deal-launch').expect(200);
    expect(again.body.assignment).toMatchObject({ audience: 1, assigned: 1 });
    expect(await t.eventCount()).toBe(before + 1);
    expect(await armEvents('fd-newcomer')).toHaveLength(1);
    for (const customerId of MEMBERS) expect(await armEvents(customerId)).toHaveLength(1);
  });
});

describe('the campaign life over HTTP', () => {
  it('pauses, resumes and ends; GET /campaigns lists it with its status', async () => {
    await t.http('manager').post('/campaigns').send(definition('life', { audience: { segments: { match: 'any', keys: ['vip:vip'] } } })).expect(201);
    await t.http('manager').post('/campaigns/life/launch').expect(200);
    await t.http('manager').post('/campaigns/life/pause').expect(200);
    const resumed = await t.http('manager').post('/campaigns/life/resume').expect(200);
    expect((await t.http('analyst').get('/campaigns/life').query({ minPosition: resumed.body.position }).expect(200)).body).toMatchObject({ status: 'running', pausedAt: null });
    const ended = await t.http('manager').post('/campaigns/life/end').expect(200);
    expect((await t.http('analyst').get('/campaigns/life').query({ minPosition: ended.body.position }).expect(200)).body).toMatchObject({ status: 'ended', endedAt: expect.any(String) });
    const list = await t.http('analyst').get('/campaigns').query({ status: 'ended' }).expect(200);
    expect(list.body.items.map((c: { campaignId: string }) => c.campaignId)).toEqual(['life']);
  });

  it('PATCH changes only the fields given, and a campaign defined as a draft launches once it has an audience', async () => {
    const { audience: _audience, ...draft } = definition('draft');
    await t.http('manager').post('/campaigns').send(draft).expect(201);
    const refused = await t.http('manager').post('/campaigns/draft/launch').expect(409);
    expect(refused.body.rule).toBe('campaign.audience-required');
    const changed = await t.http('manager').patch('/campaigns/draft').send({ audience: { trips: { productTypes: ['package'] } }, holdoutShare: 0.25 }).expect(200);
    const view = await t.http('analyst').get('/campaigns/draft').query({ minPosition: changed.body.position }).expect(200);
    expect(view.body.definition).toMatchObject({ audience: { trips: { productTypes: ['package'] }, requireMarketingConsent: true }, holdoutShare: 0.25, name: 'Flight deal: Lisbon from 39 EUR' });
    const launched = await t.http('manager').post('/campaigns/draft/launch').expect(200);
    expect(launched.body.assignment).toMatchObject({ audience: 1, assigned: 1 });
    expect((await armEvents('fd-package'))[0].data).toMatchObject({ campaignId: 'draft' });
  });

  it('takes the same definition sent again under its id as the first (201, nothing written)', async () => {
    const body = definition('twice', { sendWindow: { from: '2027-05-01T08:00:00Z', until: '2027-05-08T08:00:00Z' } });
    const first = await t.http('manager').post('/campaigns').send(body).expect(201);
    const before = await t.eventCount();
    const again = await t.http('manager').post('/campaigns').send(body).expect(201);
    expect(again.body).toEqual(first.body);
    expect(await t.eventCount()).toBe(before);
  });

  it.each([
    ['a second definition under the same id', () => t.http('manager').post('/campaigns').send(definition('flight-deal', { name: 'Other' })), 409, { rule: 'campaign.define-once' }],
    ['a second launch', () => t.http('manager').post('/campaigns/flight-deal/launch'), 409, { rule: 'campaign.launch-once' }],
    ['a holdout change after launch', () => t.http('manager').patch('/campaigns/flight-deal').send({ holdoutShare: 0.2 }), 409, { rule: 'campaign.holdout-fixed-after-launch' }],
    ['resuming a running campaign', () => t.http('manager').post('/campaigns/flight-deal/resume'), 409, { rule: 'campaign.resume-when-paused' }],
    ['pausing an ended campaign', () => t.http('manager').post('/campaigns/life/pause'), 409, { rule: 'campaign.ended' }],
    ['changing an ended campaign', () => t.http('manager').patch('/campaigns/life').send({ name: 'Again' }), 409, { rule: 'campaign.ended' }],
    ['launching an unknown campaign', () => t.http('manager').post('/campaigns/nope/launch'), 404, {}],
    ['an empty change', () => t.http('manager').patch('/campaigns/flight-deal').send({}), 400, { field: 'body' }],
    ['a holdout share above one half', () => t.http('manager').post('/campaigns').send(definition('bad-1', { holdoutShare: 0.6 })), 400, { field: 'holdoutShare' }],
    ['an unknown channel', () => t.http('manager').post('/campaigns').send(definition('bad-2', { channel: 'fax' })), 400, { field: 'channel' }],
    ['a name too long', () => t.http('manager').post('/campaigns').send(definition('bad-3', { name: 'x'.repeat(201) })), 400, { field: 'name' }],
    ['a window that ends before it starts', () => t.http('manager').post('/campaigns').send(definition('bad-4', { sendWindow: { from: daysAgo(-5), until: daysAgo(1) } })), 400, { field: 'sendWindow.until' }],
    ['an unknown audience field', () => t.http('manager').post('/campaigns').send(definition('bad-5', { audience: { trips: { productTypes: ['flight'] }, age: 30 } })), 400, { field: 'audience.age' }],
    ['too many segment keys', () => t.http('manager').post('/campaigns').send(definition('bad-6', { audience: { segments: { match: 'any', keys: Array.from({ length: 51 }, (_, i) => `k:${i}`) } } })), 400, { field: 'audience.segments.keys' }],
    ['a conversion window of 0 days', () => t.http('manager').post('/campaigns').send(definition('bad-7', { conversionWindowDays: 0 })), 400, { field: 'conversionWindowDays' }],
    ['an analyst launching', () => t.http('analyst').post('/campaigns/flight-deal/pause'), 403, { rule: 'auth.role' }],
    ['an agent defining', () => t.http('agent').post('/campaigns').send(definition('by-agent')), 403, { rule: 'auth.role' }],
  ])('refuses %s, writing nothing', async (_name, send, status, body) => {
    const before = await t.eventCount();
    const res = await send();
    expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.objectContaining(body) });
    expect(await t.eventCount()).toBe(before);
  });

  it('answers 404 for a campaign it does not know', async () => {
    await t.http('analyst').get('/campaigns/unknown').expect(404);
  });
});

describe('npm run campaigns', () => {
  it('launches, pauses and ends; a refusal names its rule and exits 1; list and show read the campaign', async () => {
    await t.http('manager').post('/campaigns').send(definition('cli-deal', { audience: { trips: { productTypes: ['package'] } } })).expect(201);
    const launched = await cli('launch', 'cli-deal');
    expect(launched).toMatchObject({ code: 0, stdout: expect.stringContaining('audience 1, assigned 1') });
    expect((await armEvents('fd-package')).map((event) => event.data.campaignId)).toContain('cli-deal');
    expect(await cli('pause', 'cli-deal')).toMatchObject({ code: 0 });
    expect(await cli('resume', 'cli-deal')).toMatchObject({ code: 0 });
    expect(await cli('launch', 'cli-deal')).toMatchObject({ code: 1, stderr: expect.stringContaining('campaign.launch-once') });
    expect(await cli('end', 'cli-deal')).toMatchObject({ code: 0 });
    await projected();
    expect((await cli('list')).stdout).toMatch(/^cli-deal\tended\t\d\/\d\tFlight deal/m);
    expect(JSON.parse((await cli('show', 'cli-deal')).stdout)).toMatchObject({ campaignId: 'cli-deal', status: 'ended' });
    expect(await cli('show', 'nobody')).toMatchObject({ code: 1 });
    expect(await cli('launch')).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: npm run campaigns') });
  }, 60_000);

  it('defines from a file, refusing a bad one by field and writing nothing, and prints the results the API answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'campaign-cli-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify(definition('cli-file', { audience: { trips: { productTypes: ['package'] } } })));
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify(definition('cli-bad', { holdoutShare: 0.9 })));
      const before = await t.eventCount();
      expect(await cli('define', bad)).toMatchObject({ code: 1, stderr: expect.stringContaining('holdoutShare') });
      expect(await t.eventCount()).toBe(before);
      expect(await cli('define', join(dir, 'missing.json'))).toMatchObject({ code: 2 });
      expect(await cli('define', good)).toMatchObject({ code: 0, stdout: expect.stringContaining('define: campaign cli-file at version 1') });
      expect(await cli('launch', 'cli-file')).toMatchObject({ code: 0 });
      await projected();
      const asOf = new Date().toISOString();
      const printed = JSON.parse((await cli('results', 'cli-file', asOf)).stdout);
      const answered = (await t.http('analyst').get(`/campaigns/cli-file/results?asOf=${asOf}`).expect(200)).body;
      expect(printed).toEqual(answered);
      expect(printed.arms.treatment.customers + printed.arms.control.customers).toBe(1);
      expect(await cli('results', 'cli-file', 'yesterday')).toMatchObject({ code: 2, stderr: expect.stringContaining('asOf') });
      expect(await cli('results', 'nobody')).toMatchObject({ code: 1 });
    } finally {
      // A temporary folder per run, or /tmp fills with them.
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
