import { startTestApp, type TestApp } from '../support/test-app';
import { command, complaint, interaction, registration, trip, type CommandAnswer } from './customer-api.fixtures';
import type { RecordedEvent } from '../../libs/event-store/src';

/** A new user's whole journey through the HTTP API, then what every read side shows of it. */

const ID = 'journey-a';
/** The actor is the authenticated key's name and role (test-agent), never a header. */
const headers = (): Record<string, string> => ({ 'X-Correlation-Id': 'corr-journey-1', Authorization: `Bearer ${t.keys.agent}` });


/** Each step: the command sent, the event types it must write, and the occurredAt it carried. */
const JOURNEY: { method: 'post' | 'patch'; path: string; body: Record<string, unknown>; status: number; types: string[] }[] = [
  { method: 'post', path: '/customers', body: registration(ID), status: 201, types: ['CustomerRegistered'] },
  { method: 'post', path: `/customers/${ID}/bookings`, body: trip('bk-1'), status: 201, types: ['TripBooked'] },
  { method: 'post', path: `/customers/${ID}/bookings/bk-1/departure`, body: { occurredAt: '2025-06-01T06:00:00Z' }, status: 200, types: ['TripDeparted'] },
  { method: 'post', path: `/customers/${ID}/bookings/bk-1/return`, body: { occurredAt: '2025-06-14T20:00:00Z' }, status: 200, types: ['TripReturned'] },
  { method: 'post', path: `/customers/${ID}/complaints`, body: complaint('cp-1', { bookingId: 'bk-1' }), status: 201, types: ['ComplaintFiled'] },
  { method: 'post', path: `/customers/${ID}/complaints/cp-1/acknowledge`, body: { note: 'on it', occurredAt: '2025-06-05T13:00:00Z' }, status: 200, types: ['ComplaintAcknowledged'] },
  {
    method: 'post',
    path: `/customers/${ID}/complaints/cp-1/resolve`,
    body: { resolution: 'Refunded one night.', compensation: { value: 5_000, currency: 'EUR' }, occurredAt: '2025-06-20T09:00:00Z' },
    status: 200,
    types: ['ComplaintResolved'],
  },
  { method: 'post', path: `/customers/${ID}/surveys`, body: { surveyId: 's-1', bookingId: 'bk-1', nps: 9, comment: 'great', occurredAt: '2025-06-21T10:00:00Z' }, status: 201, types: ['SurveyAnswered'] },
  { method: 'post', path: `/customers/${ID}/interactions`, body: interaction('i-1'), status: 201, types: ['InteractionLogged'] },
  {
    method: 'patch',
    path: `/customers/${ID}`,
    body: { phone: '+30 210 7654321', marketingConsent: true, occurredAt: '2025-06-22T08:00:00Z' },
    status: 200,
    types: ['CustomerProfileUpdated', 'MarketingConsentChanged'],
  },
];

let t: TestApp;
const answers: CommandAnswer[] = [];

beforeAll(async () => {
  t = await startTestApp();
  for (const step of JOURNEY) answers.push(await command(t, step.method, step.path, step.body, step.status, headers()));
});
afterAll(() => t.close());

const overview = async (minPosition: number, asOf?: string): Promise<Record<string, unknown>> => {
  const res = await t.http().get(`/customers/${ID}?minPosition=${minPosition}${asOf ? `&asOf=${asOf}` : ''}`).expect(200);
  expect(res.headers['x-read-model-stale']).toBeUndefined();
  return res.body;
};

describe('a customer journey over HTTP', () => {
  it('answers every command with the new stream version and an increasing global position', () => {
    let version = 0;
    JOURNEY.forEach((step, i) => {
      version += step.types.length;
      expect(answers[i]).toEqual({ customerId: ID, version, position: expect.any(Number) });
      if (i > 0) expect(answers[i].position!).toBeGreaterThan(answers[i - 1].position!);
    });
  });

  it('shows the journey in the overview once the projection has caught up (?minPosition)', async () => {
    const last = answers[answers.length - 1];
    expect(await overview(last.position!)).toMatchObject({
      customerId: ID,
      name: 'Maria Papadopoulou',
      phone: '+30 210 7654321',
      timeZone: 'Europe/Athens',
      marketingConsent: true,
      tags: ['family'],
      registeredAt: '2025-01-10T09:00:00.000Z',
      bookings: 1,
      trips: 1,
      cancellations: 0,
      complaints: { open: 0, total: 1 },
      revenue: { EUR: 250_000 },
      lastNps: 9,
      firstTripDate: '2025-06-01',
      lastTripDate: '2025-06-01',
      nextDeparture: null,
      lastEventAt: '2025-06-22T08:00:00.000Z',
      version: last.version,
    });
  });

  it('counts a second booked trip as the next departure and adds its revenue per currency', async () => {
    const booked = await command(
      t,
      'post',
      `/customers/${ID}/bookings`,
      trip('bk-2', { departureDate: '2025-10-03', returnDate: '2025-10-10', amount: { value: 99_900, currency: 'GBP' }, occurredAt: '2025-07-01T10:00:00Z' }),
      201,
    );
    expect(await overview(booked.position!, '2025-07-02T00:00:00Z')).toMatchObject({
      bookings: 2,
      trips: 1,
      revenue: { EUR: 250_000, GBP: 99_900 },
      firstTripDate: '2025-06-01',
      lastTripDate: '2025-06-01',
      nextDeparture: '2025-10-03',
      version: booked.version,
    });
    // "Next" is evaluated when asked: once its date has passed without a recorded departure, it is no longer next.
    expect(await overview(booked.position!, '2025-10-04T00:00:00Z')).toMatchObject({ nextDeparture: null });
  });

  it('returns the full history in order, with the metadata of the request that caused each event', async () => {
    const res = await t.http().get(`/customers/${ID}/events`).expect(200);
    const events = res.body.events as RecordedEvent[];
    const expectedTypes = JOURNEY.flatMap((step) => step.types);
    expect(events.slice(0, expectedTypes.length).map((e) => e.type)).toEqual(expectedTypes);
    expect(events.map((e) => e.streamPosition)).toEqual(events.map((_, i) => i + 1));
    expect(res.body.nextFromVersion).toBeNull();

    let index = 0;
    for (const step of JOURNEY) {
      const caused = events.slice(index, index + step.types.length);
      index += step.types.length;
      for (const event of caused) {
        expect(event.streamId).toBe(`customer-${ID}`);
        // Written at the current schema of its type: TripBooked is at version 2 (amount in minor units), complaints and
        // survey answers at version 2 (department and phase, issue 19).
        const schemaVersion = ['TripBooked', 'ComplaintFiled', 'SurveyAnswered'].includes(event.type) ? 2 : 1;
        expect(event.schemaVersion).toBe(schemaVersion);
        expect(event.occurredAt).toBe(new Date(step.body.occurredAt as string).toISOString());
        expect(Date.parse(event.recordedAt)).not.toBeNaN();
        expect(event.metadata).toEqual({
          eventId: event.eventId,
          correlationId: 'corr-journey-1',
          causationId: caused[0].metadata.causationId,
          actor: { id: 'test-agent', role: 'agent' },
          source: 'api',
          schemaVersion,
        });
      }
    }
    // One causation id per request: the two events of the PATCH share it, no two requests do.
    expect(new Set(events.map((e) => e.metadata.causationId)).size).toBe(JOURNEY.length + 1);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    // Events copy only the known fields of a command, never transport details.
    const { occurredAt: _occurredAt, ...registered } = registration(ID);
    expect(events[0].data).toEqual(registered);
  });

  it('takes the actor from the key and defaults the correlation id to a fresh one', async () => {
    const answer = await command(t, 'post', `/customers/${ID}/interactions`, interaction('i-anon'), 201);
    const res = await t.http().get(`/customers/${ID}/events?fromVersion=${answer.version}`).expect(200);
    expect(res.body.events).toHaveLength(1);
    expect(res.body.events[0].metadata).toMatchObject({ actor: { id: 'test-admin', role: 'admin' }, source: 'api' });
    expect(res.body.events[0].metadata.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('pages the history with fromVersion and limit', async () => {
    const all = (await t.http().get(`/customers/${ID}/events`).expect(200)).body.events as RecordedEvent[];
    const first = await t.http().get(`/customers/${ID}/events?fromVersion=1&limit=5`).expect(200);
    expect(first.body.events.map((e: RecordedEvent) => e.streamPosition)).toEqual([1, 2, 3, 4, 5]);
    expect(first.body.nextFromVersion).toBe(6);
    const rest = await t.http().get(`/customers/${ID}/events?fromVersion=6&limit=1000`).expect(200);
    expect(rest.body.nextFromVersion).toBeNull();
    expect([...first.body.events, ...rest.body.events]).toEqual(all);
    const exact = await t.http().get(`/customers/${ID}/events?fromVersion=${all.length - 1}&limit=2`).expect(200);
    expect(exact.body.events).toHaveLength(2);
    expect(exact.body.nextFromVersion).toBeNull();
  });

  it('lists customers by id, one page at a time, with a cursor', async () => {
    await command(t, 'post', '/customers', registration('journey-b'), 201);
    const last = await command(t, 'post', '/customers', registration('journey-c'), 201);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 3; page++) {
      const query: string = `/customers?limit=1&minPosition=${last.position}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.http().get(query).expect(200);
      expect(res.body.items).toHaveLength(1);
      seen.push(res.body.items[0].customerId);
      cursor = res.body.nextCursor;
    }
    expect(seen).toEqual([ID, 'journey-b', 'journey-c']);
    expect(cursor).toBeNull();
    const all = await t.http().get('/customers').expect(200);
    expect(all.body.items.map((o: { customerId: string }) => o.customerId)).toEqual(seen);
    expect(all.body.nextCursor).toBeNull();
  });

  it('reports the customer_overview projection with its position, lag and rate', async () => {
    const last = await command(t, 'post', `/customers/${ID}/interactions`, interaction('i-status'), 201);
    await overview(last.position!);
    const res = await t.http().get('/projections').expect(200);
    const status = (res.body.projections as Record<string, unknown>[]).find((p) => p.name === 'customer_overview');
    expect(status).toMatchObject({ position: last.position, lagEvents: 0, lagSeconds: 0, lastError: null });
    expect(typeof status!.rate).toBe('number');
    expect(status!.rate as number).toBeGreaterThanOrEqual(0);
  });
});

describe('optimistic concurrency with If-Match', () => {
  it('accepts a command at the version the caller read', async () => {
    const { version } = (await t.http().get(`/customers/${ID}/state`).expect(200)).body as { version: number };
    const answer = await command(t, 'patch', `/customers/${ID}`, { language: 'en' }, 200, { 'If-Match': `"${version}"` });
    expect(answer.version).toBe(version + 1);
  });

  it('answers 409 for a stale version and writes nothing', async () => {
    const events = (await t.http().get(`/customers/${ID}/events?limit=1000`)).body.events as RecordedEvent[];
    const stale = events.length - 1;
    const before = await t.eventCount();
    const res = await t.http().patch(`/customers/${ID}`).set('If-Match', String(stale)).send({ language: 'de' }).expect(409);
    expect(res.body).toMatchObject({ statusCode: 409, rule: 'version.expected', expectedVersion: stale, actualVersion: events.length });
    expect(await t.eventCount()).toBe(before);
    const state = await t.http().get(`/customers/${ID}/state`).expect(200);
    expect(state.body.state.profile.language).toBe('en');
  });
});
