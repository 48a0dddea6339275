import { randomUUID } from 'node:crypto';
import { CUSTOMER_STREAM_PREFIX, customerStreamId, decide, evolve, initialState, riskAlertDecider, riskAlertStreamId, type CustomerCommand, type IssueRiskAlert } from '../../../../libs/domain/src';
import { handleCommand, PostgresEventStore } from '../../../../libs/event-store/src';
import { Projector } from '../../../../libs/projection-engine/src';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../../../../libs/touchpoints/src';
import { touchpointsProjection } from '../../../../projections/touchpoints/touchpoints.projection';
import { writeScenario } from '../../../../test/support/scenario';
import { allEventsVisible, createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { streamEventOf } from '../../../../libs/touchpoints/src';
import { touchpointFactsOf, TouchpointSchedules } from './touchpoint-schedule';

/*
 * A completion is decided against the schedule the write side computes from the customer's stream; clients pick
 * touchpoints from the touchpoints read model. The two must agree on every id and status, or a client would be
 * refused a touchpoint it sees open (or allowed one it sees cancelled). The facts fold exists on both sides.
 */
let database: TestDatabase;
let store: PostgresEventStore;
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'agent-3', role: 'agent' }, source: 'api' };

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresEventStore({ connectionString: database.url, max: 12 });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  await database.drop();
});

it('gives every customer the ids and statuses the touchpoints read model shows', async () => {
  const projector = new Projector(store.pool, store, [touchpointsProjection(DEFAULT_TOUCHPOINT_CONFIG)], { batchSize: 250, pollIntervalMs: 20 });
  await projector.migrate();
  await writeScenario(store, 1_500, { seed: 11 });
  const alert: IssueRiskAlert = { type: 'IssueRiskAlert', data: { alertId: 'ra-1', country: 'GR', from: '2023-01-01', to: '2024-12-31', severity: 'high', message: 'Storms' }, occurredAt: '2023-03-01T06:00:00Z' };
  await handleCommand(store, riskAlertStreamId('ra-1'), riskAlertDecider, alert, { metadata, newId: randomUUID });
  await allEventsVisible(store.pool);
  await projector.catchUp('touchpoints');
  const open = await store.pool.query<{ touchpoint_id: string; customer_id: string }>(`SELECT touchpoint_id, customer_id FROM read_models.touchpoints WHERE status = 'open' ORDER BY touchpoint_id LIMIT 5`);
  for (const row of open.rows) {
    const complete = { type: 'CompleteTouchpoint', customerId: row.customer_id, data: { touchpointId: row.touchpoint_id, outcome: 'done' }, occurredAt: '2024-06-01T10:00:00Z' } as CustomerCommand;
    await handleCommand(store, customerStreamId(row.customer_id), { decide, evolve, initialState }, complete, { metadata, newId: randomUUID });
  }
  await allEventsVisible(store.pool);
  await projector.catchUp('touchpoints');

  const schedules = new TouchpointSchedules(store.pool, DEFAULT_TOUCHPOINT_CONFIG);
  const { rows } = await store.pool.query<{ customer_id: string; touchpoint_id: string; status: string }>('SELECT customer_id, touchpoint_id, status FROM read_models.touchpoints ORDER BY customer_id, touchpoint_id');
  const customers = [...new Set(rows.map((r) => r.customer_id))];
  const written: string[] = [];
  for (const customerId of customers) {
    const schedule = await schedules.of(touchpointFactsOf(customerId, (await store.readStream(`${CUSTOMER_STREAM_PREFIX}${customerId}`)).map(streamEventOf)));
    for (const [touchpointId, { status }] of schedule) written.push(`${customerId} ${touchpointId} ${status}`);
  }
  const read = rows.map((r) => `${r.customer_id} ${r.touchpoint_id} ${r.status}`);
  expect(new Set(read.map((r) => r.split(' ')[2]))).toEqual(new Set(['open', 'done', 'skipped', 'cancelled']));
  expect(read.some((r) => r.includes(' done'))).toBe(true);
  expect(written.sort()).toEqual(read.sort());
}, 120_000);
