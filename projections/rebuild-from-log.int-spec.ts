/*
 * Issue 16, point 4: everything in read_models comes back from the log. Segment evaluations and churn fits and
 * scorings are recorded in engine-schedule streams; after `DROP SCHEMA read_models CASCADE` the next start builds
 * every read model again, redoing each evaluation and scoring on the facts it saw, and every table is as it was.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { churnConfig } from '../libs/churn/src';
import { simulateTransactions } from '../libs/clv/src';
import { campaignDecider, campaignStreamId, CUSTOMER_EVENT_SCHEMAS, customerStreamId, decide, evolve, initialState, parseDefineCampaign, type CampaignCommand, type CustomerCommand } from '../libs/domain/src';
import { EventStoreDecorator, handleCommand, PostgresEventStore, SchemaAwareEventStore, type EventStore, type NewEvent, type RecordedEvent, type StreamAppend } from '../libs/event-store/src';
import { EncryptingEventStore } from '../libs/privacy/src';
import { Projector } from '../libs/projection-engine/src';
import { segmentConfig } from '../libs/segments/src';
import { loadTouchpointConfig } from '../libs/touchpoints/src';
import { writeScenario } from '../test/support/scenario';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { assignAudience } from './campaigns/assign-audience';
import { fitAndRecord, scoreAndRecord } from './churn/churn-recording';
import { type ChurnSettings } from './churn/churn-model';
import { projections } from './index';
import { evaluateAndRecord } from './segments/segment-recording';

let database: TestDatabase;
let pool: Pool;
let log: PostgresEventStore;
let store: EventStore;
const segments = segmentConfig();
const churn: ChurnSettings = { churn: churnConfig(), currency: segments.currency };
const lines: string[] = [];
const projectorOn = (): Projector =>
  new Projector(pool, store, projections({ touchpoints: loadTouchpointConfig(undefined) }), { batchSize: 500, pollIntervalMs: 20, log: (line) => lines.push(line) });

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 12 });
  log = new PostgresEventStore(pool);
  await log.migrate();
  // The store as the engine has it (apps/engine runtime): personal data encrypted, events in their current shape.
  const encrypting = new EncryptingEventStore(log, pool);
  await encrypting.keys.migrate();
  store = new SchemaAwareEventStore(encrypting, CUSTOMER_EVENT_SCHEMAS);
});
afterAll(async () => {
  await log.close();
  await database.drop();
});

/** Every row of every table in read_models but the projector's own bookkeeping, every column. */
async function everyTable(): Promise<Record<string, unknown[]>> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT 'read_models.' || table_name AS name FROM information_schema.tables
      WHERE table_schema = 'read_models' AND table_type = 'BASE TABLE' AND table_name NOT IN ('projection_checkpoints', 'segment_evaluation_failures') ORDER BY 1`,
  );
  const tables: Record<string, unknown[]> = {};
  for (const { name } of rows) tables[name] = (await pool.query(`SELECT * FROM ${name} t ORDER BY t::text`)).rows;
  return JSON.parse(JSON.stringify(tables)) as Record<string, unknown[]>;
}

/** Trips of customers who buy at rates of their own and drop out (a BG/NBD process), through the real decider: a churn model can be fitted on them. */
async function simulatedTravellers(count: number, observationEnd: string): Promise<void> {
  const trips = simulateTransactions('bgnbd', { r: 1.2, alpha: 6, a: 1, b: 3 }, { p: 6, q: 4, v: 800 }, count, { minT: 6, maxT: 30, seed: 7, unit: 'month', observationEnd });
  const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'system' }, source: 'system' };
  const byCustomer = new Map<string, typeof trips>();
  for (const trip of trips) byCustomer.set(`bg-${trip.customerId}`, [...(byCustomer.get(`bg-${trip.customerId}`) ?? []), trip]);
  const day = (at: string, days: number): string => new Date(Date.parse(`${at}T12:00:00Z`) + days * 86_400_000).toISOString();
  await Promise.all(
    [...byCustomer].map(async ([customerId, own]) => {
      const commands: [CustomerCommand['type'], object, string][] = [
        ['RegisterCustomer', { name: 'Traveller', timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'email', marketingConsent: true }, day(own[0].at, -40)],
      ];
      own.forEach((trip, i) => {
        const bookingId = `t${i}`;
        const trip3 = { bookingId, destination: { country: 'PT', city: 'Porto' }, departureDate: day(trip.at, -2).slice(0, 10), returnDate: trip.at, travellers: 1 };
        commands.push(['BookTrip', { ...trip3, amount: { value: Math.round(trip.amount * 100), currency: 'EUR' }, productType: 'package', channel: 'web' }, day(trip.at, -20)]);
        commands.push(['RecordDeparture', { bookingId }, day(trip.at, -2)], ['RecordReturn', { bookingId }, day(trip.at, 0)]);
      });
      for (const [type, data, occurredAt] of commands) {
        await handleCommand(store, customerStreamId(customerId), { decide, evolve, initialState }, { type, customerId, data, occurredAt } as CustomerCommand, { metadata, newId: randomUUID });
      }
    }),
  );
}

/** A campaign defined, launched and assigned (issue 18): its arms are events in the customers' streams, so they come back too. */
async function campaign(campaignId: string, audience: object, at: string): Promise<void> {
  const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'test', role: 'manager' }, source: 'api' };
  const parsed = parseDefineCampaign(
    { campaignId, name: campaignId, audience, channel: 'email', sendWindow: { from: at, until: '2026-01-01T00:00:00Z' }, holdoutShare: 0.2, goal: { kind: 'booking' }, conversionWindowDays: 60 },
    { campaignId, occurredAt: at },
  );
  if (!parsed.ok) throw parsed.error;
  const launch: CampaignCommand = { type: 'LaunchCampaign', data: { campaignId, assignmentKey: 'ab12'.repeat(16) }, occurredAt: at };
  for (const command of [parsed.command, launch]) await handleCommand(store, campaignStreamId(campaignId), campaignDecider, command, { metadata, newId: randomUUID });
  await assignAudience(pool, store, campaignId, { now: () => new Date(at), metadata });
}

async function caughtUp(projector: Projector): Promise<void> {
  await allEventsVisible(pool);
  for (const projection of projector.projections) await projector.catchUp(projection.name);
}

it('drop the read_models schema, start again: every table comes back row for row, history, change feed, scores and churn included', async () => {
  const projector = projectorOn();
  await projector.migrate();
  await simulatedTravellers(150, '2024-07-01');
  await writeScenario(store, 4_000, { seed: 21, prefix: 'a' });
  await caughtUp(projector);
  await evaluateAndRecord(pool, store, segments, { asOf: '2024-01-01T00:00:00Z', trigger: 'schedule' });
  // Facts each later evaluation or scoring sees and the earlier ones did not.
  await writeScenario(store, 3_000, { seed: 22, prefix: 'b' });
  await caughtUp(projector);
  await evaluateAndRecord(pool, store, segments, { asOf: '2024-07-01T00:00:00Z', trigger: 'events' });
  await campaign('win-back', { segments: { match: 'any', keys: ['lifecycle:lapsed', 'lifecycle:at-risk'] }, requireMarketingConsent: false }, '2024-07-02T00:00:00Z');
  await fitAndRecord(pool, store, churn, { cutoff: '2024-07-01T00:00:00Z', trigger: 'schedule', actor: 'schedule' });
  await scoreAndRecord(pool, store, churn, '2024-07-01T00:00:00Z');
  // Partition 3 of both facts read models stopped (as at an event they refused): the next evaluation and scoring see
  // the other partitions' new facts and not partition 3's; a rebuild must redo them on exactly that.
  await pool.query(`UPDATE read_models.projection_checkpoints SET stopped = '{"partition": 3}' WHERE name IN ('segment_facts', 'churn_facts') AND partition = 3`);
  await writeScenario(store, 2_000, { seed: 23, prefix: 'c' });
  await caughtUp(projector);
  await evaluateAndRecord(pool, store, segments, { asOf: '2025-01-01T00:00:00Z', trigger: 'on-demand' });
  await scoreAndRecord(pool, store, churn, '2025-01-01T00:00:00Z');
  const [, , third] = await store.readStream('engine-schedule-segments');
  const stood = third.data.factsCheckpoints as Record<string, string>;
  expect(new Set(Object.values(stood)).size).toBe(2);
  expect(await projector.retry('segment_facts')).toBe(1);
  expect(await projector.retry('churn_facts')).toBe(1);
  await writeScenario(store, 1_000, { seed: 24, prefix: 'd' });
  await caughtUp(projector);
  const before = await everyTable();
  // Not vacuous: the history the schedules wrote is there, with exits, and the churn tables are full.
  expect(before['read_models.segment_evaluations']).toHaveLength(3);
  expect(before['read_models.segment_changes'].length).toBeGreaterThan(500);
  expect(before['read_models.segment_membership_history'].some((row) => (row as { left_at: string | null }).left_at !== null)).toBe(true);
  expect(before['read_models.churn_scorings']).toHaveLength(2);
  expect(before['read_models.churn_risk'].length).toBeGreaterThan(100);
  expect(before['read_models.campaigns']).toHaveLength(1);
  expect(before['read_models.campaign_assignments'].length).toBeGreaterThan(50);
  expect(Object.keys(before)).toEqual(expect.arrayContaining(projector.projections.flatMap((p) => p.tables)));

  await pool.query('DROP SCHEMA read_models CASCADE');
  const restarted = projectorOn();
  await restarted.migrate();
  const stop = new AbortController();
  const running = restarted.run(stop.signal);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = await restarted.status();
    const done = status.every((s) => s.state === 'running' && s.lagEvents === 0 && s.version === restarted.projection(s.name).version);
    if (done && status.length === restarted.projections.length) break;
    if (Date.now() > deadline) throw new Error(`not rebuilt within 120 s: ${JSON.stringify(status.map((s) => [s.name, s.version, s.state, s.lagEvents]))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  stop.abort();
  await running;
  expect(lines).toEqual(expect.arrayContaining([expect.stringContaining('projection segment_facts: empty, and the log records work done on it')]));
  expect(await everyTable()).toEqual(before);
}, 300_000);

/** The store of a process that dies right after its work commits: every append to `stream` fails, as on a lost connection. */
class DiesBeforeAppending extends EventStoreDecorator {
  constructor(
    inner: EventStore,
    private readonly stream: string,
  ) {
    super(inner);
  }

  protected async writing(appends: Pick<StreamAppend, 'streamId' | 'events'>[]): Promise<NewEvent[][]> {
    if (appends.some((append) => append.streamId === this.stream)) throw new Error('Connection terminated unexpectedly');
    return appends.map((append) => append.events);
  }

  protected async reading(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    return events;
  }
}

it('work a process committed and died before appending (a pg stop under load) is appended by the rebuild, not lost by it', async () => {
  const projector = projectorOn();
  await writeScenario(store, 500, { seed: 25, prefix: 'e' });
  await caughtUp(projector);
  const streams = ['engine-schedule-segments', 'engine-schedule-churn'];
  const logged = await Promise.all(streams.map(async (stream) => (await store.readStream(stream)).length));
  await expect(evaluateAndRecord(pool, new DiesBeforeAppending(store, streams[0]), segments, { asOf: '2025-07-01T00:00:00Z', trigger: 'events' })).rejects.toThrow('Connection terminated');
  await expect(scoreAndRecord(pool, new DiesBeforeAppending(store, streams[1]), churn, '2025-07-01T00:00:00Z')).rejects.toThrow('Connection terminated');
  // Committed, and not in the log.
  const before = await everyTable();
  expect(before['read_models.segment_evaluations']).toHaveLength(4);
  expect(before['read_models.churn_scorings']).toHaveLength(3);
  expect(await Promise.all(streams.map(async (stream) => (await store.readStream(stream)).length))).toEqual(logged);

  for (const name of ['segment_facts', 'churn_facts']) await projector.rebuild(name);
  expect(await everyTable()).toEqual(before);
  expect(await Promise.all(streams.map(async (stream) => (await store.readStream(stream)).length))).toEqual(logged.map((n) => n + 1));
}, 120_000);

// A build's tables had no statistics until autovacuum came round: customer_search's delete by customer was planned as
// a scan of the whole table, 3.4 ms a batch with nothing to delete (0.68 s of a 12-s rebuild of 200,000 events).
it('a rebuild analyses the tables it builds as they grow', async () => {
  const projector = projectorOn();
  const { rows: events } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM event_store.events');
  expect(events[0].n).toBeGreaterThan(10_000);
  await projector.rebuild('customer_overview');
  // last_analyze is a manual ANALYZE's, not autovacuum's (last_autoanalyze).
  const { rows } = await pool.query<{ table: string; analysed: boolean }>(
    `SELECT 'read_models.' || relname AS table, last_analyze IS NOT NULL AS analysed FROM pg_stat_user_tables WHERE schemaname = 'read_models' AND relname = ANY($1) ORDER BY 1`,
    [projector.projection('customer_overview').tables.map((table) => table.replace('read_models.', ''))],
  );
  expect(rows).toEqual([...projector.projection('customer_overview').tables].sort().map((table) => ({ table, analysed: true })));
}, 120_000);
