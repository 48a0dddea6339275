import { startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, expectNoStackTrace, interaction, registration, trip } from './customer-api.fixtures';

/**
 * Acceptance: malformed or forbidden requests are refused with a status that says why, a body that names
 * the field or rule (and never a stack trace), and nothing written to the event log.
 */

const C = 'fx';
const base = `/customers/${C}`;

interface Case {
  name: string;
  method?: 'post' | 'patch';
  path: string;
  body?: object;
  /** Sent as is, for bodies that are not JSON. */
  raw?: { contentType: string; text: string | Buffer };
  headers?: Record<string, string>;
  status: number;
  field?: string;
  rule?: string | RegExp;
  message?: RegExp;
}

const survey = (overrides: Record<string, unknown> = {}) => ({ surveyId: 's-new', nps: 8, ...overrides });

const CASES: Case[] = [
  // Missing and mistyped fields (class-validator at the HTTP edge).
  { name: 'a missing name', path: '/customers', body: registration('new-1', { name: undefined }), status: 400, field: 'name' },
  { name: 'a missing bookingId', path: `${base}/bookings`, body: trip('x', { bookingId: undefined }), status: 400, field: 'bookingId' },
  { name: 'travellers as a string', path: `${base}/bookings`, body: trip('bk-new', { travellers: 'two' }), status: 400, field: 'travellers' },
  { name: 'marketingConsent as a string', path: '/customers', body: registration('new-2', { marketingConsent: 'yes' }), status: 400, field: 'marketingConsent' },
  { name: 'an unknown field', path: '/customers', body: registration('new-3', { vip: true }), status: 400, field: 'vip', rule: /should not exist/ },
  { name: 'an unknown nested field', path: `${base}/bookings`, body: trip('bk-new', { destination: { country: 'GR', city: 'Chania', zip: '731' } }), status: 400, field: 'destination.zip' },
  { name: 'a bad preferredChannel', path: '/customers', body: registration('new-4', { preferredChannel: 'pigeon' }), status: 400, field: 'preferredChannel' },
  { name: 'negative money', path: `${base}/bookings`, body: trip('bk-new', { amount: { value: -100, currency: 'EUR' } }), status: 400, field: 'amount.value' },
  { name: 'non-integer money 12.5', path: `${base}/bookings`, body: trip('bk-new', { amount: { value: 12.5, currency: 'EUR' } }), status: 400, field: 'amount.value' },
  { name: 'NPS 11', path: `${base}/surveys`, body: survey({ nps: 11 }), status: 400, field: 'nps' },
  { name: 'an empty resolution', path: `${base}/complaints/cp-open/resolve`, body: { resolution: '' }, status: 400, field: 'resolution' },
  { name: 'a malformed occurredAt', path: `${base}/interactions`, body: interaction('i-new', { occurredAt: '2025-13-01T00:00:00Z' }), status: 400, field: 'occurredAt' },
  // Business formats checked by the domain.
  { name: 'a return date before the departure date', path: `${base}/bookings`, body: trip('bk-new', { departureDate: '2025-07-10', returnDate: '2025-07-01' }), status: 400, field: 'returnDate' },
  { name: 'an invalid date 2025-02-30', path: `${base}/bookings`, body: trip('bk-new', { departureDate: '2025-02-30' }), status: 400, field: 'departureDate' },
  { name: 'a bad time zone', path: '/customers', body: registration('new-5', { timeZone: 'Mars/Olympus_Mons' }), status: 400, field: 'timeZone' },
  { name: 'a bad e-mail', path: '/customers', body: registration('new-6', { email: 'maria@' }), status: 400, field: 'email' },
  { name: 'a bad phone', path: `${base}`, method: 'patch', body: { phone: 'call me maybe' }, status: 400, field: 'phone' },
  { name: 'currency EURO', path: `${base}/bookings`, body: trip('bk-new', { amount: { value: 100, currency: 'EURO' } }), status: 400, field: 'amount.currency' },
  { name: 'a blank resolution', path: `${base}/complaints/cp-open/resolve`, body: { resolution: '   ' }, status: 400, field: 'resolution' },
  { name: 'a refund above the booking amount', path: `${base}/bookings/bk-open/cancel`, body: { reason: 'x', refund: { value: 999_999, currency: 'EUR' } }, status: 400, field: 'refund.value' },
  { name: 'a PATCH that changes nothing', method: 'patch', path: base, body: {}, status: 400, field: 'body' },
  { name: 'an invalid customer id in the path', path: '/customers/bad%20id/interactions', body: interaction('i-new'), status: 400, field: 'customerId' },
  { name: 'a NUL character in a text field', path: `${base}/interactions`, body: interaction('i-new', { summary: 'bad \u0000 byte' }), status: 400, field: 'summary' },
  { name: 'a lone surrogate in a name', path: '/customers', body: registration('new-9', { name: 'A\ud800' }), status: 400, field: 'name' },
  { name: 'a NUL character in an e-mail', path: '/customers', body: registration('new-10', { email: 'a\u0000b@example.com' }), status: 400, field: 'email' },
  { name: 'an occurredAt past the year 9999 in UTC', path: '/customers', body: registration('new-11', { occurredAt: '9999-12-31T23:00:00-14:00' }), status: 400, field: 'occurredAt' },
  { name: 'a body nested 20,000 levels deep', path: '/customers', raw: { contentType: 'application/json', text: `{"name":"x","tags":${'['.repeat(20_000)}"x"${']'.repeat(20_000)}}` }, status: 400, field: 'body' },
  // Unknown things.
  { name: 'an unknown customer', path: '/customers/nobody/bookings', body: trip('bk-new'), status: 404, message: /customer nobody not found/ },
  { name: 'an unknown booking', path: `${base}/bookings/bk-nope/departure`, body: {}, status: 404, message: /booking bk-nope not found/ },
  { name: 'a survey for an unknown booking', path: `${base}/surveys`, body: survey({ bookingId: 'bk-nope' }), status: 404, message: /booking bk-nope not found/ },
  { name: 'acknowledging an unknown complaint', path: `${base}/complaints/cp-nope/acknowledge`, body: {}, status: 404, message: /complaint cp-nope not found/ },
  // Rules that need the customer's state. (An id sent again with the same content is a retry: idempotency.e2e-spec.ts.)
  { name: 'a duplicate booking id', path: `${base}/bookings`, body: trip('bk-open'), status: 409, rule: 'booking.id-unique' },
  { name: 'registering an existing customer id', path: '/customers', body: registration(C, { name: 'Someone Else' }), status: 409, rule: 'customer.already-registered' },
  { name: 'departure of a cancelled booking', path: `${base}/bookings/bk-cancelled/departure`, body: {}, status: 409, rule: 'booking.departure-of-cancelled' },
  { name: 'a return before the departure was recorded', path: `${base}/bookings/bk-open/return`, body: {}, status: 409, rule: 'booking.return-before-departure' },
  { name: 'cancelling after the return', path: `${base}/bookings/bk-returned/cancel`, body: { reason: 'changed my mind' }, status: 409, rule: 'booking.cancel-after-return' },
  { name: 'amending a returned booking', path: `${base}/bookings/bk-returned/amend`, body: { departureDate: '2025-06-02' }, status: 409, rule: 'booking.not-amendable' },
  { name: 'a duplicate complaint id', path: `${base}/complaints`, body: complaint('cp-open', { severity: 'low' }), status: 409, rule: 'complaint.id-unique' },
  { name: 'resolving a resolved complaint', path: `${base}/complaints/cp-resolved/resolve`, body: { resolution: 'again' }, status: 409, rule: 'complaint.not-open' },
  { name: 'a duplicate interaction id', path: `${base}/interactions`, body: interaction('i-1', { summary: 'Another call' }), status: 409, rule: 'interaction.id-unique' },
  { name: 'a stale If-Match', path: `${base}/interactions`, body: interaction('i-new'), headers: { 'If-Match': '1' }, status: 409, rule: 'version.expected' },
  // Transport: headers, content type, syntax, size.
  { name: 'a bad If-Match header', path: `${base}/interactions`, body: interaction('i-new'), headers: { 'If-Match': 'latest' }, status: 400, field: 'If-Match' },
  { name: 'an empty X-Correlation-Id', path: `${base}/interactions`, body: interaction('i-new'), headers: { 'X-Correlation-Id': '' }, status: 400, field: 'X-Correlation-Id' },
  { name: 'an X-Correlation-Id over 128 characters', path: `${base}/interactions`, body: interaction('i-new'), headers: { 'X-Correlation-Id': 'a'.repeat(129) }, status: 400, field: 'X-Correlation-Id' },
  { name: 'malformed JSON', path: `${base}/interactions`, raw: { contentType: 'application/json', text: '{"channel": "phone",' }, status: 400, field: 'body' },
  { name: 'a text/plain body', path: '/customers', raw: { contentType: 'text/plain', text: JSON.stringify(registration('new-7')) }, status: 415, field: 'Content-Type' },
  // Issue 15: only values every read model can hold, and bodies read exactly as sent.
  { name: 'a booking returning on 9999-12-31', path: `${base}/bookings`, body: trip('bk-new', { returnDate: '9999-12-31' }), status: 400, field: 'returnDate', rule: 'must be from 1900-01-01 to 2200-12-31' },
  { name: 'an amendment to 9999-12-31', path: `${base}/bookings/bk-open/amend`, body: { returnDate: '9999-12-31' }, status: 400, field: 'returnDate', rule: 'must be from 1900-01-01 to 2200-12-31' },
  { name: 'a trip in year 1', path: `${base}/bookings`, body: trip('bk-new', { departureDate: '0001-01-01', returnDate: '0001-01-08' }), status: 400, field: 'departureDate', rule: 'must be from 1900-01-01 to 2200-12-31' },
  { name: 'a complaint that occurred in late 9999', path: `${base}/complaints`, body: complaint('cp-new', { occurredAt: '9999-12-31T23:59:59Z' }), status: 400, field: 'occurredAt', rule: /^must be from 1900-01-01T00:00:00Z/ },
  { name: 'a return recorded in late 9999', path: `${base}/bookings/bk-open/return`, body: { occurredAt: '9999-12-31T23:59:59Z' }, status: 400, field: 'occurredAt', rule: /^must be from 1900-01-01T00:00:00Z/ },
  { name: '50 tags of 5,000 characters', path: '/customers', body: registration('new-12', { tags: Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(5000, 't')) }), status: 400, field: 'tags', rule: /must be shorter than or equal to 100 characters/ },
  { name: 'a city of 101 characters', path: `${base}/bookings`, body: trip('bk-new', { destination: { country: 'GR', city: 'c'.repeat(101) } }), status: 400, field: 'destination.city' },
  { name: 'an amount of 2^53 - 1', path: `${base}/bookings`, body: trip('bk-new', { amount: { value: 2 ** 53 - 1, currency: 'EUR' } }), status: 400, field: 'amount.value', rule: /not be greater than 1000000000000/ },
  { name: 'a booking in SEK, which has no configured rate', path: `${base}/bookings`, body: trip('bk-new', { amount: { value: 100_000, currency: 'SEK' } }), status: 422, rule: 'booking.currency-without-rate' },
  { name: 'an amendment to SEK', path: `${base}/bookings/bk-open/amend`, body: { amount: { value: 100_000, currency: 'SEK' } }, status: 422, rule: 'booking.currency-without-rate' },
  { name: 'a body that is not UTF-8', path: `${base}/interactions`, raw: { contentType: 'application/json', text: Buffer.concat([Buffer.from('{"interactionId":"i-latin1","channel":"phone","direction":"outbound","topic":"Caf'), Buffer.from([0xe9]), Buffer.from('","summary":"x"}')]) }, status: 400, field: 'body', rule: 'must be UTF-8' },
  { name: 'a __proto__ key', path: '/customers', raw: { contentType: 'application/json', text: JSON.stringify(registration('new-13')).replace('{', '{"__proto__":{"vip":true},') }, status: 400, field: '__proto__', rule: /should not exist/ },
  { name: 'a nested __proto__ key', path: `${base}/bookings`, raw: { contentType: 'application/json', text: JSON.stringify(trip('bk-new')).replace('"destination":{', '"destination":{"__proto__":{},') }, status: 400, field: 'destination.__proto__', rule: /should not exist/ },
  { name: 'a constructor key', path: '/customers', body: registration('new-14', { constructor: {} }), status: 400, field: 'constructor', rule: /should not exist/ },
  { name: 'a prototype key', path: `${base}/interactions`, body: interaction('i-new', { prototype: 1 }), status: 400, field: 'prototype', rule: /should not exist/ },
  { name: 'a JSON array body', path: '/customers', raw: { contentType: 'application/json', text: JSON.stringify([registration('new-15')]) }, status: 400, field: 'body', rule: 'must be a JSON object' },
  { name: 'a JSON string body', path: `${base}/interactions`, raw: { contentType: 'application/json', text: '"hello"' }, status: 400, field: 'body', rule: 'must be a JSON object' },
  { name: 'a body over the default 256 KiB limit', path: `${base}/interactions`, body: interaction('i-new', { summary: 'x'.repeat(300 * 1024) }), status: 413, field: 'body' },
];

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  const post = (path: string, body: object, status = 201) => command(t, 'post', `${base}${path}`, body, status);
  await command(t, 'post', '/customers', registration(C), 201);
  await post('/bookings', trip('bk-open', { departureDate: '2025-09-01', returnDate: '2025-09-08' }));
  await post('/bookings', trip('bk-cancelled'));
  await post('/bookings/bk-cancelled/cancel', { reason: 'illness' }, 200);
  await post('/bookings', trip('bk-returned'));
  await post('/bookings/bk-returned/departure', {}, 200);
  await post('/bookings/bk-returned/return', {}, 200);
  await post('/complaints', complaint('cp-open'));
  await post('/complaints', complaint('cp-resolved'));
  await post('/complaints/cp-resolved/resolve', { resolution: 'Voucher sent' }, 200);
  await post('/interactions', interaction('i-1'));
});
afterAll(() => t.close());

const send = (c: Case) => {
  let req = t.http()[c.method ?? 'post'](c.path);
  for (const [name, value] of Object.entries(c.headers ?? {})) req = req.set(name, value);
  // Bytes are sent as they are (superagent would write a Buffer as JSON of its bytes).
  if (c.raw) return req.set('Content-Type', c.raw.contentType).serialize((bytes: unknown) => bytes as string).send(c.raw.text);
  return req.send(c.body ?? {});
};

describe('malformed and forbidden requests', () => {
  it('covers at least 25 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)('refuses $name with $status, names the field or rule, and writes nothing', async (c) => {
    const before = await t.eventCount();
    const res = await send(c);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: c.status, body: { statusCode: c.status } });
    expect(typeof res.body.message).toBe('string');
    if (c.field !== undefined) expect(res.body.field).toBe(c.field);
    if (c.rule !== undefined) expect(res.body.rule).toEqual(typeof c.rule === 'string' ? c.rule : expect.stringMatching(c.rule));
    if (c.message !== undefined) expect(res.body.message).toMatch(c.message);
    expectNoStackTrace(res);
    expect(await t.eventCount()).toBe(before);
  });

  // The headline `rule` is what a client shows; for a missing or mistyped value it must not claim a length or range problem.
  it.each([
    ['a missing name', () => t.http().post('/customers').send(registration('new-8', { name: undefined })), 'name'],
    ['limit=abc', () => t.http().get('/customers?limit=abc'), 'limit'],
  ])('names the rule that was actually broken for %s', async (_name, request, field) => {
    const res = await request().expect(400);
    expect(res.body.field).toBe(field);
    expect(res.body.rule).not.toMatch(/shorter than|longer than|greater than|less than/);
  });

  it.each([
    ['a NUL customer id', '/customers/%00', 'customerId'],
    ['a NUL customer id in /events', '/customers/%00/events', 'customerId'],
    ['a NUL customer id in /state', '/customers/%00/state', 'customerId'],
    ['a NUL cursor', '/customers?cursor=%00', 'cursor'],
    ['a fromVersion beyond 2^53', `${base}/events?fromVersion=100000000000000000000`, 'fromVersion'],
    ['a minPosition of 1e21', `${base}?minPosition=1e21`, 'minPosition'],
    ['an asOf past the year 9999 in UTC', `${base}?asOf=9999-12-31T23:00:00-14:00`, 'asOf'],
  ])('answers 400 to a read with %s, naming the field', async (_name, path, field) => {
    const res = await t.http().get(path).expect(400);
    expect(res.body.field).toBe(field);
    expectNoStackTrace(res);
  });

  it('left the fixture customer as it was', async () => {
    const { body } = await t.http().get(`${base}/state`).expect(200);
    expect(body.version).toBe(11);
    expect(Object.keys(body.state.bookings).sort()).toEqual(['bk-cancelled', 'bk-open', 'bk-returned']);
    expect(body.state.bookings['bk-open'].status).toBe('booked');
    expect(body.state.complaints['cp-open'].status).toBe('open');
  });
});

describe('with BODY_LIMIT_BYTES=2048', () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
    await command(small, 'post', '/customers', registration('lim-1'), 201);
  });
  afterAll(() => small.close());

  const logWithSummaryOf = (length: number) => small.http().post('/customers/lim-1/interactions').send(interaction(`i-${length}`, { summary: 'x'.repeat(length) }));

  it('answers 413 for a body over the limit and writes nothing', async () => {
    const before = await small.eventCount();
    const res = await logWithSummaryOf(2100).expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, field: 'body', rule: 'size limit' });
    expect(res.body.message).toContain('2048');
    expectNoStackTrace(res);
    expect(await small.eventCount()).toBe(before);
  });

  it('accepts a body just under the limit', async () => {
    const before = await small.eventCount();
    await logWithSummaryOf(1800).expect(201);
    expect(await small.eventCount()).toBe(before + 1);
  });

  it('answers 415 for text/plain and writes nothing', async () => {
    const before = await small.eventCount();
    const res = await small.http().post('/customers/lim-1/interactions').set('Content-Type', 'text/plain').send(JSON.stringify(interaction('i-text'))).expect(415);
    expect(res.body).toMatchObject({ statusCode: 415, field: 'Content-Type', rule: 'must be application/json' });
    expectNoStackTrace(res);
    expect(await small.eventCount()).toBe(before);
  });
});
