import { randomUUID } from 'node:crypto';
import { customerStreamId, decide, evolve, initialState, riskAlertDecider, riskAlertStreamId, type CustomerCommand, type IssueRiskAlert } from '../../libs/domain/src';
import { handleCommand, PostgresEventStore } from '../../libs/event-store/src';
import { migrate } from '../../libs/postgres/src';
import { Projector } from '../../libs/projection-engine/src';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../../libs/touchpoints/src';
import { writeScenario } from '../../test/support/scenario';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { TOUCHPOINT_MIGRATIONS } from './touchpoints.migrations';
import { touchpointsProjection } from './touchpoints.projection';

let database: TestDatabase;
let store: PostgresEventStore;
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'agent-3', role: 'agent' }, source: 'api' };

beforeEach(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 12 });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

const projector = (log?: (line: string) => void): Projector =>
  new Projector(store.pool, store, [touchpointsProjection(DEFAULT_TOUCHPOINT_CONFIG)], { batchSize: 250, pollIntervalMs: 20, log });
/** The touchpoint tables' indexes and the constraints on them (a rebuild's primary key is a constraint again). */
const indexes = async (): Promise<unknown[]> =>
  (
    await store.pool.query(
      `SELECT indexname::text AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = 'read_models' AND tablename LIKE 'touchpoint%'
       UNION ALL
       SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'read_models'::regnamespace AND conrelid::regclass::text LIKE 'read_models.touchpoint%' AND contype <> 'n'
       ORDER BY 1, 2`,
    )
  ).rows;
/** Each customer's facts document and campaign arms (in order, with the ordinals they are stored under). */
const storedFacts = async (): Promise<{ customer_id: string; facts: { campaigns?: unknown; consent?: unknown[] }; campaigns: unknown[]; ordinals: number[] }[]> =>
  (
    await store.pool.query(
      `SELECT f.customer_id, f.facts, coalesce(json_agg(a.assignment ORDER BY a.ordinal) FILTER (WHERE a.ordinal IS NOT NULL), '[]') AS campaigns,
              coalesce(array_agg(a.ordinal ORDER BY a.ordinal) FILTER (WHERE a.ordinal IS NOT NULL), '{}') AS ordinals
         FROM read_models.touchpoint_facts f LEFT JOIN read_models.touchpoint_campaign_arms a USING (customer_id) GROUP BY f.customer_id, f.facts::text ORDER BY f.customer_id`,
    )
  ).rows;
const snapshot = async (): Promise<unknown[]> => JSON.parse(JSON.stringify((await store.pool.query('SELECT * FROM read_models.touchpoints ORDER BY touchpoint_id')).rows)) as unknown[];

describe('the touchpoints projection', () => {
  it('keeps the facts that migrations 4 and 6 find, their campaign assignments moved to rows of their own in order', async () => {
    await migrate(store.pool, 'projection:touchpoints', TOUCHPOINT_MIGRATIONS.filter((migration) => migration.version < 4));
    const assignment = (campaignId: string): object => ({ campaignId, arm: 'treatment', assignedAt: '2026-03-02T09:00:00.000Z', channel: 'sms', contentHints: ['deal'], sendWindow: { from: '2026-03-02T09:00:00.000Z', until: '2026-03-09T09:00:00.000Z' } });
    const documents = [
      { customerId: 'c-1', registeredAt: '2026-01-01T00:00:00.000Z', bookings: [], campaigns: [assignment('cmp-b'), assignment('cmp-a'), assignment('cmp-c')] },
      { customerId: 'c-2', registeredAt: '2026-01-01T00:00:00.000Z', bookings: [] },
    ];
    for (const facts of documents) await store.pool.query('INSERT INTO read_models.touchpoint_facts (customer_id, facts) VALUES ($1, $2)', [facts.customerId, facts]);
    await projector().migrate();
    expect(await storedFacts()).toEqual([
      { customer_id: 'c-1', facts: { customerId: 'c-1', registeredAt: '2026-01-01T00:00:00.000Z', bookings: [] }, campaigns: ['cmp-b', 'cmp-a', 'cmp-c'].map(assignment), ordinals: [1, 2, 3] },
      { customer_id: 'c-2', facts: documents[1], campaigns: [], ordinals: [] },
    ]);
  });

  it('computes the schedule from events alone: a rebuild yields identical rows (ids, instants, statuses)', async () => {
    const live = projector();
    await live.migrate();
    await writeScenario(store, 2_000, { seed: 5 });
    // A risk alert for the scenario's destination and a few completions, so every kind of row is there.
    const alert: IssueRiskAlert = { type: 'IssueRiskAlert', data: { alertId: 'ra-1', country: 'GR', from: '2023-01-01', to: '2024-12-31', severity: 'high', message: 'Storms' }, occurredAt: '2023-03-01T06:00:00Z' };
    await handleCommand(store, riskAlertStreamId('ra-1'), riskAlertDecider, alert, { metadata, newId: randomUUID });
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const open = await store.pool.query<{ touchpoint_id: string; customer_id: string }>(`SELECT touchpoint_id, customer_id FROM read_models.touchpoints WHERE status = 'open' ORDER BY touchpoint_id LIMIT 5`);
    for (const row of open.rows) {
      const complete = { type: 'CompleteTouchpoint', customerId: row.customer_id, data: { touchpointId: row.touchpoint_id, outcome: 'done', note: 'called' }, occurredAt: '2024-06-01T10:00:00Z' } as CustomerCommand;
      await handleCommand(store, customerStreamId(row.customer_id), { decide, evolve, initialState }, complete, { metadata, newId: randomUUID });
    }
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const rows = await snapshot();
    const statuses = new Set(rows.map((r) => (r as { status: string }).status));
    expect(rows.length).toBeGreaterThan(1_000);
    expect([...statuses].sort()).toEqual(expect.arrayContaining(['cancelled', 'done', 'open']));
    expect(rows.filter((r) => (r as { kind: string }).kind === 'risk-notice').length).toBeGreaterThan(0);
    expect(rows.filter((r) => (r as { completed_by: string | null }).completed_by === 'agent-3')).toHaveLength(5);
    const indexed = await indexes();

    // The rebuild goes in bulk (facts first, each schedule once, the indexes after, but for the partial one on campaigns,
    // kept all along) and gives the same rows and indexes.
    const lines: string[] = [];
    await projector((line) => lines.push(line)).rebuild('touchpoints');
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/build finishing in bulk: (\d+) of \1 done/), expect.stringMatching(/build made 4 indexes/)]));
    expect(await snapshot()).toEqual(rows);
    expect(await indexes()).toEqual(indexed);

    // The live projection goes on from the rows the bulk build made: a second alert and more completions change
    // exactly what they would have changed on rows it made itself.
    const second: IssueRiskAlert = { type: 'IssueRiskAlert', data: { alertId: 'ra-3', country: 'GR', from: '2024-01-01', to: '2026-12-31', severity: 'medium', message: 'Strikes' }, occurredAt: '2024-07-01T06:00:00Z' };
    await handleCommand(store, riskAlertStreamId('ra-3'), riskAlertDecider, second, { metadata, newId: randomUUID });
    const more = await store.pool.query<{ touchpoint_id: string; customer_id: string }>(`SELECT touchpoint_id, customer_id FROM read_models.touchpoints WHERE status = 'open' ORDER BY touchpoint_id DESC LIMIT 3`);
    for (const row of more.rows) {
      const complete = { type: 'CompleteTouchpoint', customerId: row.customer_id, data: { touchpointId: row.touchpoint_id, outcome: 'no-answer' }, occurredAt: '2024-07-02T10:00:00Z' } as CustomerCommand;
      await handleCommand(store, customerStreamId(row.customer_id), { decide, evolve, initialState }, complete, { metadata, newId: randomUUID });
    }
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const after = await snapshot();
    expect(after).not.toEqual(rows);
    await projector().rebuild('touchpoints');
    expect(await snapshot()).toEqual(after);
  }, 120_000);

  it('builds again batch by batch when the bulk build cannot finish, and gives the same rows', async () => {
    const live = projector();
    await live.migrate();
    await writeScenario(store, 400, { seed: 8 });
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const rows = await snapshot();
    const indexed = await indexes();
    const projection = touchpointsProjection(DEFAULT_TOUCHPOINT_CONFIG);
    const failing = { ...projection, bulk: { ...projection.bulk!, finish: () => Promise.reject(new Error('a schedule that throws')) } };
    const lines: string[] = [];
    await new Projector(store.pool, store, [failing], { batchSize: 250, log: (line) => lines.push(line) }).rebuild('touchpoints');
    expect(lines).toContainEqual(expect.stringMatching(/the bulk build could not finish \(a schedule that throws\); building again batch by batch/));
    expect(await snapshot()).toEqual(rows);
    expect(await indexes()).toEqual(indexed);
  }, 120_000);

  it('applied in batches of a few events, with alerts and completions between them, gives the rows of a rebuild', async () => {
    const live = new Projector(store.pool, store, [touchpointsProjection(DEFAULT_TOUCHPOINT_CONFIG)], { batchSize: 7, pollIntervalMs: 20 });
    await live.migrate();
    await writeScenario(store, 300, { seed: 11 });
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    // An alert that concerns bookings already scheduled, a completion, and more of the scenario after them.
    const alert: IssueRiskAlert = { type: 'IssueRiskAlert', data: { alertId: 'ra-2', country: 'GR', from: '2023-01-01', to: '2024-12-31', severity: 'high', message: 'Fires' }, occurredAt: '2023-06-01T06:00:00Z' };
    await handleCommand(store, riskAlertStreamId('ra-2'), riskAlertDecider, alert, { metadata, newId: randomUUID });
    const open = await store.pool.query<{ touchpoint_id: string; customer_id: string }>(`SELECT touchpoint_id, customer_id FROM read_models.touchpoints WHERE status = 'open' ORDER BY touchpoint_id LIMIT 3`);
    for (const row of open.rows) {
      const complete = { type: 'CompleteTouchpoint', customerId: row.customer_id, data: { touchpointId: row.touchpoint_id, outcome: 'done' }, occurredAt: '2024-06-01T10:00:00Z' } as CustomerCommand;
      await handleCommand(store, customerStreamId(row.customer_id), { decide, evolve, initialState }, complete, { metadata, newId: randomUUID });
    }
    await writeScenario(store, 300, { seed: 12, prefix: 'later' });
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const rows = await snapshot();
    expect(rows.filter((r) => (r as { kind: string }).kind === 'risk-notice').length).toBeGreaterThan(0);
    expect(rows.filter((r) => (r as { status: string }).status === 'done').length).toBeGreaterThanOrEqual(3);

    await projector().rebuild('touchpoints');
    expect(await snapshot()).toEqual(rows);
  }, 120_000);

  it("writes only the rows a customer's new booking changes, not the customer's whole schedule", async () => {
    const live = projector();
    await live.migrate();
    const customer = { decide, evolve, initialState };
    const send = (type: CustomerCommand['type'], data: object, occurredAt: string) =>
      handleCommand(store, customerStreamId('busy'), customer, { type, customerId: 'busy', data, occurredAt } as CustomerCommand, { metadata, newId: randomUUID });
    await send('RegisterCustomer', { name: 'Busy', timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'email', marketingConsent: true, tags: [] }, '2024-01-01T09:00:00Z');
    const book = (i: number) => {
      const departure = new Date(Date.UTC(2025, 0, 1) + i * 30 * 86_400_000).toISOString().slice(0, 10);
      const back = new Date(Date.UTC(2025, 0, 8) + i * 30 * 86_400_000).toISOString().slice(0, 10);
      return send('BookTrip', { bookingId: `b-${i}`, destination: { country: 'GR', city: 'Chania' }, departureDate: departure, returnDate: back, amount: { value: 100_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' }, `2024-02-${String(1 + i).padStart(2, '0')}T09:00:00Z`);
    };
    for (let i = 0; i < 20; i++) await book(i);
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const versions = async () => new Map((await store.pool.query<{ touchpoint_id: string; xmin: string }>(`SELECT touchpoint_id, xmin::text FROM read_models.touchpoints WHERE customer_id = 'busy'`)).rows.map((r) => [r.touchpoint_id, r.xmin]));
    const before = await versions();
    expect(before.size).toBeGreaterThanOrEqual(20 * 8);

    await book(20);
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const after = await versions();
    const written = [...after].filter(([id, xmin]) => before.get(id) !== xmin);
    // The new trip's own rows, and at most a few more (a lifecycle moment such as the birthday horizon).
    expect(after.size).toBeGreaterThan(before.size);
    expect(written.length).toBeLessThanOrEqual(after.size - before.size + 3);

    const rows = await snapshot();
    await projector().rebuild('touchpoints');
    expect(await snapshot()).toEqual(rows);
  }, 120_000);

  it('adds a launch\'s sends to customers with rows without their whole schedules, and gives the rows of a rebuild', async () => {
    const live = projector();
    await live.migrate();
    await writeScenario(store, 1_500, { seed: 21 });
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const ids = (await store.pool.query<{ customer_id: string }>('SELECT customer_id FROM read_models.touchpoint_facts ORDER BY customer_id')).rows.map((r) => r.customer_id);
    const assign = (campaignId: string, at: string, customers: string[], arm: (i: number) => 'treatment' | 'control') =>
      store.appendBatch(
        customers.map((customerId, i) => ({
          streamId: customerStreamId(customerId),
          expectedVersion: 'stream_exists' as const,
          events: [{ eventId: randomUUID(), type: 'CampaignArmAssigned', occurredAt: at, metadata: { ...metadata, schemaVersion: 1 }, data: { campaignId, arm: arm(i), channel: 'sms', contentHints: ['deal'], sendWindow: { from: at, until: new Date(Date.parse(at) + 7 * 86_400_000).toISOString() } } }],
        })),
      );
    // A launch after every fact (each customer's only event in its batch: the sends are added as they are), and one in
    // the middle of the scenario's years (the assignment is not the latest fact: whole schedules).
    await assign('cmp-late', '2030-03-02T09:00:00.000Z', ids, (i) => (i % 10 === 0 ? 'control' : 'treatment'));
    await assign('cmp-mid', '2023-09-01T09:00:00.000Z', ids.filter((_, i) => i % 3 === 0), () => 'treatment');
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    // One more an hour after cmp-late's sends: an open one meets the cap (one marketing touchpoint a day) and moves
    // to the next day, which the table's latest marketing due shows; a skipped one (no consent) needs no lookup.
    await assign('cmp-same-day', '2030-03-02T10:00:00.000Z', ids, () => 'treatment');
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const sends = await store.pool.query<{ campaign_id: string; n: number }>(`SELECT campaign_id, count(*)::int AS n FROM read_models.touchpoints WHERE kind = 'campaign' GROUP BY campaign_id ORDER BY campaign_id`);
    expect(sends.rows).toEqual([
      { campaign_id: 'cmp-late', n: ids.filter((_, i) => i % 10 !== 0).length },
      { campaign_id: 'cmp-mid', n: ids.filter((_, i) => i % 3 === 0).length },
      { campaign_id: 'cmp-same-day', n: ids.length },
    ]);
    const sameDay = await store.pool.query<{ status: string; moved: boolean; n: number }>(
      `SELECT status, coalesce(reason, '') LIKE '%frequency cap%' AS moved, count(*)::int AS n FROM read_models.touchpoints WHERE campaign_id = 'cmp-same-day' GROUP BY 1, 2`,
    );
    expect(sameDay.rows.filter((row) => row.status === 'open' && row.moved).length).toBe(1);
    expect(sameDay.rows.filter((row) => row.status === 'skipped').length).toBeGreaterThan(0);
    // A fact after the launches for every fifth customer, each in a batch of its own (a rewrite of a document
    // whose customer has campaigns, not a copy of a new one): the assignments stay.
    for (const customerId of ids.filter((_, i) => i % 5 === 0)) {
      await store.appendBatch([
        {
          streamId: customerStreamId(customerId),
          expectedVersion: 'stream_exists',
          events: [{ eventId: randomUUID(), type: 'MarketingConsentChanged', occurredAt: '2030-03-03T09:00:00.000Z', metadata: { ...metadata, schemaVersion: 1 }, data: { granted: false } }],
        },
      ]);
    }
    await allEventsVisible(store.pool);
    await live.catchUp('touchpoints');
    const rows = await snapshot();
    // The launch's assignments were appended to the stored ones, the documents left as they were: the same facts a
    // fold of the log gives.
    const stored = await storedFacts();
    expect(stored.filter((row) => row.campaigns.length > 0)).toHaveLength(ids.length);
    expect(stored.filter((row) => row.ordinals.some((ordinal, i) => ordinal !== i + 1))).toEqual([]);
    expect(stored.filter((row) => row.facts.consent?.length === 2)).toHaveLength(ids.filter((_, i) => i % 5 === 0).length);
    expect(stored.filter((row) => row.facts.campaigns !== undefined)).toEqual([]);
    // Rebuilt in one batch, every customer's events together: whole schedules only.
    await new Projector(store.pool, store, [touchpointsProjection(DEFAULT_TOUCHPOINT_CONFIG)], { batchSize: 100_000, pollIntervalMs: 20 }).rebuild('touchpoints');
    expect(await snapshot()).toEqual(rows);
    expect(await storedFacts()).toEqual(stored);
  }, 120_000);
});
