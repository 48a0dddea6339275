import { startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, expectNoStackTrace, registration, trip } from './customer-api.fixtures';

/**
 * The touchpoint schedule over HTTP: a Berlin customer's trip in July 2026 (CEST, UTC+2: 10:00 local is 08:00Z),
 * a complaint during it, a risk alert for the destination, completions, and the work queue.
 */
let t: TestApp;
let lastPosition = 0;
const write = async (method: 'post' | 'patch', path: string, body: object, status = 201): Promise<void> => {
  const answer = await command(t, method, path, body, status);
  lastPosition = Math.max(lastPosition, answer.position ?? 0);
};
const projected = async (): Promise<void> => {
  expect(await t.runtime.projector.waitFor(lastPosition, 10_000)).toBe(true);
};

interface Row {
  touchpointId: string;
  kind: string;
  dueAt: string;
  status: string;
  urgent: boolean;
  overdue: boolean;
  bookingId: string | null;
  alertId: string | null;
  completedBy: string | null;
  outcome: string | null;
  reason: string | null;
}
const schedule = async (customerId: string, asOf = '2026-07-01T00:00:00Z'): Promise<Row[]> =>
  (await t.http().get(`/customers/${customerId}/touchpoints`).query({ asOf }).expect(200)).body.touchpoints as Row[];
const find = (rows: Row[], kind: string, bookingId?: string): Row => {
  const row = rows.find((r) => r.kind === kind && (bookingId === undefined || r.bookingId === bookingId));
  if (!row) throw new Error(`no ${kind} in ${JSON.stringify(rows.map((r) => r.kind))}`);
  return row;
};

beforeAll(async () => {
  t = await startTestApp();
  await write('post', '/customers', registration('tp-berlin', { timeZone: 'Europe/Berlin', language: 'de', marketingConsent: true, tags: ['family'], occurredAt: '2026-04-01T09:00:00Z' }));
  await write('post', '/customers/tp-berlin/bookings', trip('b1', { departureDate: '2026-07-10', returnDate: '2026-07-20', occurredAt: '2026-05-01T10:00:00Z' }));
  await projected();
}, 60_000);
afterAll(() => t.close());

describe('the touchpoint schedule', () => {
  it('schedules the trip in the customer time zone, 10:00 local', async () => {
    const rows = await schedule('tp-berlin');
    expect(find(rows, 'destination-guide', 'b1')).toMatchObject({ dueAt: '2026-06-26T08:00:00.000Z', status: 'open', urgent: false });
    expect(find(rows, 'departure-reminder', 'b1')).toMatchObject({ dueAt: '2026-07-07T08:00:00.000Z', status: 'open' });
    expect(find(rows, 'arrival-check-in', 'b1')).toMatchObject({ dueAt: '2026-07-11T08:00:00.000Z' });
    expect(find(rows, 'mid-trip-check-in', 'b1')).toMatchObject({ dueAt: '2026-07-15T08:00:00.000Z' });
    expect(find(rows, 'welcome-home-call', 'b1')).toMatchObject({ dueAt: '2026-07-21T08:00:00.000Z' });
    expect(find(rows, 'nps-survey', 'b1')).toMatchObject({ dueAt: '2026-07-23T08:00:00.000Z' });
    // Overdue is judged at the query instant: the destination guide is past due on 1 July, not yet on 20 June.
    expect(find(rows, 'destination-guide', 'b1').overdue).toBe(true);
    expect(find(await schedule('tp-berlin', '2026-06-20T00:00:00Z'), 'destination-guide', 'b1').overdue).toBe(false);
    // Due at the instant itself: overdue (open and due at or before it), in the list and in the queue alike.
    expect(find(await schedule('tp-berlin', '2026-06-26T08:00:00Z'), 'destination-guide', 'b1').overdue).toBe(true);
    const queue = await t.http().get('/touchpoints').query({ status: 'overdue', asOf: '2026-06-26T08:00:00Z', kind: 'destination-guide' }).expect(200);
    expect(queue.body.items.map((r: Row) => r.dueAt)).toEqual(['2026-06-26T08:00:00.000Z']);
  });

  it('adds exact, urgent complaint deadlines and a risk notice for the destination', async () => {
    await write('post', '/customers/tp-berlin/complaints', complaint('C-1', { bookingId: 'b1', occurredAt: '2026-07-12T09:15:00Z' }));
    const alert = await t.http().post('/risk-alerts').send({ alertId: 'ra-1', country: 'GR', from: '2026-07-01', to: '2026-07-15', severity: 'high', message: 'Ferry strike', occurredAt: '2026-07-02T06:00:00Z' }).expect(201);
    lastPosition = Math.max(lastPosition, alert.body.position);
    await projected();
    const rows = await schedule('tp-berlin');
    expect(find(rows, 'complaint-acknowledgement')).toMatchObject({ dueAt: '2026-07-12T10:15:00.000Z', urgent: true, status: 'open' });
    expect(find(rows, 'complaint-resolution')).toMatchObject({ dueAt: '2026-07-13T09:15:00.000Z', urgent: true });
    expect(find(rows, 'risk-notice', 'b1')).toMatchObject({ alertId: 'ra-1', dueAt: '2026-07-02T06:00:00.000Z', urgent: true, status: 'open' });
  });

  it('closes complaint touchpoints with the actor of the complaint event, and refuses completing them again', async () => {
    const ack = await t.http('agent').post('/customers/tp-berlin/complaints/C-1/acknowledge').send({ occurredAt: '2026-07-12T09:40:00Z' }).expect(200);
    lastPosition = ack.body.position;
    await projected();
    const row = find(await schedule('tp-berlin'), 'complaint-acknowledgement');
    expect(row).toMatchObject({ status: 'done', completedBy: 'test-agent', outcome: 'done' });
    const before = await t.eventCount();
    const again = await t.http().post(`/touchpoints/${row.touchpointId}/complete`).send({ outcome: 'done' }).expect(409);
    expect(again.body).toMatchObject({ rule: 'touchpoint.already-completed' });
    expect(await t.eventCount()).toBe(before);
  });

  it('records who completed a touchpoint, and refuses a second completion', async () => {
    const call = find(await schedule('tp-berlin'), 'departure-reminder', 'b1');
    const res = await t.http('agent').post(`/touchpoints/${call.touchpointId}/complete`).send({ outcome: 'no-answer', occurredAt: '2026-07-07T08:30:00Z' }).expect(201);
    lastPosition = res.body.position;
    await projected();
    expect(find(await schedule('tp-berlin'), 'departure-reminder', 'b1')).toMatchObject({ status: 'done', completedBy: 'test-agent', outcome: 'no-answer' });
    const again = await t.http().post(`/touchpoints/${call.touchpointId}/complete`).send({ outcome: 'done' }).expect(409);
    expect(again.body).toMatchObject({ rule: 'touchpoint.already-completed' });
  });

  it('lists the work queue by status and due time, with the calendar per day and kind', async () => {
    const overdue = await t.http().get('/touchpoints').query({ status: 'overdue', asOf: '2026-07-12T12:00:00Z', limit: 2 }).expect(200);
    expect(overdue.body.items.every((r: Row) => r.overdue && r.status === 'open')).toBe(true);
    const next = await t.http().get('/touchpoints').query({ status: 'overdue', asOf: '2026-07-12T12:00:00Z', limit: 2, cursor: overdue.body.nextCursor }).expect(200);
    const dues = [...overdue.body.items, ...next.body.items].map((r: Row) => r.dueAt);
    expect(dues).toEqual([...dues].sort());
    expect(dues.every((d) => d < '2026-07-12T12:00:00.000Z')).toBe(true);
    const calendar = await t.http().get('/touchpoints/calendar').query({ from: '2026-07-01T00:00:00Z', to: '2026-08-01T00:00:00Z' }).expect(200);
    expect(calendar.body.days).toContainEqual({ day: '2026-07-21', kind: 'welcome-home-call', open: 1, done: 0, skipped: 0, cancelled: 0 });
    const csv = await t.http().get('/touchpoints').query({ kind: 'welcome-home-call' }).set('Accept', 'text/csv').expect(200);
    expect(csv.text.trim().split('\n')).toHaveLength(2);
  });

  it('cancels the open touchpoints of a cancelled booking and refuses to complete them, also right after the cancellation', async () => {
    const call = find(await schedule('tp-berlin'), 'welcome-home-call', 'b1');
    await write('post', '/customers/tp-berlin/bookings/b1/cancel', { reason: 'illness', occurredAt: '2026-07-03T10:00:00Z' }, 200);
    // No waiting for the projection: the completion must still see the cancellation.
    const early = await t.http().post(`/touchpoints/${call.touchpointId}/complete`).send({ outcome: 'done' }).expect(409);
    expect(early.body).toMatchObject({ rule: 'touchpoint.cancelled' });
    await projected();
    const rows = await schedule('tp-berlin');
    expect(find(rows, 'welcome-home-call', 'b1').status).toBe('cancelled');
    expect(find(rows, 'departure-reminder', 'b1')).toMatchObject({ status: 'done' });
    expect(find(rows, 'cancellation-follow-up', 'b1')).toMatchObject({ status: 'open' });
    const before = await t.eventCount();
    const res = await t.http().post(`/touchpoints/${call.touchpointId}/complete`).send({ outcome: 'done' }).expect(409);
    expect(res.body).toMatchObject({ rule: 'touchpoint.cancelled' });
    expect(await t.eventCount()).toBe(before);
  });

  it('completes a risk notice (its alert is another stream) and refuses a second completion sent right after, without waiting for the projection', async () => {
    const notice = find(await schedule('tp-berlin'), 'risk-notice', 'b1');
    expect(notice.status).toBe('open');
    await t.http('agent').post(`/touchpoints/${notice.touchpointId}/complete`).send({ outcome: 'done', occurredAt: '2026-07-02T07:00:00Z' }).expect(201);
    const before = await t.eventCount();
    const again = await t.http().post(`/touchpoints/${notice.touchpointId}/complete`).send({ outcome: 'skipped' }).expect(409);
    expect(again.body).toMatchObject({ rule: 'touchpoint.already-completed' });
    expect(await t.eventCount()).toBe(before);
  });

  it.each([
    ['an unknown touchpoint', () => t.http().post('/touchpoints/tp_nope/complete').send({ outcome: 'done' }), 404, {}],
    ['an unknown outcome', async () => t.http().post(`/touchpoints/${find(await schedule('tp-berlin'), 'nps-survey').touchpointId}/complete`).send({ outcome: 'maybe' }), 400, { field: 'outcome' }],
    ['an unknown status', () => t.http().get('/touchpoints').query({ status: 'late' }), 400, { field: 'status' }],
    ['a cursor whose due time is no instant', () => t.http().get('/touchpoints').query({ cursor: Buffer.from('["x","tp_1"]').toString('base64url') }), 400, { field: 'cursor' }],
    ['a calendar that ends before it starts', () => t.http().get('/touchpoints/calendar').query({ from: '2026-07-10T00:00:00Z', to: '2026-07-01T00:00:00Z' }), 400, { field: 'to' }],
  ])('refuses %s with a clear error, writing nothing', async (_name, send, status, body) => {
    const before = await t.eventCount();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
    expectNoStackTrace(res);
    expect(await t.eventCount()).toBe(before);
  });
});
