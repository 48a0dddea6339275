import { startTestApp, type TestApp } from '../support/test-app';
import { command, expectNoStackTrace, registration, trip } from './customer-api.fixtures';

/**
 * GET /customers/:id/offers over HTTP: three customers went from Antalya, two on to Crete and one to Rome; of-1 went to
 * Antalya in May 2025 and is back; of-gone is forgotten. Every trip in May, for two, at one price, so no context lift
 * moves a score. Figures as of 2025-07-01 (the model: the 8 trips before that day).
 */
let t: TestApp;
let last = 0;
const write = async (method: 'post', path: string, body: object): Promise<void> => {
  last = Math.max(last, (await command(t, method, path, body, method === 'post' && path.endsWith('/forget') ? 200 : 201)).position ?? 0);
};
const visit = async (customerId: string, bookingId: string, country: string, city: string, departureDate: string): Promise<void> => {
  await write('post', `/customers/${customerId}/bookings`, trip(bookingId, { destination: { country, city }, departureDate, returnDate: departureDate, occurredAt: '2025-01-20T10:00:00Z' }));
};

beforeAll(async () => {
  t = await startTestApp();
  for (const id of ['of-a', 'of-b', 'of-c', 'of-1', 'of-gone']) await write('post', '/customers', registration(id, { tags: [] }));
  await visit('of-a', 'a1', 'TR', 'Antalya', '2024-05-01');
  await visit('of-a', 'a2', 'GR', 'Crete', '2025-05-01');
  await visit('of-b', 'b1', 'TR', 'Antalya', '2024-05-02');
  await visit('of-b', 'b2', 'GR', 'Crete', '2025-05-02');
  await visit('of-c', 'c1', 'TR', 'Antalya', '2024-05-03');
  await visit('of-c', 'c2', 'IT', 'Rome', '2025-05-03');
  await visit('of-1', 'x1', 'TR', 'Antalya', '2025-05-05');
  await visit('of-gone', 'g1', 'TR', 'Antalya', '2025-05-06');
  await write('post', '/customers/of-gone/forget', { reason: 'asked to be forgotten' });
  // Every read model, the touchpoints too: the schedule tests read it without ?minPosition= (a loaded CI run read it empty).
  expect(await t.runtime.projector.waitFor(last, 60_000)).toBe(true);
}, 120_000);
afterAll(() => t.close());

describe('GET /customers/:id/offers', () => {
  it('suggests where customers went next, with the reasons, as of an instant', async () => {
    const res = await t.http().get(`/customers/of-1/offers?asOf=2025-07-01T00:00:00Z&limit=2&minPosition=${last}`).expect(200);
    expect(res.headers['x-read-model-stale']).toBeUndefined();
    // Antalya -> Crete 2 of 3: 1 x 2/4 + 0.1 x 2/8 = 0.525; Antalya -> Rome: 1/4 + 0.1 x 1/8 = 0.2625.
    expect(res.body).toMatchObject({ customerId: 'of-1', asOf: '2025-07-01T00:00:00.000Z', modelDay: '2025-07-01', modelTrips: 8, erased: false });
    expect(res.body.offers).toEqual([
      { destination: { country: 'GR', city: 'Crete' }, productType: 'package', score: 0.525, basis: 'history', reasons: ['customers who went to Antalya often went to Crete next (2 of 3)'] },
      { destination: { country: 'IT', city: 'Rome' }, productType: 'package', score: 0.2625, basis: 'history', reasons: ['customers who went to Antalya often went to Rome next (1 of 3)'] },
    ]);
  });

  it('answers a forgotten customer with no offers', async () => {
    const res = await t.http().get('/customers/of-gone/offers?asOf=2025-07-01T00:00:00Z').expect(200);
    expect(res.body).toMatchObject({ customerId: 'of-gone', erased: true, offers: [] });
    expect(res.text).not.toContain('Maria');
  });

  it.each([
    ['limit=21', 'limit', 'must not be greater than 20'],
    ['limit=0', 'limit', 'must not be less than 1'],
    ['limit=two', 'limit', 'integer'],
    ['asOf=yesterday', 'asOf', 'ISO 8601'],
  ])('answers 400 for %s, naming the parameter and rule', async (query, field, rule) => {
    const res = await t.http().get(`/customers/of-1/offers?${query}`).expect(400);
    expect(JSON.stringify(res.body)).toContain(field);
    expect(JSON.stringify(res.body)).toContain(rule);
    expectNoStackTrace(res);
  });

  it('answers 404 for a customer not registered', async () => {
    await t.http().get('/customers/of-nobody/offers').expect(404);
  });

  it('puts the offers on the post-trip touchpoints when they are read, not on the others', async () => {
    const res = await t.http().get('/customers/of-1/touchpoints?asOf=2025-07-01T00:00:00Z').expect(200);
    const rows = res.body.touchpoints as { kind: string; phase: string; offerHints: string[] }[];
    const postTrip = rows.filter((row) => row.phase === 'post-trip');
    expect(postTrip.length).toBeGreaterThan(0);
    for (const row of postTrip) expect(row.offerHints[0]).toBe('Crete, GR (package): customers who went to Antalya often went to Crete next (2 of 3)');
    for (const row of rows.filter((r) => r.phase !== 'post-trip' && r.phase !== 'pre-trip' && r.kind !== 'win-back-offer')) expect(row.offerHints).toEqual([]);
  });

  it('puts the same offers in the work queue as JSON and as CSV', async () => {
    const query = { asOf: '2025-07-01T00:00:00Z', kind: 'welcome-home-call', limit: 100 };
    const page = (await t.http().get('/touchpoints').query(query).expect(200)).body.items as { customerId: string; offerHints: string[] }[];
    const ofOne = page.filter((row) => row.customerId === 'of-1');
    expect(ofOne.length).toBeGreaterThan(0);
    expect(ofOne[0].offerHints[0]).toBe('Crete, GR (package): customers who went to Antalya often went to Crete next (2 of 3)');
    const [header, ...lines] = (await t.http().get('/touchpoints').query(query).set('Accept', 'text/csv').expect(200)).text.trim().split('\n');
    expect(header.split(',').at(-1)).toBe('offer_hints');
    expect(lines).toHaveLength(page.length);
    const csvOfOne = lines.filter((line) => line.split(',')[1] === 'of-1');
    expect(csvOfOne[0]).toContain(ofOne[0].offerHints.join(' | '));
  });
});
