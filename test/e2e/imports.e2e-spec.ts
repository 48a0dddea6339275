import { startTestApp, type TestApp } from '../support/test-app';
import { registration, trip } from './customer-api.fixtures';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

// Import lines are the API's request bodies plus type and customerId.
const register = (id: string) => JSON.stringify({ type: 'RegisterCustomer', ...registration(id) });
const book = (id: string, bookingId: string) => JSON.stringify({ type: 'BookTrip', customerId: id, ...trip(bookingId) });

const post = (body: string, contentType = 'application/x-ndjson') => t.http().post('/imports').set('Content-Type', contentType).send(body);

describe('POST /imports', () => {
  // Line 3 books b-1 again on another day: a conflict. (An identical line would be the same fact: a duplicate.)
  const rebook = book('http-1', 'b-1').replace('2025-01-20T10:00:00Z', '2025-01-21T10:00:00Z');
  const body = [register('http-1'), book('http-1', 'b-1'), rebook, register('http-2'), '{oops'].join('\n');

  it('imports the good lines, lists the bad ones with line number and reason, and the read models catch up', async () => {
    const res = await post(body).set('X-Correlation-Id', 'migration-2024-03').expect(200);
    expect(res.body).toMatchObject({ importId: 'migration-2024-03', linesRead: 5, imported: 3, rejected: 2, duplicates: 0, events: 3 });
    expect(res.body.rejections).toEqual([
      expect.objectContaining({ line: 3, statusCode: 409, rule: 'booking.id-unique' }),
      expect.objectContaining({ line: 5, statusCode: 400, field: 'line', rule: 'must be one JSON object' }),
    ]);
    const events = await t.http().get('/customers/http-1/events').expect(200);
    expect(events.body.events.map((e: { metadata: { source: string; correlationId: string } }) => e.metadata)).toEqual([
      expect.objectContaining({ source: 'import', correlationId: 'migration-2024-03' }),
      expect.objectContaining({ source: 'import', correlationId: 'migration-2024-03' }),
    ]);
    const deadline = Date.now() + 10_000;
    let overview = await t.http().get('/customers/http-1');
    while (overview.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      overview = await t.http().get('/customers/http-1');
    }
    expect(overview.body).toMatchObject({ customerId: 'http-1', bookings: 1 });
  });

  it('the same body again adds nothing', async () => {
    const before = await t.eventCount();
    const res = await post(body).expect(200);
    expect(res.body).toMatchObject({ imported: 0, duplicates: 3, rejected: 2, events: 0 });
    expect(await t.eventCount()).toBe(before);
  });

  it.each([
    ['a JSON content type', () => post(register('http-3'), 'application/json'), 415, 'Content-Type'],
    ['an empty body', () => post(''), 400, 'body'],
    ['only bad lines', () => post(['{}', book('http-404', 'b-1')].join('\n')), 400, 'body'],
  ])('refuses %s with a 4xx naming the field, writing nothing', async (_name, send, status, field) => {
    const before = await t.eventCount();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.field).toBe(field);
    expect(await t.eventCount()).toBe(before);
  });
});
