import { touchpointId } from '../../libs/touchpoints/src';
import { startTestApp, type TestApp } from '../support/test-app';
import { complaint, registration, trip } from './customer-api.fixtures';

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

  it('refuses a line that is not UTF-8 with its number and the rule, imports the others, and writes nothing for it', async () => {
    // René in Latin-1: the byte 0xE9 alone is no UTF-8, and was stored as U+FFFD.
    const latin1 = Buffer.from(JSON.stringify({ type: 'RegisterCustomer', ...registration('utf8-2', { name: 'René Latin' }) }), 'latin1');
    const res = await post(Buffer.concat([Buffer.from(`${register('utf8-1')}\n`), latin1, Buffer.from(`\n${register('utf8-3')}\n`)]) as unknown as string).expect(200);
    expect(res.body).toMatchObject({ linesRead: 3, imported: 2, rejected: 1 });
    expect(res.body.rejections).toEqual([expect.objectContaining({ line: 2, statusCode: 400, field: 'line', rule: 'must be UTF-8' })]);
    expect(await t.runtime.store.readStream('customer-utf8-2')).toEqual([]);
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

describe('POST /imports: completing touchpoints', () => {
  // The customer's schedule as the write side computes it: trip touchpoints have the booking id as reference.
  const customerId = 'http-tp';
  const tp = (kind: Parameters<typeof touchpointId>[1], ref: string) => touchpointId(customerId, kind, ref);
  const line = (type: string, fields: Record<string, unknown>) => JSON.stringify({ type, customerId, ...fields });
  const complete = (id: string, occurredAt: string) => line('CompleteTouchpoint', { touchpointId: id, outcome: 'done', occurredAt });

  it('refuses the completion of an unknown, a cancelled or a completed touchpoint with the line number and rule, writing nothing for those lines', async () => {
    const lines = [
      register(customerId), // 1
      line('BookTrip', trip('b-1')), // 2
      line('BookTrip', trip('b-2', { departureDate: '2025-09-01', returnDate: '2025-09-08' })), // 3
      line('CancelBooking', { bookingId: 'b-1', reason: 'illness', occurredAt: '2025-02-01T10:00:00Z' }), // 4
      complete(tp('welcome-home-call', 'b-1'), '2025-02-02T10:00:00Z'), // 5: cancelled with its booking, in this very import
      complete('tp_nope', '2025-02-02T10:00:00Z'), // 6: no such touchpoint
      complete(tp('departure-reminder', 'b-2'), '2025-02-02T10:00:00Z'), // 7: open
      complete(tp('departure-reminder', 'b-2'), '2025-02-03T10:00:00Z'), // 8: completed on line 7
      line('FileComplaint', complaint('cp-1', { occurredAt: '2025-02-04T10:00:00Z' })), // 9
      line('AcknowledgeComplaint', { complaintId: 'cp-1', occurredAt: '2025-02-04T11:00:00Z' }), // 10
      complete(tp('complaint-acknowledgement', 'cp-1'), '2025-02-04T12:00:00Z'), // 11: closed by the acknowledgement
    ];
    const before = await t.eventCount();
    const res = await post(lines.join('\n')).expect(200);
    expect(res.body).toMatchObject({ linesRead: 11, imported: 7, rejected: 4, events: 7 });
    expect(res.body.rejections).toEqual([
      expect.objectContaining({ line: 5, statusCode: 409, rule: 'touchpoint.cancelled' }),
      expect.objectContaining({ line: 6, statusCode: 404, message: 'touchpoint tp_nope not found' }),
      expect.objectContaining({ line: 8, statusCode: 409, rule: 'touchpoint.already-completed' }),
      expect.objectContaining({ line: 11, statusCode: 409, rule: 'touchpoint.already-completed' }),
    ]);
    expect(await t.eventCount()).toBe(before + 7);
    const events = await t.http().get(`/customers/${customerId}/events`).expect(200);
    const completed = events.body.events.filter((e: { type: string }) => e.type === 'TouchpointCompleted');
    expect(completed.map((e: { data: { touchpointId: string } }) => e.data.touchpointId)).toEqual([tp('departure-reminder', 'b-2')]);
  });

  it('refuses them again on a re-import, and the HTTP API answers the same', async () => {
    const res = await post([complete(tp('welcome-home-call', 'b-1'), '2025-02-05T10:00:00Z'), complete('tp_nope', '2025-02-05T10:00:00Z')].join('\n')).expect(400);
    expect(res.body.rejections).toEqual([
      expect.objectContaining({ line: 1, statusCode: 409, rule: 'touchpoint.cancelled' }),
      expect.objectContaining({ line: 2, statusCode: 404 }),
    ]);
    // The API finds the customer of a touchpoint in the read model: wait until it has the imported lines.
    const deadline = Date.now() + 10_000;
    let answer = await t.http().post(`/touchpoints/${tp('welcome-home-call', 'b-1')}/complete`).send({ outcome: 'done' });
    while (answer.status === 404 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await t.http().post(`/touchpoints/${tp('welcome-home-call', 'b-1')}/complete`).send({ outcome: 'done' });
    }
    expect({ status: answer.status, rule: answer.body.rule }).toEqual({ status: 409, rule: 'touchpoint.cancelled' });
  });
});
