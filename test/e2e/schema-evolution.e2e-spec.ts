import { randomUUID } from 'node:crypto';
import { SchemaAwareEventStore, type EventStore, type NewEvent } from '../../libs/event-store/src';
import { startTestApp, type TestApp } from '../support/test-app';

/*
 * Two logs with the same history: one stores TripBooked at schema version 1 (price in major units beside the
 * currency), the other only version 2 (amount in minor units). Every reader must see the same thing. Likewise
 * ComplaintFiled and SurveyAnswered (issue 19): version 1 has no department and phase, version 2 may; the history's
 * version-2 events give none, so they must read and project exactly as the version-1 ones.
 */
const CUSTOMER = 'evo-1';
const STREAM = `customer-${CUSTOMER}`;
const ids = Array.from({ length: 10 }, () => randomUUID());
const trip = { destination: { country: 'GR', city: 'Rhodes' }, departureDate: '2024-06-10', returnDate: '2024-06-17', travellers: 2, productType: 'package', channel: 'web' };

const history = (v1: boolean): NewEvent[] => {
  const event = (i: number, type: string, data: Record<string, unknown>, occurredAt: string, schemaVersion = 1): NewEvent => ({
    eventId: ids[i],
    type,
    data,
    occurredAt,
    metadata: { correlationId: 'evo', causationId: 'evo', actor: { id: 'migration', role: 'system' }, source: 'import', schemaVersion },
  });
  const booked = (i: number, bookingId: string, price: number, value: number, at: string) =>
    v1
      ? event(i, 'TripBooked', { bookingId, ...trip, price, currency: 'EUR' }, at, 1)
      : event(i, 'TripBooked', { bookingId, ...trip, amount: { value, currency: 'EUR' } }, at, 2);
  return [
    event(0, 'CustomerRegistered', { customerId: CUSTOMER, name: 'Eleni', timeZone: 'Europe/Athens', language: 'el', preferredChannel: 'email', tags: [], marketingConsent: true }, '2024-01-05T10:00:00Z'),
    booked(1, 'b-1', 1299.95, 129995, '2024-02-01T10:00:00Z'),
    event(2, 'TripDeparted', { bookingId: 'b-1' }, '2024-06-10T08:00:00Z'),
    event(3, 'TripReturned', { bookingId: 'b-1' }, '2024-06-17T20:00:00Z'),
    booked(4, 'b-2', 845.5, 84550, '2024-07-01T10:00:00Z'),
    event(5, 'BookingAmended', { bookingId: 'b-2', amount: { value: 90000, currency: 'EUR' } }, '2024-07-02T10:00:00Z'),
    booked(6, 'b-3', 0.1 + 0.2, 30, '2024-07-03T10:00:00Z'),
    event(7, 'ComplaintFiled', { complaintId: 'cp-1', bookingId: 'b-1', category: 'room', severity: 'high', channel: 'phone', description: 'Noisy' }, '2024-06-12T10:00:00Z', v1 ? 1 : 2),
    event(8, 'ComplaintAcknowledged', { complaintId: 'cp-1' }, '2024-06-12T12:00:00Z'),
    event(9, 'SurveyAnswered', { surveyId: 's-1', bookingId: 'b-1', nps: 6, comment: 'Fine' }, '2024-06-20T10:00:00Z', v1 ? 1 : 2),
  ];
};

const raw = (t: TestApp): EventStore => (t.runtime.store as SchemaAwareEventStore).inner;
const withoutStorageDetails = ({ recordedAt: _r, checkpoint: _c, globalPosition: _g, ...event }: Record<string, unknown>) =>
  event as { type: string; schemaVersion: number; data: Record<string, unknown> };

const caughtUp = async (t: TestApp): Promise<void> => {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { body } = await t.http().get('/projections').expect(200);
    if (body.projections.every((p: { lagEvents: number }) => p.lagEvents === 0) && (await t.http().get(`/customers/${CUSTOMER}`)).status === 200) return;
    if (Date.now() > deadline) throw new Error(`projections did not catch up: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const exported = async (t: TestApp) =>
  (await t.http().get('/exports/events').expect(200)).text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .filter((event) => event.streamId === STREAM)
    .map(withoutStorageDetails);

let mixed: TestApp;
let current: TestApp;
beforeAll(async () => {
  [mixed, current] = await Promise.all([startTestApp(), startTestApp()]);
  await raw(mixed).append(STREAM, history(true), { expectedVersion: 'no_stream' });
  await raw(current).append(STREAM, history(false), { expectedVersion: 'no_stream' });
  await Promise.all([caughtUp(mixed), caughtUp(current)]);
});
afterAll(() => Promise.all([mixed.close(), current.close()]));

describe('a log holding TripBooked v1 and v2 reads exactly like one holding only v2', () => {
  it('really stores both versions (nothing was rewritten)', async () => {
    const stored = await mixed.runtime.readModels.query(`SELECT schema_version, data ? 'price' AS has_price FROM event_store.events WHERE stream_id = $1 AND type = 'TripBooked'`, [STREAM]);
    expect(stored.rows).toEqual([
      { schema_version: 1, has_price: true },
      { schema_version: 1, has_price: true },
      { schema_version: 1, has_price: true },
    ]);
    const versions = `SELECT type, schema_version FROM event_store.events WHERE stream_id = $1 AND type IN ('ComplaintFiled', 'SurveyAnswered') ORDER BY 1`;
    expect((await mixed.runtime.readModels.query(versions, [STREAM])).rows.map((r) => r.schema_version)).toEqual([1, 1]);
    expect((await current.runtime.readModels.query(versions, [STREAM])).rows.map((r) => r.schema_version)).toEqual([2, 2]);
  });

  it('folds to the same state', async () => {
    const [a, b] = await Promise.all([mixed, current].map((t) => t.http().get(`/customers/${CUSTOMER}/state`).expect(200)));
    expect(a.body.state).toEqual(b.body.state);
    expect(a.body.state.bookings['b-1'].amount).toEqual({ value: 129995, currency: 'EUR' });
  });

  it('projects the same read model', async () => {
    const [a, b] = await Promise.all([mixed, current].map((t) => t.http().get(`/customers/${CUSTOMER}`).expect(200)));
    expect(a.body).toEqual(b.body);
  });

  it('projects the same feedback figures, the old complaint and answer with no department or phase', async () => {
    const range = { from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' };
    for (const path of ['/analytics/feedback', '/analytics/feedback/nps?by=destination', '/analytics/feedback/complaint-rates', '/analytics/feedback/complaint-deadlines?by=phase']) {
      const [a, b] = await Promise.all([mixed, current].map((t) => t.http().get(path).query(range).expect(200)));
      expect(a.body).toEqual(b.body);
    }
    const rates = (await mixed.http().get('/analytics/feedback/complaint-rates').query(range).expect(200)).body;
    expect([rates.trips, rates.cells]).toEqual([1, [{ month: null, category: 'room', department: null, phase: null, complaints: 1, trips: 1, per100Trips: 100 }]]);
    const nps = (await mixed.http().get('/analytics/feedback/nps?by=destination').query(range).expect(200)).body;
    expect(nps.groups).toEqual([{ group: 'GR/Rhodes', answers: 1, promoters: 0, passives: 0, detractors: 1, nps: -100, low: -100, high: -100 }]);
    const rows = `SELECT department, phase, acknowledged_at IS NOT NULL AS acknowledged FROM read_models.feedback_complaints WHERE customer_id = $1
                  UNION ALL SELECT department, phase, NULL FROM read_models.feedback_surveys WHERE customer_id = $1 ORDER BY 3 NULLS LAST`;
    expect((await mixed.runtime.readModels.query(rows, [CUSTOMER])).rows).toEqual([
      { department: null, phase: null, acknowledged: true },
      { department: null, phase: null, acknowledged: null },
    ]);
  });

  it('shows the same history and the same export', async () => {
    const [a, b] = await Promise.all([mixed, current].map((t) => t.http().get(`/customers/${CUSTOMER}/events`).expect(200)));
    expect(a.body.events.map(withoutStorageDetails)).toEqual(b.body.events.map(withoutStorageDetails));
    const [exportA, exportB] = await Promise.all([exported(mixed), exported(current)]);
    expect(exportA).toHaveLength(10);
    expect(exportA).toEqual(exportB);
    expect(exportA.filter((e) => e.type === 'TripBooked').map((e) => [e.schemaVersion, e.data.amount])).toEqual([
      [2, { value: 129995, currency: 'EUR' }],
      [2, { value: 84550, currency: 'EUR' }],
      [2, { value: 30, currency: 'EUR' }],
    ]);
    expect(exportA.filter((e) => e.type === 'ComplaintFiled' || e.type === 'SurveyAnswered').map((e) => [e.type, e.schemaVersion, 'department' in e.data, 'phase' in e.data])).toEqual([
      ['ComplaintFiled', 2, false, false],
      ['SurveyAnswered', 2, false, false],
    ]);
  });

  it('decides commands on the upcast amount', async () => {
    for (const t of [mixed, current]) {
      const tooMuch = await t.http().post(`/customers/${CUSTOMER}/bookings/b-3/cancel`).send({ reason: 'changed plans', refund: { value: 31, currency: 'EUR' } });
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.body.field).toBe('refund.value');
      await t.http().post(`/customers/${CUSTOMER}/bookings/b-3/cancel`).send({ reason: 'changed plans', refund: { value: 30, currency: 'EUR' } }).expect(200);
    }
  });
});

describe('an event nobody knows', () => {
  it('fails loudly, naming the event and its position, in every reader', async () => {
    const t = mixed;
    const eventId = randomUUID();
    await raw(t).append('customer-evo-2', [
      { eventId, type: 'TripBooked', data: { bookingId: 'x' }, occurredAt: '2024-01-01T00:00:00Z', metadata: { correlationId: 'c', causationId: 'c', actor: { id: 'a', role: 'r' }, source: 'import', schemaVersion: 7 } },
    ]);
    const history = await t.http().get('/customers/evo-2/events').expect(500);
    expect(history.body.message).toMatch(new RegExp(`cannot read event ${eventId} at global position \\d+ \\(stream customer-evo-2, position 1\\): type "TripBooked" schema version 7: unknown version`));
    const command = await t.http().post('/customers/evo-2/surveys').send({ surveyId: 's', nps: 9 });
    expect(command.status).toBe(500);
    expect(command.body.message).toContain(eventId);
    const deadline = Date.now() + 10_000;
    // Every projection stops at it, each in its own time.
    let status: { name: string; lastError: string | null }[] = [];
    while (Date.now() < deadline && !(status.length && status.every((p) => p.lastError?.includes(eventId)))) {
      status = (await t.http().get('/projections').expect(200)).body.projections;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status.map((p) => p.name)).toEqual(t.runtime.projector.projections.map((p) => p.name).sort());
    for (const projection of status) expect(projection.lastError).toContain(`cannot read event ${eventId}`);
  });
});

describe('GET /exports/events', () => {
  it('continues after a checkpoint from an earlier line, and refuses one that is not a checkpoint', async () => {
    const lines = (await current.http().get('/exports/events').expect(200)).text.trim().split('\n').map((line) => JSON.parse(line));
    const rest = (await current.http().get('/exports/events').query({ after: lines[2].checkpoint }).expect(200)).text.trim().split('\n');
    expect(rest.map((line) => JSON.parse(line).eventId)).toEqual(lines.slice(3).map((e) => e.eventId));
    const bad = await current.http().get('/exports/events').query({ after: 'yesterday' }).expect(400);
    expect(bad.body.field).toBe('after');
  });
});
