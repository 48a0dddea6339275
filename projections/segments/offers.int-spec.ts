/* Next-trip offers read from segment_facts as of an instant, on real PostgreSQL; the scores are worked out by hand. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../libs/domain/src';
import { PostgresEventStore, handleCommand } from '../../libs/event-store/src';
import { Projector } from '../../libs/projection-engine/src';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { until } from '../../test/support/until';
import { OfferModels, offersFor, offersForAll, tripFacts } from './offers.queries';
import { segmentFactsProjection } from './segment-facts.projection';

let database: TestDatabase;
let store: PostgresEventStore;
let projector: Projector;

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 6 });
  await store.migrate();
  projector = new Projector(store.pool, store, [segmentFactsProjection], { batchSize: 250, pollIntervalMs: 20 });
  await projector.migrate();
  // a and b went Antalya -> Crete, c Antalya -> Rome; d booked Paris and cancelled; x went to Antalya, then booked
  // Crete for a departure after the instants asked about. All in May, for two, at 1,000.00 EUR.
  await run('a', [trip('a1', 'TR', 'Antalya', '2023-05-01'), trip('a2', 'GR', 'Crete', '2024-05-01')]);
  await run('b', [trip('b1', 'TR', 'Antalya', '2023-05-02'), trip('b2', 'GR', 'Crete', '2024-05-02')]);
  await run('c', [trip('c1', 'TR', 'Antalya', '2023-05-03'), trip('c2', 'IT', 'Rome', '2024-05-03')]);
  await run('d', [trip('d1', 'FR', 'Paris', '2024-05-04'), ['CancelBooking', { bookingId: 'd1', reason: 'ill' }, '2024-04-01T10:00:00Z']]);
  await run('x', [trip('x1', 'TR', 'Antalya', '2024-05-05'), trip('x2', 'GR', 'Crete', '2025-08-01')]);
  // y's trip departs in March 2025 and is repriced in April: after every instant the figures below are as of.
  await run('y', [trip('y1', 'NO', 'Oslo', '2025-03-01'), ['AmendBooking', { bookingId: 'y1', amount: { value: 150_000, currency: 'EUR' } }, '2025-04-01T10:00:00Z']]);
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

const decider = { decide, evolve, initialState };
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'offers-test', role: 'system' }, source: 'system' };
type Step = [CustomerCommand['type'], object, string];

const trip = (bookingId: string, country: string, city: string, departureDate: string): Step => [
  'BookTrip',
  { bookingId, destination: { country, city }, departureDate, returnDate: departureDate, amount: { value: 100_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' },
  '2023-01-01T10:00:00Z',
];

async function run(customerId: string, steps: Step[]): Promise<void> {
  const register: Step = ['RegisterCustomer', { name: 'Test', timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'email', marketingConsent: true, tags: [] }, '2022-01-01T10:00:00Z'];
  for (const [type, data, occurredAt] of [register, ...steps]) {
    await handleCommand(store, customerStreamId(customerId), decider, { type, customerId, data, occurredAt } as CustomerCommand, { metadata, newId: randomUUID });
  }
  await allEventsVisible(store.pool);
  await projector.catchUp('segment_facts');
}

it('keeps each booking’s destination city', async () => {
  const { rows } = await store.pool.query(`SELECT booking_id, destination_country, destination_city FROM read_models.segment_facts_bookings WHERE customer_id = 'a' ORDER BY 1`);
  expect(rows).toEqual([
    { booking_id: 'a1', destination_country: 'TR', destination_city: 'Antalya' },
    { booking_id: 'a2', destination_country: 'GR', destination_city: 'Crete' },
  ]);
});

it('answers as of an instant from the trips that started before its day, cancelled ones left out', async () => {
  const answers = await offersFor(store.pool, new OfferModels(store.pool), ['x', 'nobody'], '2025-01-01T12:00:00Z', 3, {});
  // Model: a, b, c's 6 trips and x's Antalya (d's cancelled, x's Crete departs later): Antalya 4, Crete 2, Rome 1;
  // Antalya -> Crete 2 of 3 leaving. x: Crete 1 x 2/4 + 0.1 x 2/7 = 0.528571; Rome 1/4 + 0.1 x 1/7 = 0.264286;
  // Antalya (visited) 0.1 x 4/7 x 0.3 = 0.017143.
  expect([...answers.keys()]).toEqual(['x']);
  const x = answers.get('x')!;
  expect(x).toMatchObject({ customerId: 'x', modelDay: '2025-01-01', modelTrips: 7 });
  expect(x.offers.map((o) => [o.destination.city, o.score])).toEqual([
    ['Crete', 0.528571],
    ['Rome', 0.264286],
    ['Antalya', 0.017143],
  ]);
  expect(x.offers[0].reasons[0]).toBe('customers who went to Antalya often went to Crete next (2 of 3)');
});

it('gives the answer that was due at a past instant', async () => {
  // Before 2024-05-01 only the 2023 Antalya trips had started: popularity alone, for everyone.
  const answers = await offersFor(store.pool, new OfferModels(store.pool), ['x'], '2024-01-15T00:00:00Z', 5, {});
  expect(answers.get('x')!.offers).toEqual([
    { destination: { country: 'TR', city: 'Antalya' }, productType: 'package', score: 0.1, basis: 'popular', reasons: ['popular: 3 of 3 trips before 2024-01-15 went to Antalya'] },
  ]);
});

it('scores every customer in one pass, as the single answers do', async () => {
  const all = await offersForAll(store.pool, '2025-01-01T12:00:00Z', 3, {});
  expect([...all.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'x', 'y']);
  const one = await offersFor(store.pool, new OfferModels(store.pool), ['x', 'c'], '2025-01-01T12:00:00Z', 3, {});
  expect(all.get('x')).toEqual(one.get('x')!.offers);
  expect(all.get('c')).toEqual(one.get('c')!.offers);
});

it('reads each trip with the amount that held at the instant', async () => {
  const amountOf = async (asOf: string) => (await tripFacts(store.pool, asOf)).find((t) => t.bookingId === 'y1')?.amount;
  expect(await amountOf('2025-03-01T12:00:00Z')).toBeUndefined(); // departs that day: not before it
  expect(await amountOf('2025-03-15T00:00:00Z')).toBe(100_000);
  expect(await amountOf('2025-05-01T00:00:00Z')).toBe(150_000);
});

it('counts who went where next as the SQL for analysts in docs/read-models.md does', async () => {
  const doc = readFileSync(join(__dirname, '../../docs/read-models.md'), 'utf8');
  const sql = /```sql\n(WITH trips AS \(\n {2}SELECT customer_id, booking_id, departure_date, destination_country[\s\S]*?)```/.exec(doc)![1].replaceAll('2025-07-01', '2025-01-01');
  const { rows } = await store.pool.query<{ from_place: string; to_place: string; went_next: string }>(sql);
  const model = await new OfferModels(store.pool).of('2025-01-01T12:00:00Z');
  const counted = [...model.next].flatMap(([from, to]) => [...to].map(([place, n]) => [from, place, n]));
  expect(rows.map((r) => [r.from_place, r.to_place, Number(r.went_next)])).toEqual([
    ['TR/Antalya', 'GR/Crete', 2],
    ['TR/Antalya', 'IT/Rome', 1],
  ]);
  expect(rows.map((r) => [r.from_place, r.to_place, Number(r.went_next)])).toEqual(expect.arrayContaining(counted));
  expect(counted).toHaveLength(rows.length);
});

it('reads the model once per day, and an expired one answers while the next is read', async () => {
  let now = 0;
  const models = new OfferModels(store.pool, 1000, () => now);
  const first = await models.of('2025-01-01T01:00:00Z');
  expect(await models.of('2025-01-01T23:00:00Z')).toBe(first);
  expect(await models.of('2025-01-02T00:00:00Z')).not.toBe(first);
  now = 1000;
  // Expired: still the first, while the next is read.
  expect(await models.of('2025-01-01T01:00:00Z')).toBe(first);
  await until('the next model is read', async () => (await models.of('2025-01-01T01:00:00Z')) !== first, 5000);
  const second = await models.of('2025-01-01T01:00:00Z');
  expect(second).toEqual(first);
  expect(await models.of('2025-01-01T02:00:00Z')).toBe(second);
});

it('warms a day’s model ahead: the request that follows takes it without reading', async () => {
  const models = new OfferModels(store.pool);
  const read = jest.spyOn(store.pool, 'query');
  models.warm('2025-01-03T00:00:00Z');
  const reads = read.mock.calls.length;
  expect(reads).toBeGreaterThan(0);
  const warmed = await models.of('2025-01-03T00:00:00Z');
  expect(await models.of('2025-01-03T09:30:00Z')).toBe(warmed);
  expect(read.mock.calls.length).toBe(reads);
  read.mockRestore();
});
