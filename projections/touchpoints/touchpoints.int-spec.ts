import { randomUUID } from 'node:crypto';
import { customerStreamId, decide, evolve, initialState, riskAlertDecider, riskAlertStreamId, type CustomerCommand, type IssueRiskAlert } from '../../libs/domain/src';
import { handleCommand, PostgresEventStore } from '../../libs/event-store/src';
import { Projector } from '../../libs/projection-engine/src';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../../libs/touchpoints/src';
import { writeScenario } from '../../test/support/scenario';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../test/support/test-database';
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

const projector = (): Projector => new Projector(store.pool, store, [touchpointsProjection(DEFAULT_TOUCHPOINT_CONFIG)], { batchSize: 250, pollIntervalMs: 20 });
const snapshot = async (): Promise<unknown[]> => JSON.parse(JSON.stringify((await store.pool.query('SELECT * FROM read_models.touchpoints ORDER BY touchpoint_id')).rows)) as unknown[];

describe('the touchpoints projection', () => {
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

    await projector().rebuild('touchpoints');
    expect(await snapshot()).toEqual(rows);
  }, 120_000);
});
