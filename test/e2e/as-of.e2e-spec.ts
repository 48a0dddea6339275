import { startTestApp, type TestApp } from '../support/test-app';
import { command, expectNoStackTrace, registration, trip } from './customer-api.fixtures';

/**
 * Acceptance: the state as of an instant between two events reflects the earlier and not the later.
 * "As of" goes by occurredAt (when it happened in the world), not by when the event was recorded.
 */

const ID = 'asof-1';
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await command(t, 'post', '/customers', registration(ID, { occurredAt: '2025-01-10T09:00:00Z' }), 201);
  await command(t, 'post', `/customers/${ID}/bookings`, trip('bk-1', { occurredAt: '2025-02-01T10:00:00Z' }), 201);
  await command(t, 'post', `/customers/${ID}/bookings/bk-1/cancel`, { reason: 'illness', occurredAt: '2025-03-01T10:00:00Z' }, 200);
});
afterAll(() => t.close());

const stateAsOf = async (asOf: string) => {
  const res = await t.http().get(`/customers/${ID}/state`).query({ asOf }).expect(200);
  return res.body as { customerId: string; asOf: string; version: number; state: { status: string; bookings?: Record<string, Record<string, unknown>> } };
};

describe('GET /customers/:id/state?asOf', () => {
  it('between booking and cancellation shows the booking as booked, not cancelled', async () => {
    const answer = await stateAsOf('2025-02-15T00:00:00Z');
    expect(answer).toMatchObject({ customerId: ID, asOf: '2025-02-15T00:00:00Z', version: 2 });
    expect(answer.state.status).toBe('registered');
    expect(answer.state.bookings!['bk-1']).toMatchObject({ status: 'booked', bookedAt: '2025-02-01T10:00:00.000Z' });
    expect(answer.state.bookings!['bk-1']).not.toHaveProperty('cancelledAt');
    expect(answer.state.bookings!['bk-1']).not.toHaveProperty('cancellationReason');
  });

  it('after the cancellation shows it cancelled', async () => {
    const answer = await stateAsOf('2025-03-02T00:00:00Z');
    expect(answer.version).toBe(3);
    expect(answer.state.bookings!['bk-1']).toMatchObject({ status: 'cancelled', cancellationReason: 'illness', cancelledAt: '2025-03-01T10:00:00.000Z' });
  });

  it('includes an event that occurred exactly at the instant asked for', async () => {
    expect((await stateAsOf('2025-03-01T10:00:00Z')).state.bookings!['bk-1'].status).toBe('cancelled');
    expect((await stateAsOf('2025-03-01T09:59:59.999Z')).state.bookings!['bk-1'].status).toBe('booked');
  });

  it('compares instants, not strings: an offset is honoured', async () => {
    // 10:30+01:00 is 09:30Z, half an hour before the cancellation.
    expect((await stateAsOf('2025-03-01T10:30:00+01:00')).state.bookings!['bk-1'].status).toBe('booked');
    expect((await stateAsOf('2025-03-01T10:30:00-01:00')).state.bookings!['bk-1'].status).toBe('cancelled');
  });

  it('between registration and booking shows a registered customer without bookings', async () => {
    const answer = await stateAsOf('2025-01-20T00:00:00Z');
    expect(answer).toMatchObject({ version: 1, state: { status: 'registered', customerId: ID, bookings: {} } });
  });

  it('before registration shows the customer as unknown', async () => {
    const answer = await stateAsOf('2025-01-01T00:00:00Z');
    expect(answer).toEqual({ customerId: ID, asOf: '2025-01-01T00:00:00Z', version: 0, state: { status: 'unknown' } });
  });

  it('defaults to now', async () => {
    const res = await t.http().get(`/customers/${ID}/state`).expect(200);
    expect(res.body.version).toBe(3);
    expect(res.body.state.bookings['bk-1'].status).toBe('cancelled');
    expect(Math.abs(Date.parse(res.body.asOf) - Date.now())).toBeLessThan(60_000);
  });

  it('answers 404 for an unknown customer', async () => {
    const res = await t.http().get('/customers/nobody/state').query({ asOf: '2025-02-15T00:00:00Z' }).expect(404);
    expect(res.body.message).toContain('nobody');
    expectNoStackTrace(res);
  });

  // ISO 8601 forms that are not one exact instant (a week, a month, an hour without minutes) are malformed too.
  it.each(['yesterday', '2025-02-30T00:00:00Z', '2025-02-15T25:00:00Z', '15/02/2025', '2025-W07-6', '2025-02', '2025-02-15T10Z'])(
    'answers 400 naming asOf for the malformed %p',
    async (asOf) => {
      const res = await t.http().get(`/customers/${ID}/state`).query({ asOf }).expect(400);
      expect(res.body.field).toBe('asOf');
      expectNoStackTrace(res);
    },
  );

  // Without an offset the instant would depend on the database server's time zone; occurredAt refuses it for the same reason.
  it.each(['2025-02-15', '2025-02-15T00:00:00'])('answers 400 naming asOf for %p, which has no offset', async (asOf) => {
    const res = await t.http().get(`/customers/${ID}/state`).query({ asOf }).expect(400);
    expect(res.body.field).toBe('asOf');
  });
});
