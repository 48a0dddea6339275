import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { customerStreamId, decide, evolve, initialState, type AnyCustomerCommand, type CustomerCommand } from '../../libs/domain/src';
import { PostgresEventStore, handleCommand, type RecordedEvent } from '../../libs/event-store/src';
import { Projector, type Projection } from '../../libs/projection-engine/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { writeScenario } from '../../test/support/scenario';
import { customerOverviewProjection } from './customer-overview.projection';

let database: TestDatabase;
let store: PostgresEventStore;

/** Every row of every table of the projection, in key order: what "identical read models" means. */
const snapshot = async (): Promise<unknown[]> => {
  const tables = await Promise.all(
    customerOverviewProjection.tables.map((table) => store.pool.query(`SELECT * FROM ${table} ORDER BY 1, 2`).then((r) => r.rows)),
  );
  return JSON.parse(JSON.stringify(tables));
};

const allVisible = (): Promise<void> => allEventsVisible(store.pool);

const projectorWith = (projection: Projection): Projector => new Projector(store.pool, store, [projection], { batchSize: 250, pollIntervalMs: 20 });

beforeEach(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 12 });
  await store.migrate();
  await projectorWith(customerOverviewProjection).migrate();
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

it('a rebuild after a 10,000-event scenario yields rows identical to the live-built ones', async () => {
  const projector = projectorWith(customerOverviewProjection);
  const live = new AbortController();
  const running = projector.run(live.signal);
  const { events, lastPosition } = await writeScenario(store, 10_000);
  expect(events).toBeGreaterThanOrEqual(10_000);
  expect(await projector.waitFor(lastPosition, 60_000)).toBe(true);
  live.abort();
  await running;
  // The highest position is not always the last commit: let the same projector finish what it had not seen yet.
  await allVisible();
  await projector.catchUp('customer_overview');
  const liveRows = await snapshot();
  expect((liveRows[0] as unknown[]).length).toBeGreaterThan(400);

  expect(await projector.rebuild('customer_overview')).toBe(events);
  expect(await snapshot()).toEqual(liveRows);
  const [status] = await projector.status();
  expect(status).toMatchObject({ lagEvents: 0, eventsProcessed: events });
}, 180_000);

it('a projector that fails mid-batch and restarts ends equal to a clean rebuild', async () => {
  await writeScenario(store, 2_000, { seed: 7 });
  await allVisible();
  // Fails once, half-way through its third batch, after it has already written rows in that transaction: the
  // connection cut (57P01) as a crash would leave it, not an event refused (which would stop the read model).
  let batches = 0;
  const flaky: Projection = {
    ...customerOverviewProjection,
    async apply(client: PoolClient, events: RecordedEvent[]) {
      batches++;
      if (batches !== 3) return customerOverviewProjection.apply(client, events);
      await customerOverviewProjection.apply(client, events.slice(0, events.length / 2));
      throw Object.assign(new Error('projector crashed mid-batch'), { code: '57P01' });
    },
  };
  await expect(projectorWith(flaky).catchUp('customer_overview')).rejects.toThrow('crashed mid-batch');
  const [stuck] = await projectorWith(flaky).status();
  expect(stuck.eventsProcessed).toBe(500); // two whole batches of 250; the half batch left no trace

  const live = new AbortController();
  const restarted = projectorWith(flaky);
  const running = restarted.run(live.signal);
  const { lastPosition } = await writeScenario(store, 500, { seed: 8, prefix: 'late' });
  expect(await restarted.waitFor(lastPosition, 30_000)).toBe(true);
  live.abort();
  await running;
  await allVisible();
  await restarted.catchUp('customer_overview');
  const afterCrash = await snapshot();

  await projectorWith(customerOverviewProjection).rebuild('customer_overview');
  expect(await snapshot()).toEqual(afterCrash);
}, 120_000);

it('during a rebuild, queries read the old read model whole while the new one is built beside it, and writes made meanwhile are applied after it', async () => {
  await writeScenario(store, 1_500, { seed: 3 });
  await allVisible();
  await projectorWith(customerOverviewProjection).catchUp('customer_overview');
  const before = await snapshot();
  const customers = (before[0] as unknown[]).length;

  // Holds the rebuild inside its second batch until the test has looked at the read model.
  let release!: () => void;
  const gate = new Promise<void>((done) => (release = done));
  let reachedGate!: () => void;
  const atGate = new Promise<void>((done) => (reachedGate = done));
  let batches = 0;
  const paused: Projection = {
    ...customerOverviewProjection,
    async apply(client: PoolClient, events: RecordedEvent[]) {
      if (++batches === 2) {
        reachedGate();
        await gate;
      }
      return customerOverviewProjection.apply(client, events);
    },
  };
  const rebuilding = projectorWith(paused).rebuild('customer_overview');
  await atGate;
  // Half-built, beside the one that serves: queries see the old read model, whole; the build's first batch is in
  // its own schema; the status says it is rebuilding.
  expect(await snapshot()).toEqual(before);
  const { rows: built } = await store.pool.query('SELECT count(*)::int AS n FROM read_models_build_customer_overview.customer_overview');
  expect(built[0].n).toBeGreaterThan(0);
  expect(built[0].n).toBeLessThan(customers);
  const [during] = await projectorWith(customerOverviewProjection).status();
  expect(during).toMatchObject({ state: 'rebuilding', rebuilding: { version: 1, eventsProcessed: 250, percent: expect.any(Number) } });
  const { lastPosition } = await writeScenario(store, 50, { seed: 4, prefix: 'during' });
  release();
  const processed = await rebuilding;
  // What the rebuild's own catch-up could not see yet (other tests' transactions hold the fence), a live
  // projector picks up next; here one more catch-up plays that part.
  await allVisible();
  await projectorWith(customerOverviewProjection).catchUp('customer_overview');

  const [status] = await projectorWith(customerOverviewProjection).status();
  expect(status.lagEvents).toBe(0);
  expect(processed).toBeLessThanOrEqual(status.eventsProcessed);
  expect(processed).toBeGreaterThan(1_500);
  expect(await store.checkpointOf(lastPosition)).not.toBeNull();
  const after = await snapshot();
  expect((after[0] as unknown[]).length).toBeGreaterThan(customers);
  await projectorWith(customerOverviewProjection).rebuild('customer_overview');
  expect(await snapshot()).toEqual(after);
}, 60_000);

it('keeps the latest NPS by when it was given, not by when it was stored', async () => {
  const decider = { decide, evolve, initialState };
  const context = { metadata: { correlationId: 'c', causationId: 'c', actor: { id: 'test', role: 'system' }, source: 'import' }, newId: randomUUID };
  const run = (command: CustomerCommand) => handleCommand(store, customerStreamId('nps-1'), decider, command, context);
  await run({ type: 'RegisterCustomer', customerId: 'nps-1', data: { name: 'N', timeZone: 'UTC', language: 'en', preferredChannel: 'email', marketingConsent: false }, occurredAt: '2024-01-01T00:00:00Z' });
  await run({ type: 'AnswerSurvey', customerId: 'nps-1', data: { surveyId: 's-2', nps: 3 }, occurredAt: '2025-06-01T10:00:00Z' });
  await run({ type: 'AnswerSurvey', customerId: 'nps-1', data: { surveyId: 's-1', nps: 9 }, occurredAt: '2024-03-01T10:00:00Z' });
  await allVisible();
  await projectorWith(customerOverviewProjection).catchUp('customer_overview');
  const { rows } = await store.pool.query(`SELECT last_nps, last_nps_at FROM read_models.customer_overview WHERE customer_id = 'nps-1'`);
  expect(rows).toEqual([{ last_nps: 3, last_nps_at: new Date('2025-06-01T10:00:00Z') }]);
});

it('dates a customer by an event that changes no total (a campaign assignment, a logged interaction) and keeps the totals', async () => {
  const decider = { decide, evolve, initialState };
  const context = { metadata: { correlationId: 'c', causationId: 'c', actor: { id: 'test', role: 'system' }, source: 'import' }, newId: randomUUID };
  const run = (command: CustomerCommand) => handleCommand(store, customerStreamId('dated-1'), decider, command, context);
  await run({ type: 'RegisterCustomer', customerId: 'dated-1', data: { name: 'D', timeZone: 'UTC', language: 'en', preferredChannel: 'email', marketingConsent: true }, occurredAt: '2024-01-01T00:00:00Z' });
  await run({
    type: 'BookTrip',
    customerId: 'dated-1',
    data: { bookingId: 'b1', destination: { country: 'GR', city: 'Chania' }, departureDate: '2024-06-01', returnDate: '2024-06-08', amount: { value: 120_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' },
    occurredAt: '2024-02-01T00:00:00Z',
  });
  await allVisible();
  const projector = projectorWith(customerOverviewProjection);
  await projector.catchUp('customer_overview');
  const row = async () => (await store.pool.query(`SELECT bookings_count, revenue, total_complaints, last_event_at, version FROM read_models.customer_overview WHERE customer_id = 'dated-1'`)).rows[0];
  const before = await row();
  expect(before).toMatchObject({ bookings_count: 1, revenue: { EUR: 120_000 }, version: '2' });

  // A batch of only such events for the customer: the totals stay, the date and the version move.
  await store.appendBatch([
    {
      streamId: customerStreamId('dated-1'),
      expectedVersion: 'stream_exists',
      events: [
        { eventId: randomUUID(), type: 'CampaignArmAssigned', occurredAt: '2026-03-02T09:00:00.000Z', metadata: { ...context.metadata, causationId: 'c', schemaVersion: 1 }, data: { campaignId: 'cmp', arm: 'treatment', channel: 'sms', contentHints: [], sendWindow: { from: '2026-03-02T09:00:00.000Z', until: '2026-03-09T09:00:00.000Z' } } },
      ],
    },
  ]);
  await allVisible();
  await projector.catchUp('customer_overview');
  expect(await row()).toEqual({ ...before, last_event_at: new Date('2026-03-02T09:00:00.000Z'), version: '3' });

  const live = await snapshot();
  await projectorWith(customerOverviewProjection).rebuild('customer_overview');
  expect(await snapshot()).toEqual(live);
});

it('folds every rule into the rows alike, one event a batch or all in one, and keeps the counts of a forgotten customer', async () => {
  const decider = { decide, evolve, initialState };
  const context = { metadata: { correlationId: 'c', causationId: 'c', actor: { id: 'test', role: 'system' }, source: 'import' }, newId: randomUUID };
  let day = 0;
  // ForgetCustomer through decide alone: the data key it also destroys in the engine plays no part in this read model.
  const run = (type: AnyCustomerCommand['type'], data: object) =>
    handleCommand(store, customerStreamId('fold-1'), decider, { type, customerId: 'fold-1', data, occurredAt: `2024-01-${String(++day).padStart(2, '0')}T10:00:00Z` } as AnyCustomerCommand, context);
  const trip = (bookingId: string, departureDate: string, value: number, currency: string) => ({
    bookingId, destination: { country: 'GR', city: 'Chania' }, departureDate, returnDate: departureDate, amount: { value, currency }, travellers: 2, productType: 'package', channel: 'web',
  });
  await run('RegisterCustomer', { name: 'Ada Lovelace', email: 'ada@example.org', timeZone: 'UTC', language: 'en', preferredChannel: 'email', marketingConsent: false });
  await run('BookTrip', trip('b1', '2024-06-01', 100_000, 'EUR'));
  await run('BookTrip', trip('b2', '2024-03-01', 50_000, 'GBP'));
  await run('BookTrip', trip('b3', '2024-09-01', 70_000, 'EUR'));
  await run('AmendBooking', { bookingId: 'b1', amount: { value: 120_000, currency: 'EUR' } });
  await run('CancelBooking', { bookingId: 'b3', reason: 'illness' });
  for (const type of ['RecordDeparture', 'RecordReturn'] as const) await run(type, { bookingId: 'b1' });
  await run('RecordDeparture', { bookingId: 'b2' });
  await run('FileComplaint', { complaintId: 'c1', category: 'room', severity: 'low', channel: 'phone', description: 'noisy' });
  await run('AcknowledgeComplaint', { complaintId: 'c1' });
  await run('FileComplaint', { complaintId: 'c2', category: 'food', severity: 'low', channel: 'phone', description: 'cold' });
  await run('ResolveComplaint', { complaintId: 'c2', resolution: 'refund' });
  await run('AnswerSurvey', { surveyId: 's1', nps: 8 });
  // Given earlier in the world, recorded later: it does not replace the answer above.
  await handleCommand(store, customerStreamId('fold-1'), decider, { type: 'AnswerSurvey', customerId: 'fold-1', data: { surveyId: 's0', nps: 2 }, occurredAt: '2023-12-01T10:00:00Z' }, context);
  await run('GrantVipStatus', { reason: 'loyal' });
  await run('UpdateCustomerProfile', { name: 'Ada King', marketingConsent: true, tags: ['vip'] });
  await allVisible();

  const row = async () => (await store.pool.query(`SELECT * FROM read_models.customer_overview WHERE customer_id = 'fold-1'`)).rows[0];
  await new Projector(store.pool, store, [customerOverviewProjection], { batchSize: 1 }).catchUp('customer_overview');
  expect(await row()).toMatchObject({
    name: 'Ada King', email: 'ada@example.org', marketing_consent: true, tags: ['vip'], vip: true,
    bookings_count: 3, trips_count: 2, cancellations_count: 1, revenue: { EUR: 120_000, GBP: 50_000 },
    first_trip_date: new Date('2024-03-01T00:00:00'), last_trip_date: new Date('2024-06-01T00:00:00'),
    open_complaints: 1, total_complaints: 2, last_nps: 8, last_nps_at: new Date('2024-01-14T10:00:00Z'),
    version: '18',
  });
  const oneByOne = await snapshot();
  await projectorWith(customerOverviewProjection).rebuild('customer_overview');
  expect(await snapshot()).toEqual(oneByOne);

  await run('ForgetCustomer', { reason: 'asked' });
  await allVisible();
  await projectorWith(customerOverviewProjection).catchUp('customer_overview');
  expect(await row()).toMatchObject({ name: '[erased]', email: null, erased: true, bookings_count: 3, revenue: { EUR: 120_000, GBP: 50_000 }, open_complaints: 1 });
  const { rows: terms } = await store.pool.query(`SELECT count(*)::int AS n FROM read_models.customer_search WHERE customer_id = 'fold-1'`);
  expect(terms[0].n).toBe(0);
});
