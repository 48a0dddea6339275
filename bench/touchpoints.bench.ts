/**
 * Touchpoint benchmark (issue 6): `npm run bench` or `npm run bench:touchpoints`.
 * 1. Scheduling: BENCH_TOUCHPOINT_BOOKINGS bookings (default 100,000; 4 per customer, customers in Berlin, Moscow,
 *    Shanghai and New York, some amended, cancelled, with complaints, consent changes and completions) through
 *    scheduleTouchpoints, BENCH_TOUCHPOINT_RUNS times (default 3, median).
 * 2. The work queue: the rows written to read_models.touchpoints of a fresh database, topped up with more generated
 *    customers to BENCH_TOUCHPOINT_ROWS rows (default 1,000,000), ANALYZEd; then the open-and-due query (status
 *    overdue as of an instant, first page of 100, and the next page through its cursor) at BENCH_TOUCHPOINT_QUERIES
 *    instants spread over the schedule (default 1,000, after 100 warm-up queries): p50, p95, p99. Target: p99 < 50 ms.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { copyInto, copyLines, migrate } from '../libs/postgres/src';
import { DEFAULT_TOUCHPOINT_CONFIG, scheduleTouchpoints, type Touchpoint, type TouchpointFacts } from '../libs/touchpoints/src';
import { CAMPAIGNS_MIGRATIONS } from '../projections/campaigns/campaigns.migrations';
import { CUSTOMER_OVERVIEW_MIGRATIONS } from '../projections/customer-overview/customer-overview.migrations';
import { TOUCHPOINT_MIGRATIONS } from '../projections/touchpoints/touchpoints.migrations';
import { touchpointQueue, type QueueQuery } from '../projections/touchpoints/touchpoints.queries';
import { withBenchDatabase } from './bench-database';
import { envNumber, fmt, log, median } from './bench-support';

const BOOKINGS = envNumber('BENCH_TOUCHPOINT_BOOKINGS', 100_000);
const RUNS = envNumber('BENCH_TOUCHPOINT_RUNS', 3);
const ROWS = envNumber('BENCH_TOUCHPOINT_ROWS', 1_000_000);
const QUERIES = envNumber('BENCH_TOUCHPOINT_QUERIES', 1_000);
const TARGET_P99_MS = 50;
const DAY = 86_400_000;
const ZONES = ['Europe/Berlin', 'Europe/Moscow', 'Asia/Shanghai', 'America/New_York'];
const START = Date.parse('2025-01-01T00:00:00Z');

/** mulberry32: small, fast, good enough for test data. */
const prng = (seed: number) => (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const iso = (at: number): string => new Date(at).toISOString();
const date = (at: number): string => iso(at).slice(0, 10);

/** One customer with four trips over two years; some amended, cancelled, complained about, completed. */
function customerFacts(n: number): TouchpointFacts {
  const rand = prng(n + 1);
  const customerId = `tp-${String(n).padStart(7, '0')}`;
  const registeredAt = START + Math.floor(rand() * 200) * DAY;
  const profile = { at: iso(registeredAt), timeZone: ZONES[n % ZONES.length], language: 'en', preferredChannel: rand() < 0.5 ? 'email' : 'phone', tags: rand() < 0.3 ? ['family'] : [] };
  const consent = [{ at: iso(registeredAt), granted: rand() < 0.7 }];
  if (rand() < 0.1) consent.push({ at: iso(registeredAt + 100 * DAY), granted: !consent[0].granted });
  const bookings: TouchpointFacts['bookings'] = [];
  const complaints: TouchpointFacts['complaints'] = [];
  const completions: TouchpointFacts['completions'] = [];
  let at = registeredAt + DAY;
  for (let k = 0; k < 4; k++) {
    const bookedAt = at + Math.floor(rand() * 60) * DAY;
    const departure = bookedAt + (3 + Math.floor(rand() * 120)) * DAY;
    const back = departure + (3 + Math.floor(rand() * 14)) * DAY;
    const booking: TouchpointFacts['bookings'][number] = { bookingId: `b${k + 1}`, bookedAt: iso(bookedAt), destination: { country: 'GR', city: 'Chania' }, departureDate: date(departure), returnDate: date(back), amendments: [] };
    if (rand() < 0.1) booking.amendments.push({ at: iso(bookedAt + 2 * DAY), departureDate: date(departure + 7 * DAY), returnDate: date(back + 7 * DAY) });
    if (rand() < 0.08) booking.cancelledAt = iso(bookedAt + DAY);
    else if (rand() < 0.1) complaints.push({ complaintId: `c${k + 1}`, filedAt: iso(departure + 2 * DAY), severity: 'medium', ...(rand() < 0.8 && { acknowledgedAt: iso(departure + 2 * DAY + 1800_000) }) });
    bookings.push(booking);
    at = back;
  }
  return { customerId, registeredAt: iso(registeredAt), profile: [profile], consent, bookings, complaints, riskAlerts: [], completions };
}

async function main(): Promise<void> {
  const customers = Math.ceil(BOOKINGS / 4);
  const facts = Array.from({ length: customers }, (_, n) => customerFacts(n));
  let rows: Touchpoint[] = [];
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    rows = facts.flatMap((f) => scheduleTouchpoints(f, DEFAULT_TOUCHPOINT_CONFIG));
    seconds.push((performance.now() - started) / 1000);
    log(`scheduling run ${run + 1}: ${fmt(customers * 4)} bookings, ${fmt(rows.length)} touchpoints in ${seconds[run].toFixed(2)} s`);
  }

  await withBenchDatabase(async (database) => {
    const pool = new Pool({ connectionString: database.url, max: 4 }).on('error', () => undefined);
    try {
      // The queue reads the customers' time zones (customer_overview) and leaves out the sends of campaigns that do not
      // run (campaigns): without those tables it failed, and `npm run bench` stopped here.
      await migrate(pool, 'projection:touchpoints', TOUCHPOINT_MIGRATIONS);
      await migrate(pool, 'projection:customer_overview', CUSTOMER_OVERVIEW_MIGRATIONS);
      await migrate(pool, 'projection:campaigns', CAMPAIGNS_MIGRATIONS);
      const client = await pool.connect();
      let written = 0;
      let next = customers;
      const columns = (t: Touchpoint) => [t.touchpointId, t.customerId, t.bookingId ?? null, t.complaintId ?? null, t.alertId ?? null, t.kind, t.phase, t.dueAt, t.channel, t.language, t.urgent, t.marketing, t.status, `{${t.contentHints.map((h) => `"${h}"`).join(',')}}`, t.reason ?? null];
      const sql = `COPY read_models.touchpoints (touchpoint_id, customer_id, booking_id, complaint_id, alert_id, kind, phase, due_at, channel, language, urgent, marketing, status, content_hints, reason) FROM STDIN`;
      try {
        await copyInto(client, sql, copyLines(rows, columns));
        written = rows.length;
        // More customers until the table holds ROWS rows.
        while (written < ROWS) {
          const more = Array.from({ length: 10_000 }, () => customerFacts(next++)).flatMap((f) => scheduleTouchpoints(f, DEFAULT_TOUCHPOINT_CONFIG)).slice(0, ROWS - written);
          await copyInto(client, sql, copyLines(more, columns));
          written += more.length;
        }
        await client.query('ANALYZE read_models.touchpoints');
      } finally {
        client.release();
      }
      const stats = await pool.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM read_models.touchpoints GROUP BY 1 ORDER BY 1');
      const mix = stats.rows.map((r) => `${r.status} ${fmt(Number(r.n))}`).join(', ');
      log(`read_models.touchpoints: ${fmt(written)} rows (${mix})`);
      const span = await pool.query<{ first: Date; last: Date }>('SELECT min(due_at) AS first, max(due_at) AS last FROM read_models.touchpoints');
      const [first, last] = [span.rows[0].first.getTime(), span.rows[0].last.getTime()];

      // A page of 100 and its next, QUERIES times after 100 to warm up, each at a random instant.
      const pages = async (query: (asOf: string) => Omit<QueueQuery, 'limit' | 'cursor'>): Promise<{ pct: (p: number) => number; count: number; seen: number }> => {
        const times: number[] = [];
        const rand = prng(99);
        let seen = 0;
        for (let q = 0; q < QUERIES + 100; q++) {
          const asOf = iso(first + rand() * (last - first));
          const started = performance.now();
          const page = await touchpointQueue(pool, { ...query(asOf), limit: 100 });
          const following = page.nextCursor ? await touchpointQueue(pool, { ...query(asOf), limit: 100, cursor: page.nextCursor }) : null;
          const ms = (performance.now() - started) / (following ? 2 : 1);
          if (q >= 100) times.push(ms);
          seen += page.items.length + (following?.items.length ?? 0);
        }
        times.sort((a, b) => a - b);
        return { pct: (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))], count: times.length, seen };
      };
      const overdue = await pages((asOf) => ({ status: 'overdue', asOf }));
      // Every status but held-out, due from the instant on: the status index walked once per status, merged (migration 7).
      const anyStatus = await pages((asOf) => ({ asOf, dueAfter: asOf }));
      const plan = await pool.query(
        `EXPLAIN ANALYZE SELECT * FROM read_models.touchpoints WHERE status = $1 AND due_at < $2 ORDER BY due_at, touchpoint_id LIMIT 101`,
        ['open', iso((first + last) / 2)],
      );

      console.log(`\nTouchpoints: ${fmt(customers)} customers, ${fmt(customers * 4)} bookings`);
      console.log(`  scheduling      ${median(seconds).toFixed(2)} s median [${Math.min(...seconds).toFixed(2)}-${Math.max(...seconds).toFixed(2)}] for ${fmt(customers * 4)} bookings (${fmt(rows.length)} touchpoints, ${fmt((customers * 4) / median(seconds))} bookings/s)`);
      console.log(`  work queue      ${fmt(written)} rows (${mix}); pages of 100 at a random instant, and their next pages`);
      for (const [name, { pct, count, seen }] of [
        ['status=overdue', overdue],
        ['any status, due from then', anyStatus],
      ] as const) {
        console.log(
          `    ${name.padEnd(26)} p50 ${pct(50).toFixed(2)} ms, p95 ${pct(95).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms over ${fmt(count)} queries: p99 ${pct(99) < TARGET_P99_MS ? 'under' : 'NOT under'} the ${TARGET_P99_MS} ms target (${fmt((pct(99) / TARGET_P99_MS) * 100, 1)} %); ${fmt(seen)} rows read`,
        );
      }
      console.log(`  plan            ${plan.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'].trim()).join(' | ')}`);
    } finally {
      await pool.end();
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
