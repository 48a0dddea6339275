/*
 * The work queue pages by due time (touchpointQueue): every filter it takes must walk an index, not scan and sort the
 * whole table. Without a status it did (1.1 s for a page of 50 over 300,000 rows) until migration 3.
 * And the lookup a campaign launch makes for each batch (latestMarketingDue) reads only its customers' rows, with
 * statistics as old as an empty table's (right after a catch-up) or fresh.
 */
import { Pool } from 'pg';
import { migrate } from '../libs/postgres/src';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { CAMPAIGNS_MIGRATIONS } from './campaigns/campaigns.migrations';
import { CUSTOMER_OVERVIEW_MIGRATIONS } from './customer-overview/customer-overview.migrations';
import { TOUCHPOINT_MIGRATIONS } from './touchpoints/touchpoints.migrations';
import { latestMarketingDue, touchpointCalendar, touchpointQueue, type QueueQuery } from './touchpoints/touchpoints.queries';

let database: TestDatabase;
let pool: Pool;
/** The plans of the queue's statements, run as they are with EXPLAIN ANALYZE. */
const plans: string[] = [];
/** The launch lookup's plan, before the table was first analyzed. */
let staleStatisticsPlan = '';
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
  // Three customers' marketing rows: c-1 an open and a later cancelled one, c-2 a done one, c-3 a skipped one only.
  await pool.query(
    `INSERT INTO read_models.touchpoints (touchpoint_id, customer_id, kind, phase, due_at, channel, language, urgent, marketing, status, content_hints)
     VALUES ('m1', 'c-1', 'campaign', 'marketing', '2024-05-01T10:00:00Z', 'sms', 'en', false, true, 'open', '{}'),
            ('m2', 'c-1', 'campaign', 'marketing', '2024-06-01T10:00:00Z', 'sms', 'en', false, true, 'cancelled', '{}'),
            ('m3', 'c-2', 'campaign', 'marketing', '2024-04-01T10:00:00Z', 'sms', 'en', false, true, 'done', '{}'),
            ('m4', 'c-3', 'campaign', 'marketing', '2024-07-01T10:00:00Z', 'sms', 'en', false, true, 'skipped', '{}')`,
  );
  // A held-out row and two rows due at the same instant, in two statuses, for the queue across statuses.
  await pool.query(
    `INSERT INTO read_models.touchpoints (touchpoint_id, customer_id, kind, phase, due_at, channel, language, urgent, marketing, status, content_hints)
     VALUES ('h1', 'c-9', 'nps-survey', 'post-trip', '2021-03-02T00:00:00Z', 'email', 'en', false, false, 'held-out', '{}'),
            ('tie-a', 'c-9', 'nps-survey', 'post-trip', '2021-03-02T00:00:00Z', 'email', 'en', false, false, 'done', '{}'),
            ('tie-b', 'c-9', 'nps-survey', 'post-trip', '2021-03-02T00:00:00Z', 'email', 'en', false, false, 'open', '{}')`,
  );
  staleStatisticsPlan = await latestMarketingDuePlan();
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

// Migration 7 dropped the index on due_at alone: without a status the queue merges one walk per status. Its pages
// must still be every worked row in due order, ties by id, and nothing held out (h1, tie-a and tie-b, set up above).
it('the queue of any status, page after page, is every row but the held-out ones in due order', async () => {
  const window = { dueAfter: '2021-03-01T00:00:00Z', dueBefore: '2021-03-04T00:00:00Z' };
  const { rows } = await pool.query<{ touchpoint_id: string }>(
    `SELECT touchpoint_id FROM read_models.touchpoints WHERE status <> 'held-out' AND due_at >= $1 AND due_at < $2 ORDER BY due_at, touchpoint_id`,
    [window.dueAfter, window.dueBefore],
  );
  const paged: string[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = await touchpointQueue(pool, { asOf, limit: 7, ...window, ...(cursor && { cursor }) });
    paged.push(...page.items.map((item) => item.touchpointId));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  expect(rows.length).toBeGreaterThan(100);
  expect(rows.map((row) => row.touchpoint_id)).toEqual(expect.arrayContaining(['tie-a', 'tie-b']));
  expect(paged).not.toContain('h1');
  expect(paged).toEqual(rows.map((row) => row.touchpoint_id));
});

it('the calendar of a week reads an index, not the whole table', async () => {
  plans.length = 0;
  const days = await touchpointCalendar(explaining, '2021-03-01T00:00:00Z', '2021-03-08T00:00:00Z');
  expect(days.map((day) => day.day)).toEqual(['2021-03-01', '2021-03-02', '2021-03-03', '2021-03-04', '2021-03-05', '2021-03-06', '2021-03-07']);
  expect(plans[0]).toMatch(/Index (Only )?Scan using touchpoints_\w+ on touchpoints/);
  expect(plans[0]).not.toMatch(/Seq Scan on touchpoints/);
});

/** The plan of the launch lookup for 1,000 customers, as it runs. */
async function latestMarketingDuePlan(): Promise<string> {
  plans.length = 0;
  await latestMarketingDue(explaining, Array.from({ length: 1_000 }, (_, i) => `c-${i * 7}`));
  return plans[0];
}

describe('the latest marketing due instant of a launch batch', () => {
  it("is each customer's latest open or done marketing row", async () => {
    expect(Object.fromEntries(await latestMarketingDue(pool, ['c-1', 'c-2', 'c-3', 'c-none']))).toEqual({
      'c-1': '2024-05-01T10:00:00.000Z',
      'c-2': '2024-04-01T10:00:00.000Z',
    });
  });

  it.each([
    ['before the table was first analyzed', () => staleStatisticsPlan],
    ['with fresh statistics', () => latestMarketingDuePlan()],
  ])("reads only the customers' own index entries, %s", async (_, plan) => {
    // Before: the (status, due_at) index, every open and done row of the table read and filtered by customer, per batch.
    const text = await plan();
    expect(text).toMatch(/Index (Only )?Scan on touchpoints_by_customer|Index (Only )?Scan using touchpoints_by_customer/);
    expect(text).not.toMatch(/Seq Scan on touchpoints|touchpoints_by_status_due|Rows Removed by Filter/);
  });

  it('reads them from the index alone once the rows are vacuumed (migration 5: marketing and status in the index)', async () => {
    await pool.query('VACUUM ANALYZE read_models.touchpoints');
    const text = await latestMarketingDuePlan();
    expect(text).toMatch(/Index Only Scan using touchpoints_by_customer/);
    expect(text).toMatch(/Heap Fetches: 0/);
  });
});
