import { randomUUID } from 'node:crypto';
import { customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../libs/domain/src';
import { handleCommand } from '../../libs/event-store/src';
import { startTestApp, type TestApp } from '../support/test-app';
import { command, expectNoStackTrace, registration, trip } from './customer-api.fixtures';

/**
 * The segments API over HTTP: on-demand evaluation, definitions with counts, members (paged, sorted, CSV, as of a
 * past instant), a customer's segments with the discount level and spend to the next one, and the change feed.
 */
let t: TestApp;
let lastPosition = 0;

const write = async (method: 'post' | 'patch', path: string, body: object, status = 201): Promise<void> => {
  const answer = await command(t, method, path, body, status);
  lastPosition = Math.max(lastPosition, answer.position ?? 0);
};
const evaluate = async (asOf: string): Promise<Record<string, unknown>> =>
  (await t.http().post('/segments/evaluate').query({ asOf, minPosition: lastPosition }).expect(200)).body as Record<string, unknown>;

/** A booking of `euros` made on `day`, travelled and back two weeks later. */
const travelled = async (customerId: string, bookingId: string, day: string, euros: number): Promise<void> => {
  const departure = new Date(Date.parse(`${day}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10);
  const back = new Date(Date.parse(`${day}T00:00:00Z`) + 21 * 86_400_000).toISOString().slice(0, 10);
  await write('post', `/customers/${customerId}/bookings`, trip(bookingId, { occurredAt: `${day}T10:00:00Z`, departureDate: departure, returnDate: back, amount: { value: euros * 100, currency: 'EUR' } }));
  await write('post', `/customers/${customerId}/bookings/${bookingId}/departure`, { occurredAt: `${departure}T08:00:00Z` }, 200);
  await write('post', `/customers/${customerId}/bookings/${bookingId}/return`, { occurredAt: `${back}T18:00:00Z` }, 200);
};

beforeAll(async () => {
  t = await startTestApp();
  // Five customers with one trip each, spending 500, 1,000, 2,000, 4,000 and 8,000 EUR; one prospect.
  for (const [i, euros] of [500, 1000, 2000, 4000, 8000].entries()) {
    await write('post', '/customers', registration(`seg-${i + 1}`, { occurredAt: '2025-01-05T09:00:00Z' }));
    await travelled(`seg-${i + 1}`, 'b1', '2025-02-01', euros);
  }
  await write('post', '/customers', registration('seg-prospect', { occurredAt: '2025-01-05T09:00:00Z', tags: ['golf'] }));
}, 60_000);
afterAll(() => t.close());

describe('the segments API', () => {
  it('evaluates on demand, lists definitions with member counts, and pages members sorted by revenue', async () => {
    const summary = await evaluate('2025-04-01T00:00:00Z');
    expect(summary).toMatchObject({ evaluationId: 1, recorded: true, trigger: 'on-demand', configVersion: 'default-1', customers: 6 });
    expect(summary.segments).toMatchObject({ 'lifecycle:first-time': 5, 'lifecycle:prospect': 1, 'discount:0': 2, 'discount:3': 3, 'discount:5': 1, 'interest:golf': 1 });

    const list = await t.http().get('/segments').expect(200);
    expect(list.body.evaluation).toMatchObject({ evaluationId: 1, asOf: '2025-04-01T00:00:00.000Z' });
    const firstTime = list.body.segments.find((s: { segment: string }) => s.segment === 'lifecycle:first-time');
    expect(firstTime).toMatchObject({ family: 'lifecycle', members: 5 });
    expect(list.body.segments.find((s: { segment: string }) => s.segment === 'rfm:champions')).toMatchObject({ family: 'rfm' });

    const page1 = await t.http().get('/segments/lifecycle:first-time/members').query({ sort: 'revenue', order: 'desc', limit: 2 }).expect(200);
    expect(page1.body.items.map((m: { customerId: string; revenue: number }) => [m.customerId, m.revenue])).toEqual([
      ['seg-5', 800_000],
      ['seg-4', 400_000],
    ]);
    expect(page1.body.items[0]).toMatchObject({ since: '2025-04-01T00:00:00.000Z', currency: 'EUR' });
    const page2 = await t.http().get('/segments/lifecycle:first-time/members').query({ sort: 'revenue', order: 'desc', limit: 2, cursor: page1.body.nextCursor }).expect(200);
    const page3 = await t.http().get('/segments/lifecycle:first-time/members').query({ sort: 'revenue', order: 'desc', limit: 2, cursor: page2.body.nextCursor }).expect(200);
    expect([...page2.body.items, ...page3.body.items].map((m: { customerId: string }) => m.customerId)).toEqual(['seg-3', 'seg-2', 'seg-1']);
    expect(page3.body.nextCursor).toBeNull();
  });

  it('streams every member as CSV with Accept: text/csv', async () => {
    const res = await t.http().get('/segments/lifecycle:first-time/members').set('Accept', 'text/csv').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('lifecycle_first-time.csv');
    const lines = res.text.trim().split('\n');
    expect(lines[0]).toBe('customer_id,segment,since,revenue,currency,reason');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 5).join(','))).toEqual(
      [1, 2, 3, 4, 5].map((i) => `seg-${i},lifecycle:first-time,2025-04-01T00:00:00.000Z,${[500, 1000, 2000, 4000, 8000][i - 1] * 100},EUR`),
    );
  });

  it("shows a customer's segments, the discount level and how much more spend reaches the next", async () => {
    const res = await t.http().get('/customers/seg-3/segments').expect(200);
    // 2,000 EUR in the window: 3 % from 1,000; 5 % from 5,000, so 3,000 EUR more.
    expect(res.body.discount).toEqual({ percent: 3, revenue: 200_000, nextPercent: 5, spendToNext: 300_000, currency: 'EUR' });
    expect(res.body.current.map((s: { segment: string }) => s.segment)).toEqual(expect.arrayContaining(['discount:3', 'lifecycle:first-time', 'interest:family']));
    expect(res.body.scores).toMatchObject({ trips: 1, bookings: 1, revenue: 200_000, f: expect.any(Number), m: expect.any(Number) });
  });

  it('follows entries and exits through the change feed with a cursor, and answers past membership with ?asOf=', async () => {
    const feed1 = await t.http().get('/segments/changes').query({ limit: 10_000 }).expect(200);
    const entered = feed1.body.changes.length;
    expect(feed1.body.changes.every((c: { change: string; evaluationId: number }) => c.change === 'entered' && c.evaluationId === 1)).toBe(true);
    expect(feed1.body.changes.map((c: { position: number }) => c.position)).toEqual(Array.from({ length: entered }, (_, i) => i + 1));

    // The prospect books and travels: leaves prospect, enters first-time.
    await travelled('seg-prospect', 'b1', '2025-04-10', 1500);
    const second = await evaluate('2025-06-01T00:00:00Z');
    expect(second).toMatchObject({ evaluationId: 2, recorded: true });
    const feed2 = await t.http().get('/segments/changes').query({ after: feed1.body.nextCursor }).expect(200);
    const prospect = feed2.body.changes.filter((c: { customerId: string }) => c.customerId === 'seg-prospect');
    // Exits before entries, each by segment. Of 17,000 EUR in the ABC window the prospect's 1,500 starts at 82 %: B.
    // RFM among six: the most recent return (5 below: R5), one trip like everyone (F1), 1,500 above two (M2): New.
    expect(prospect.map((c: { segment: string; change: string }) => `${c.change} ${c.segment}`)).toEqual([
      'left discount:0',
      'left lifecycle:prospect',
      'entered abc:b',
      'entered discount:3',
      'entered lifecycle:first-time',
      'entered rfm:new',
      'entered value-loyalty:sample-and-watch',
      'entered value-tier:potential',
    ]);
    expect(prospect[0]).toMatchObject({ at: '2025-06-01T00:00:00.000Z', evaluationId: 2 });
    expect(feed2.body.changes[0].position).toBe(entered + 1);
    const feed3 = await t.http().get('/segments/changes').query({ after: feed2.body.nextCursor }).expect(200);
    expect(feed3.body).toEqual({ changes: [], nextCursor: feed2.body.nextCursor });

    const before = await t.http().get('/segments/lifecycle:prospect/members').query({ asOf: '2025-05-01T00:00:00Z' }).expect(200);
    expect(before.body.items.map((m: { customerId: string }) => m.customerId)).toEqual(['seg-prospect']);
    const now = await t.http().get('/segments/lifecycle:prospect/members').expect(200);
    expect(now.body.items).toEqual([]);
    const history = await t.http().get('/customers/seg-prospect/segments').expect(200);
    expect(history.body.history).toContainEqual(expect.objectContaining({ segment: 'lifecycle:prospect', enteredAt: '2025-04-01T00:00:00.000Z', leftAt: '2025-06-01T00:00:00.000Z' }));
  });

  it("draws a family's sizes after each evaluation from the change feed, for the console's chart", async () => {
    const sizes = await t.http().get('/segments/sizes').query({ family: 'lifecycle' }).expect(200);
    expect(sizes.body.evaluations).toEqual([
      { evaluationId: 1, asOf: '2025-04-01T00:00:00.000Z' },
      { evaluationId: 2, asOf: '2025-06-01T00:00:00.000Z' },
    ]);
    // The prospect travelled between the two: prospect 1 -> 0, first-time 5 -> 6. Only the family asked for.
    expect(sizes.body.series).toEqual([
      { segment: 'lifecycle:first-time', sizes: [5, 6] },
      { segment: 'lifecycle:prospect', sizes: [1, 0] },
    ]);
    const feed = await t.http().get('/segments/changes').query({ limit: 10_000 }).expect(200);
    expect(sizes.body.lastChangePosition).toBe(feed.body.nextCursor);
    // Each size equals the membership the history gives at that evaluation's instant.
    for (const [i, asOf] of ['2025-04-01T00:00:00Z', '2025-06-01T00:00:00Z'].entries()) {
      const members = await t.http().get('/segments/lifecycle:first-time/members').query({ asOf }).expect(200);
      expect(members.body.items).toHaveLength(sizes.body.series[0].sizes[i]);
    }
    const latest = await t.http().get('/segments/sizes').query({ family: 'lifecycle', evaluations: 1 }).expect(200);
    expect(latest.body.series).toContainEqual({ segment: 'lifecycle:first-time', sizes: [6] });
    const bad = await t.http().get('/segments/sizes').query({ family: 'Life Cycle' }).expect(400);
    expect(bad.body).toMatchObject({ field: 'family' });
    await t.http('agent').get('/segments/sizes').query({ family: 'rfm' }).expect(403);
  });

  it('reports an evaluation before the latest one without recording it', async () => {
    const changes = (await t.http().get('/segments/changes').query({ limit: 10_000 }).expect(200)).body.changes.length;
    const preview = await evaluate('2025-03-01T00:00:00Z');
    expect(preview).toMatchObject({ recorded: false, evaluationId: null, entered: 0, left: 0 });
    expect((await t.http().get('/segments/changes').query({ limit: 10_000 }).expect(200)).body.changes).toHaveLength(changes);
  });

  it.each([
    ['an asOf that is not an instant', () => t.http().post('/segments/evaluate').query({ asOf: 'yesterday' }), 400, { field: 'asOf' }],
    ['an asOf in the future', () => t.http().post('/segments/evaluate').query({ asOf: '2199-01-01T00:00:00Z' }), 400, { field: 'asOf', rule: 'must not be in the future (history only moves forward)' }],
    ['a negative change cursor', () => t.http().get('/segments/changes').query({ after: -1 }), 400, { field: 'after' }],
    ['a change page over 10,000', () => t.http().get('/segments/changes').query({ limit: 10_001 }), 400, { field: 'limit' }],
    ['a members cursor from nowhere', () => t.http().get('/segments/discount:0/members').query({ cursor: 'bm9wZQ' }), 400, { field: 'cursor' }],
    ['an unknown sort', () => t.http().get('/segments/discount:0/members').query({ sort: 'age' }), 400, { field: 'sort' }],
    ['an unknown segment', () => t.http().get('/segments/rfm:royalty/members'), 404, {}],
    ['an unknown customer', () => t.http().get('/customers/nobody/segments'), 404, {}],
  ])('refuses %s with a clear error, writing nothing', async (_name, send, status, body) => {
    const evaluations = await t.runtime.readModels.query('SELECT count(*)::int AS n FROM read_models.segment_evaluations');
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
    expect(res.body.message).toEqual(expect.any(String));
    expectNoStackTrace(res);
    expect(await t.runtime.readModels.query('SELECT count(*)::int AS n FROM read_models.segment_evaluations')).toMatchObject({ rows: evaluations.rows });
  });
});

/**
 * Issue 15: a booking currency the segments config has no rate for (in the log from before the rate was removed) is
 * a known conflict the operator fixes, not a server fault: 409 naming the currency and the setting, nothing recorded.
 */
describe('POST /segments/evaluate with a booking currency without a configured rate', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await command(app, 'post', '/customers', registration('sek-1'), 201);
    // The API refuses a booking in SEK (booking.currency-without-rate): this one came before that check.
    const booking = { type: 'BookTrip', customerId: 'sek-1', data: trip('b-sek', { amount: { value: 1_500_000, currency: 'SEK' } }), occurredAt: '2025-01-20T10:00:00Z' } as CustomerCommand;
    const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'system' }, source: 'system' };
    const { position } = await handleCommand(app.runtime.store, customerStreamId('sek-1'), { decide, evolve, initialState }, booking, { metadata, newId: randomUUID });
    expect(await app.runtime.projector.waitFor(position!, 10_000)).toBe(true);
  }, 60_000);
  afterAll(() => app.close());

  it('answers 409 segments.rate-configured naming the currency and the setting, recording no evaluation', async () => {
    const evaluations = 'SELECT count(*)::int AS n FROM read_models.segment_evaluations';
    const before = await app.runtime.readModels.query(evaluations);
    const events = await app.eventCount();
    const res = await app.http().post('/segments/evaluate');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ rule: 'segments.rate-configured', currency: 'SEK' });
    expect(res.body.message).toContain('no exchange rate from SEK to EUR');
    expect(res.body.message).toContain('add currency.rates.SEK to the file SEGMENTS_CONFIG names');
    expectNoStackTrace(res);
    expect((await app.runtime.readModels.query(evaluations)).rows).toEqual(before.rows);
    expect(await app.eventCount()).toBe(events);
    // The failure stays visible until an evaluation succeeds.
    const list = await app.http().get('/segments').expect(200);
    expect(JSON.stringify(list.body)).toContain('currency.rates.SEK');
  });
});

/** Issue 16: evaluations wait while segment_facts is rebuilt from empty (read_models dropped), and are recorded in the log. */
describe('POST /segments/evaluate while segment_facts is being rebuilt from the log', () => {
  let app: TestApp;
  let registered: number;
  beforeAll(async () => {
    app = await startTestApp();
    registered = (await command(app, 'post', '/customers', registration('rebuilt-1'), 201)).position!;
  }, 60_000);
  afterAll(() => app.close());

  it('answers 409 read-model.ready and records nothing; once it is built, evaluates and appends the evaluation to the log', async () => {
    // What a start after DROP SCHEMA read_models leaves until the rebuild switches in: version 0.
    await app.runtime.readModels.query(`UPDATE read_models.projection_checkpoints SET version = 0 WHERE name = 'segment_facts'`);
    const events = await app.eventCount();
    const res = await app.http().post('/segments/evaluate');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ rule: 'read-model.ready' });
    expect(res.body.message).toContain('segment_facts is being rebuilt from the log; this waits until it is switched in');
    expectNoStackTrace(res);
    expect((await app.runtime.readModels.query('SELECT count(*)::int AS n FROM read_models.segment_evaluations')).rows).toEqual([{ n: 0 }]);
    expect(await app.eventCount()).toBe(events);

    await app.runtime.readModels.query(`UPDATE read_models.projection_checkpoints SET version = 1 WHERE name = 'segment_facts'`);
    const evaluated = await app.http().post(`/segments/evaluate?minPosition=${registered}`).expect(200);
    expect(evaluated.body).toMatchObject({ recorded: true, evaluationId: 1, customers: 1 });
    const [recorded] = await app.runtime.store.readStream('engine-schedule-segments');
    expect(recorded).toMatchObject({ type: 'SegmentsEvaluated', data: { evaluationId: 1, trigger: 'on-demand' } });
    expect(await app.eventCount()).toBe(events + 1);
  });
});
