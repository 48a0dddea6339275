/* The right to be forgotten over HTTP (issue 7): POST /customers/:id/forget and everything the API shows afterwards. */
import { startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, interaction, registration, trip } from './customer-api.fixtures';

let t: TestApp;
const SECRETS = /Maria|Papadopoulou|maria@example|1234567|1984-05-17|Room was not as booked|Crete in October|lost her passport|loved the guide/;

const exportedLines = async (customerId: string): Promise<Record<string, unknown>[]> =>
  (await t.http().get('/exports/events').expect(200)).text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((event) => event.streamId === `customer-${customerId}`);

/** Events in the log, and destroyed keys: a refused request must change neither. */
const footprint = async (): Promise<unknown> => ({
  events: await t.eventCount(),
  tombstones: (await t.runtime.readModels.query('SELECT count(*)::int AS n FROM privacy.customer_keys WHERE data_key IS NULL')).rows[0].n,
});

async function customerWithHistory(id: string): Promise<number> {
  await command(t, 'post', '/customers', registration(id, { birthDate: '1984-05-17' }), 201);
  await command(t, 'post', `/customers/${id}/bookings`, trip('b1'), 201);
  await command(t, 'post', `/customers/${id}/bookings/b1/departure`, { occurredAt: '2025-06-01T06:00:00Z' }, 200);
  await command(t, 'post', `/customers/${id}/bookings/b1/return`, { occurredAt: '2025-06-14T20:00:00Z' }, 200);
  await command(t, 'post', `/customers/${id}/complaints`, complaint('cp1', { bookingId: 'b1' }), 201);
  await command(t, 'post', `/customers/${id}/surveys`, { surveyId: 's1', bookingId: 'b1', nps: 9, comment: 'Maria loved the guide', occurredAt: '2025-06-20T10:00:00Z' }, 201);
  await command(t, 'post', `/customers/${id}/interactions`, interaction('i1'), 201);
  await command(t, 'post', `/customers/${id}/bookings`, trip('b2', { departureDate: '2026-07-01', returnDate: '2026-07-10' }), 201);
  const last = await command(t, 'post', `/customers/${id}/bookings/b2/cancel`, { reason: 'Maria lost her passport', occurredAt: '2025-06-25T10:00:00Z' }, 200);
  return last.position!;
}

beforeAll(async () => {
  t = await startTestApp();
  await customerWithHistory('fg-kept');
  await customerWithHistory('fg-1');
});
afterAll(() => t.close());

describe('personal data at rest', () => {
  it('is encrypted in the log, and every answer shows it decrypted', async () => {
    const { rows } = await t.runtime.readModels.query(`SELECT string_agg(data::text, ' ') AS text FROM event_store.events`);
    expect(rows[0].text).not.toMatch(SECRETS);
    const events = (await t.http().get('/customers/fg-kept/events').expect(200)).body.events;
    expect(events[0].data).toMatchObject({ name: 'Maria Papadopoulou', email: 'maria@example.com', birthDate: '1984-05-17' });
  });
});

describe('POST /customers/:id/forget', () => {
  it.each([
    ['a missing reason', 'fg-1', {}, 400, { field: 'reason' }],
    ['an empty reason', 'fg-1', { reason: '' }, 400, { field: 'reason' }],
    ['a blank reason', 'fg-1', { reason: '   ' }, 400, { field: 'reason' }],
    ['a reason over 2000 characters', 'fg-1', { reason: 'x'.repeat(2001) }, 400, { field: 'reason' }],
    ['an occurredAt (forgetting happens now)', 'fg-1', { reason: 'x', occurredAt: '2020-01-01T00:00:00Z' }, 400, { field: 'occurredAt' }],
    ['an unknown customer', 'nobody', { reason: 'x' }, 404, {}],
  ])('refuses %s, writing and destroying nothing', async (_name, id, body, status, expected) => {
    const before = await footprint();
    const res = await t.http().post(`/customers/${id}/forget`).send(body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(expected);
    expect(await footprint()).toEqual(before);
  });

  it('answers 200 with the position of CustomerForgotten, and from then on shows the customer erased everywhere', async () => {
    const res = await t.http().post('/customers/fg-1/forget').set('X-Correlation-Id', 'erasure-2025-114').send({ reason: 'Erasure request 2025-114' }).expect(200);
    expect(res.body).toEqual({ customerId: 'fg-1', version: 10, position: expect.any(Number) });

    const overview = (await t.http().get('/customers/fg-1').query({ minPosition: res.body.position }).expect(200)).body;
    expect(overview).toMatchObject({
      name: '[erased]', email: null, phone: null, birthDate: null, erased: true, erasedAt: expect.any(String),
      bookings: 2, trips: 1, cancellations: 1, revenue: { EUR: 250_000 }, complaints: { open: 1, total: 1 }, lastNps: 9,
    });

    const events = (await t.http().get('/customers/fg-1/events').expect(200)).body.events;
    expect(JSON.stringify(events)).not.toMatch(SECRETS);
    expect(events[0].data).toEqual({ customerId: 'fg-1', name: '[erased]', timeZone: 'Europe/Athens', language: 'el', preferredChannel: 'email', marketingConsent: false, tags: ['family'] });
    expect(events[events.length - 1]).toMatchObject({ type: 'CustomerForgotten', data: { reason: 'Erasure request 2025-114' }, metadata: { correlationId: 'erasure-2025-114', actor: { id: 'test-admin', role: 'admin' } } });

    const state = (await t.http().get('/customers/fg-1/state').expect(200)).body.state;
    expect(state).toMatchObject({ status: 'forgotten', profile: { name: '[erased]' }, bookings: { b1: { status: 'returned' }, b2: { cancellationReason: '[erased]' } }, surveys: { s1: { nps: 9, comment: '[erased]' } } });
    expect(state.profile).not.toHaveProperty('email');

    const exported = await exportedLines('fg-1');
    expect(exported).toHaveLength(10);
    expect(JSON.stringify(exported)).not.toMatch(SECRETS);
    expect(JSON.stringify((await t.http().get('/customers/fg-1/touchpoints').expect(200)).body)).not.toMatch(SECRETS);

    // The customer kept is untouched.
    expect((await t.http().get('/customers/fg-kept').expect(200)).body).toMatchObject({ name: 'Maria Papadopoulou', erased: false });
  });

  it('shows the same after the read model is rebuilt from the log', async () => {
    const before = (await t.http().get('/customers/fg-1').expect(200)).body;
    await t.runtime.projector.rebuild('customer_overview');
    expect((await t.http().get('/customers/fg-1').expect(200)).body).toEqual(before);
  });

  it.each([
    ['a second forget', 'post', '/customers/fg-1/forget', { reason: 'again' }],
    ['a booking', 'post', '/customers/fg-1/bookings', trip('b9')],
    ['a profile change', 'patch', '/customers/fg-1', { name: 'Maria P.' }],
    ['a complaint', 'post', '/customers/fg-1/complaints', complaint('cp9')],
    ['a departure', 'post', '/customers/fg-1/bookings/b1/departure', {}],
  ] as const)('refuses %s with 409 customer.forgotten, writing nothing', async (_name, method, path, body) => {
    const before = await footprint();
    const res = await t.http()[method](path).send(body);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ rule: 'customer.forgotten' });
    expect(await footprint()).toEqual(before);
  });
});
