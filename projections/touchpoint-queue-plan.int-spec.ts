/*
 * The work queue pages by due time (touchpointQueue): every filter it takes must walk an index, not scan and sort the
 * whole table. Without a status it did (1.1 s for a page of 50 over 300,000 rows) until migration 3.
 */
import { Pool } from 'pg';
import { migrate } from '../libs/postgres/src';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { CAMPAIGNS_MIGRATIONS } from './campaigns/campaigns.migrations';
import { CUSTOMER_OVERVIEW_MIGRATIONS } from './customer-overview/customer-overview.migrations';
import { TOUCHPOINT_MIGRATIONS } from './touchpoints/touchpoints.migrations';
import { touchpointQueue, type QueueQuery } from './touchpoints/touchpoints.queries';

let database: TestDatabase;
let pool: Pool;
/** The plans of the queue's statements, run as they are with EXPLAIN ANALYZE. */
const plans: string[] = [];
const explaining = {
  query: async (text: string, values: unknown[]) => {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${text}`, values);
    plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
    return pool.query(text, values);
  },
} as unknown as Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url });
  await migrate(pool, 'projection:touchpoints', TOUCHPOINT_MIGRATIONS);
  await migrate(pool, 'projection:customer_overview', CUSTOMER_OVERVIEW_MIGRATIONS);
  await migrate(pool, 'projection:campaigns', CAMPAIGNS_MIGRATIONS);
  // In transactions of 20,000 rows: one long write would hold every log reader of the test server back meanwhile.
  for (let from = 1; from <= 100_000; from += 20_000) {
    await pool.query(
      `INSERT INTO read_models.touchpoints (touchpoint_id, customer_id, kind, phase, due_at, channel, language, urgent, marketing, status, content_hints)
       SELECT 'tp_' || md5(i::text), 'c-' || (i % 20000), 'nps-survey', 'post-trip', timestamptz '2020-01-01' + (i % 2000) * interval '1 day' + (i % 86400) * interval '1 second',
              'email', 'en', false, false, (ARRAY['open', 'done', 'skipped', 'cancelled', 'done'])[1 + i % 5], '{}'
         FROM generate_series($1::int, $1::int + 19999) i`,
      [from],
    );
  }
  await pool.query('ANALYZE read_models.touchpoints');
}, 120_000);
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const asOf = '2023-01-01T00:00:00Z';
it.each<[string, Partial<QueueQuery>]>([
  ['open', { status: 'open' }],
  ['overdue', { status: 'overdue' }],
  ['done', { status: 'done' }],
  ['any status', {}],
  ['any status due in a window', { dueAfter: '2021-03-01T00:00:00Z', dueBefore: '2021-03-08T00:00:00Z' }],
])('the queue of %s walks an index, its first page and the next', async (_, filter) => {
  plans.length = 0;
  const first = await touchpointQueue(explaining, { asOf, limit: 50, ...filter });
  expect(first.nextCursor).not.toBeNull();
  await touchpointQueue(explaining, { asOf, limit: 50, ...filter, cursor: first.nextCursor! });
  expect(plans).toHaveLength(2);
  for (const plan of plans) {
    expect(plan).toMatch(/Index Scan using touchpoints_\w+ on touchpoints t/);
    expect(plan).not.toMatch(/Seq Scan on touchpoints/);
  }
});
