/*
 * The segment schedule evaluates after the facts change. segment_facts passes every event of the log, its
 * evaluations' own SegmentsEvaluated included, so an idle engine took its last evaluation's record for a change and
 * evaluated again at every poll, each time appending another event.
 */
import { randomUUID } from 'node:crypto';
import { customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../libs/domain/src';
import { PostgresEventStore, handleCommand } from '../../libs/event-store/src';
import { Projector } from '../../libs/projection-engine/src';
import { segmentConfig } from '../../libs/segments/src';
import { until } from '../../test/support/until';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { segmentFactsProjection } from './segment-facts.projection';
import { runSegmentSchedule } from './segment-schedule';

let database: TestDatabase;
let store: PostgresEventStore;
let projector: Projector;
const running = new AbortController();
let following: Promise<void>;
let scheduling: Promise<void>;
const lines: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 8 });
  await store.migrate();
  projector = new Projector(store.pool, store, [segmentFactsProjection], { batchSize: 250, pollIntervalMs: 20 });
  await projector.migrate();
  following = projector.run(running.signal);
}, 60_000);
afterAll(async () => {
  running.abort();
  await Promise.all([following, scheduling]);
  await store.close();
  await database.drop();
});

const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'schedule-test', role: 'system' }, source: 'system' };
const register = (customerId: string): Promise<unknown> =>
  handleCommand(
    store,
    customerStreamId(customerId),
    { decide, evolve, initialState },
    { type: 'RegisterCustomer', customerId, data: { name: 'Ana Test', timeZone: 'Europe/Madrid', language: 'es', preferredChannel: 'email', marketingConsent: true, tags: [] }, occurredAt: '2026-01-10T10:00:00Z' } as CustomerCommand,
    { metadata, newId: randomUUID },
  );
const evaluations = async (): Promise<{ trigger: string; customers: number }[]> =>
  (await store.pool.query<{ trigger: string; customers: number }>('SELECT trigger, customers FROM read_models.segment_evaluations ORDER BY evaluation_id')).rows;
const recorded = async (): Promise<number> =>
  Number((await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM event_store.events WHERE type = 'SegmentsEvaluated'`)).rows[0].n);
/** Long enough for the projector to pass the last record and for the schedule to poll 30 times more. */
const idle = (): Promise<void> => new Promise((done) => setTimeout(done, 1_500));

it('evaluates once after new facts, and not again while the log holds only its own records', async () => {
  await register('s1');
  scheduling = runSegmentSchedule(store.pool, store, segmentConfig(), { intervalMs: 3_600_000, pollMs: 50, log: (line) => lines.push(line) }, running.signal);
  await until('the first evaluation', async () => (await evaluations()).length === 1, 20_000);
  await idle();
  // The first one comes on the schedule: with no evaluation yet, one is due at once.
  expect(await evaluations()).toEqual([{ trigger: 'schedule', customers: 1 }]);
  expect(await recorded()).toBe(1);

  await register('s2');
  await until('an evaluation after the new customer', async () => (await evaluations()).length === 2, 20_000);
  await idle();
  // Before: one evaluation a poll, each recorded in the log (lines: "segments evaluated ... (events): 1 customers, 0 entered").
  expect({ evaluations: await evaluations(), recorded: await recorded() }).toEqual({
    evaluations: [
      { trigger: 'schedule', customers: 1 },
      { trigger: 'events', customers: 2 },
    ],
    recorded: 2,
  });
  expect(lines.filter((line) => line.startsWith('segments evaluated'))).toHaveLength(2);
}, 60_000);
