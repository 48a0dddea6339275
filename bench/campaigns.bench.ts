/**
 * Campaign benchmark (issue 18): `npm run bench:campaigns` (also part of `npm run bench`).
 * 1. A base of BENCH_CAMPAIGN_CUSTOMERS customers (default 100,000), each registered with marketing consent and one
 *    flight booked in 2025, written through appendBatch while the projector thread follows the log (the engine's);
 *    every read model past it (BENCH_PROJECTOR_WARM=0: caught up on this thread, the thread started at the launch).
 * 2. Launch: the campaign's stream (defined, launched), the assignment of the whole audience (flight bookers in the last
 *    24 months, 10 % holdout: assignAudience, the engine's launch path), then the read models that take the
 *    assignments caught up: campaigns (the arms) and touchpoints (one campaign touchpoint per treated customer),
 *    with customer_overview and audit_trail. Target: assignment and touchpoints < 10 s.
 * 3. Results: bookings planted after the assignment (treated customers book with probability 0.30, controls 0.20),
 *    churn_facts caught up, then the results query (campaignArmCounts + uplift, what GET /campaigns/:id/results runs)
 *    BENCH_CAMPAIGN_RESULT_RUNS times (default 5, after one warm-up): median. Target < 1 s.
 * 4. Coverage of the 95 % interval: BENCH_CAMPAIGN_SEEDS seeds (default 50), each a new assignment key (the engine's
 *    keyed hash, libs/campaigns armOf) and new Bernoulli conversions with the planted rates, at 100,000 customers with
 *    10 % holdout and at 2,000 with 50 %: how often the interval holds the planted 0.10 (and, with no effect, 0).
 *    This part runs the statistics on simulated counts, not the SQL: the e2e test checks the SQL end to end.
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { armOf } from '../libs/campaigns/src';
import { uplift } from '../libs/campaigns/src/uplift';
import { campaignStreamId, customerStreamId } from '../libs/domain/src';
import type { NewEvent, StreamAppend } from '../libs/event-store/src';
import { loadConfig, openRuntime, runLoopsThread } from '../apps/engine/src';
import { leaseOwners } from '../libs/projection-engine/src';
import { assignAudience } from '../projections/campaigns/assign-audience';
import { campaignArmCounts, campaignForResults } from '../projections/campaigns/campaign-results.queries';
import { withBenchDatabase } from './bench-database';
import { cpuSample, envNumber, fmt, log, machine, median, serverCpuBetween, sleep } from './bench-support';
import { cpuProfile, serverCpuByStatement, statementTrace } from './bench-tracing';

const CUSTOMERS = envNumber('BENCH_CAMPAIGN_CUSTOMERS', 100_000);
const RESULT_RUNS = envNumber('BENCH_CAMPAIGN_RESULT_RUNS', 5);
const SEEDS = envNumber('BENCH_CAMPAIGN_SEEDS', 50);
const TARGET_LAUNCH_S = 10;
const TARGET_RESULTS_S = 1;
const DAY = 86_400_000;
const LAUNCH = Date.parse('2026-03-02T09:00:00.000Z');
const CAMPAIGN = 'bench-flight-deal';
const P_TREATED = 0.3;
const P_CONTROL = 0.2;

const prng = (seed: number) => (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const iso = (at: number): string => new Date(at).toISOString();
const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'bench', role: 'system' }, source: 'import', schemaVersion: 1 };
const ev = (type: string, at: number, data: Record<string, unknown>): NewEvent => ({ eventId: randomUUID(), type, occurredAt: iso(at), data, metadata });
const customerId = (n: number): string => `cb-${String(n).padStart(7, '0')}`;
const ZONES = ['Europe/Athens', 'Europe/Berlin', 'Europe/London', 'America/New_York'];

const seconds = (since: number): number => (performance.now() - since) / 1000;
const verdict = (value: number, target: number): string => `${fmt((value / target) * 100, 1)} % of the ${target} s target: ${value < target ? 'met' : 'NOT met'}`;

async function appendAll(append: (appends: StreamAppend[]) => Promise<void>, appends: StreamAppend[]): Promise<void> {
  for (let i = 0; i < appends.length; i += 1000) await append(appends.slice(i, i + 1000));
}

/** Coverage of the 95 % interval over `seeds` assignment keys with the planted rates. */
function coverage(customers: number, holdout: number, pTreated: number, pControl: number, seeds: number): { covered: number; meanWidth: number } {
  let covered = 0;
  let width = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const key = createHash('sha256').update(`coverage-${seed}`).digest('hex');
    const rand = prng(seed * 7919);
    const t = { customers: 0, conversions: 0, revenue: {} };
    const c = { customers: 0, conversions: 0, revenue: {} };
    for (let n = 0; n < customers; n++) {
      const arm = armOf(key, 'coverage', customerId(n), holdout) === 'treatment' ? t : c;
      arm.customers += 1;
      if (rand() < (arm === t ? pTreated : pControl)) arm.conversions += 1;
    }
    const u = uplift(t, c);
    if (!u) continue;
    width += u.interval95.high - u.interval95.low;
    if (u.interval95.low <= pTreated - pControl && pTreated - pControl <= u.interval95.high) covered += 1;
  }
  return { covered, meanWidth: width / seeds };
}

async function main(): Promise<void> {
  await withBenchDatabase(async (database) => {
    log(`database: ${database.description}`);
    const runtime = await openRuntime(loadConfig({ DATABASE_URL: database.url, ...(process.env.PROJECTOR_BATCH_SIZE ? { PROJECTOR_BATCH_SIZE: process.env.PROJECTOR_BATCH_SIZE } : {}) }), log);
    try {
      for (const [key, value] of Object.entries(await machine(runtime.readModels))) log(`${key}: ${value}`);
      const { store, projector, readModels: pool } = runtime;
      const catchUpAll = async (names: string[]): Promise<Record<string, number>> => {
        const took: Record<string, number> = {};
        for (const name of names) {
          const begun = performance.now();
          await projector.catchUp(name);
          took[name] = seconds(begun);
        }
        return took;
      };
      const ALL = ['customer_overview', 'segment_facts', 'churn_facts', 'touchpoints', 'audit_trail', 'feedback', 'campaigns'];

      // The projector as `npm start` runs it: in a worker thread of its own (the engine's), following the log from the
      // start, as the engine's does long before any launch (BENCH_PROJECTOR_WARM=1, the default). Started only at the
      // launch, after a catch-up on this thread (BENCH_PROJECTOR_WARM=0, the measurement before 2026-12-05), its code
      // ran cold: touchpoints' first batches of the launch took 1.8 s each, against 0.6-1.0 s warm.
      // BENCH_PROJECTOR_THREAD=0: on this thread, from the launch (the measurement before 2026-12-04).
      const following = new AbortController();
      const inThread = process.env.BENCH_PROJECTOR_THREAD !== '0';
      const warm = inThread && process.env.BENCH_PROJECTOR_WARM !== '0';
      const follow = (): Promise<void> => (inThread ? runLoopsThread(runtime, log, following.signal, 'projections') : projector.run(following.signal));
      let projecting = warm ? follow() : undefined;

      // 1. The base.
      let started = performance.now();
      const base: StreamAppend[] = [];
      for (let n = 0; n < CUSTOMERS; n++) {
        const rand = prng(n + 1);
        const registered = Date.parse('2024-01-01T10:00:00.000Z') + Math.floor(rand() * 300) * DAY;
        const booked = Date.parse('2025-01-01T10:00:00.000Z') + Math.floor(rand() * 300) * DAY;
        const departure = iso(booked + 30 * DAY).slice(0, 10);
        base.push({
          streamId: customerStreamId(customerId(n)),
          expectedVersion: 'no_stream',
          events: [
            ev('CustomerRegistered', registered, { customerId: customerId(n), name: `Customer ${n}`, email: `c${n}@example.com`, phone: `+30 690 ${String(n).padStart(7, '0')}`, timeZone: ZONES[n % ZONES.length], language: 'en', preferredChannel: 'sms', marketingConsent: true, tags: [] }),
            ev('TripBooked', booked, { bookingId: 'b1', destination: { country: 'GB', city: 'London' }, departureDate: departure, returnDate: departure, amount: { value: 25_000, currency: 'EUR' }, travellers: 1, productType: 'flight', channel: 'web' }),
          ],
        });
      }
      await appendAll((appends) => store.appendBatch(appends), base);
      // Let go of the 200,000 events written: kept, they were some 470 MiB of the launch's RSS that no engine holds.
      base.length = 0;
      log(`base: ${fmt(CUSTOMERS)} customers, ${fmt(CUSTOMERS * 2)} events in ${seconds(started).toFixed(1)} s`);
      started = performance.now();
      if (warm) {
        const { rows } = await pool.query<{ last: string }>('SELECT max(global_position)::text AS last FROM event_store.events');
        if (!(await projector.waitFor(Number(rows[0].last), 1_800_000))) throw new Error('the projector thread did not pass the base within 30 minutes');
        log(`base projected by the projector thread, live, in ${seconds(started).toFixed(1)} s`);
      } else {
        const baseCatchUp = await catchUpAll(ALL);
        log(`base caught up in ${seconds(started).toFixed(1)} s: ${Object.entries(baseCatchUp).map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(', ')}`);
      }

      // The base settled before the launch, as a database is long after its customers came: the vacuum that the
      // base's writes call for done now, not by autovacuum beside the launch (0.9 s of the server's CPU in one
      // launch). BENCH_LAUNCH_SETTLED=0: the launch right after the catch-up (the measurement before 2026-12-05).
      if (process.env.BENCH_LAUNCH_SETTLED !== '0') {
        started = performance.now();
        await pool.query('VACUUM (ANALYZE)');
        log(`base vacuumed in ${seconds(started).toFixed(1)} s`);
      }

      // 2. The launch, as the engine runs it: the projector follows the log live while the assignment writes it, and
      // the launch is done when the campaigns and touchpoints read models have passed the last assignment.
      const trace = statementTrace(pool);
      await trace.reset();
      const profile = cpuProfile();
      await profile.start();
      const byStatement = serverCpuByStatement(database.url);
      await byStatement.start();
      const cpuBefore = cpuSample(database.postmasterPid);
      // The assignment runs on this thread, as on the API's.
      projecting ??= follow();
      if (inThread) {
        const deadline = Date.now() + 60_000;
        while ((await leaseOwners(pool)).some((lease) => lease.owner === null)) {
          if (Date.now() > deadline) throw new Error('the projector thread held no partitions within 60 s');
          await sleep(100);
        }
      }
      // The process's RSS (this thread and the projector's) at the start and at its highest during the launch.
      const rss = { start: process.memoryUsage.rss(), peak: 0 };
      const sampling = setInterval(() => (rss.peak = Math.max(rss.peak, process.memoryUsage.rss())), 100);
      const launchStarted = performance.now();
      await store.append(campaignStreamId(CAMPAIGN), [
        ev('CampaignDefined', LAUNCH - DAY, {
          campaignId: CAMPAIGN, name: 'Flight deal', audience: { requireMarketingConsent: true, trips: { productTypes: ['flight'], withinMonths: 24 } }, channel: 'sms', contentHints: ['spring flight deal'],
          sendWindow: { from: iso(LAUNCH), until: iso(LAUNCH + 7 * DAY) }, holdoutShare: 0.1, goal: { kind: 'booking' }, conversionWindowDays: 30,
        }),
        ev('CampaignLaunched', LAUNCH, { campaignId: CAMPAIGN, assignmentKey: 'be'.repeat(32) }),
      ]);
      const run = await assignAudience(pool, store, CAMPAIGN, { now: () => new Date(LAUNCH), metadata: { correlationId: randomUUID(), actor: { id: 'bench-manager', role: 'manager' }, source: 'api' } });
      const assignSeconds = seconds(launchStarted);
      log(`assignment: ${fmt(run.audience)} in the audience, ${fmt(run.treatment)} treatment, ${fmt(run.control)} control (${fmt((100 * run.control) / run.assigned, 2)} % held out) in ${assignSeconds.toFixed(2)} s`);
      const passed: Record<string, number> = {};
      await Promise.all(
        ['campaigns', 'touchpoints', 'customer_overview', 'audit_trail'].map(async (name) => {
          if (!(await projector.waitFor(run.lastPosition!, 600_000, [name]))) throw new Error(`${name} did not pass the last assignment within 600 s`);
          passed[name] = seconds(launchStarted);
        }),
      );
      await byStatement.print();
      // Sampled before the projector thread closes: the server's CPU is read per backend, and its backends end with it.
      const cpuAfter = cpuSample(database.postmasterPid);
      clearInterval(sampling);
      following.abort();
      await projecting;
      await profile.stop();
      const server = serverCpuBetween(cpuBefore, cpuAfter);
      log(`launch CPU: this process (assignment, and the projector ${inThread ? 'in its thread' : 'on the same thread'}) ${(cpuAfter.client - cpuBefore.client).toFixed(1)} s, PostgreSQL ${server === null ? 'n/a' : `${server.toFixed(1)} s`}`);
      log(`launch RSS (this process, both threads): ${fmt(rss.start / 2 ** 20, 1)} MiB at the start, ${fmt(rss.peak / 2 ** 20, 1)} MiB at its highest`);
      await trace.print();
      const sends = await pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM read_models.touchpoints WHERE campaign_id = $1 GROUP BY status ORDER BY status`, [CAMPAIGN]);
      log(`read models past the last assignment, from the launch: ${Object.entries(passed).map(([name, s]) => `${name} ${s.toFixed(2)} s`).join(', ')}; campaign touchpoints ${sends.rows.map((r) => `${r.status} ${fmt(r.n)}`).join(', ')}`);
      // Every treated customer's send must be there: a launch counted done before its last sends were projected is no measurement.
      const made = sends.rows.reduce((sum, row) => sum + row.n, 0);
      if (made !== run.treatment) throw new Error(`touchpoints passed the last assignment with ${fmt(made)} of ${fmt(run.treatment)} campaign touchpoints made`);
      const toTouchpoints = Math.max(passed.campaigns, passed.touchpoints);
      log(`launch to ${fmt(run.assigned)} customers, assignment + campaigns + touchpoints projected: ${toTouchpoints.toFixed(2)} s (${verdict(toTouchpoints, TARGET_LAUNCH_S)}); with customer_overview and audit_trail too: ${Math.max(...Object.values(passed)).toFixed(2)} s`);

      // 3. Results over the whole audience, with planted bookings.
      const arms = await pool.query<{ customer_id: string; arm: string }>('SELECT customer_id, arm FROM read_models.campaign_assignments WHERE campaign_id = $1', [CAMPAIGN]);
      const rand = prng(2026);
      const planted: StreamAppend[] = [];
      const plantedCounts = { treatment: [0, 0], control: [0, 0] } as Record<string, [number, number]>;
      for (const { customer_id, arm } of arms.rows) {
        plantedCounts[arm][0] += 1;
        if (rand() >= (arm === 'treatment' ? P_TREATED : P_CONTROL)) continue;
        plantedCounts[arm][1] += 1;
        const at = LAUNCH + (1 + Math.floor(rand() * 28)) * DAY;
        planted.push({ streamId: customerStreamId(customer_id), expectedVersion: 'any', events: [ev('TripBooked', at, { bookingId: 'b2', destination: { country: 'ES', city: 'Palma' }, departureDate: '2026-07-01', returnDate: '2026-07-08', amount: { value: 80_000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' })] });
      }
      started = performance.now();
      await appendAll((appends) => store.appendBatch(appends), planted);
      await catchUpAll(['churn_facts']);
      log(`planted ${fmt(planted.length)} bookings (treatment ${plantedCounts.treatment[1]}/${plantedCounts.treatment[0]}, control ${plantedCounts.control[1]}/${plantedCounts.control[0]}) and caught churn_facts up in ${seconds(started).toFixed(1)} s`);
      await pool.query('ANALYZE');
      const asOf = iso(LAUNCH + 60 * DAY);
      const timings: number[] = [];
      let last: ReturnType<typeof uplift> = null;
      for (let i = 0; i <= RESULT_RUNS; i++) {
        const begun = performance.now();
        const counts = await campaignArmCounts(pool, (await campaignForResults(pool, CAMPAIGN))!, asOf);
        last = uplift(counts.treatment, counts.control);
        if (i > 0) timings.push(seconds(begun));
        if (i === 0) log(`results: treatment ${counts.treatment.conversions}/${counts.treatment.customers}, control ${counts.control.conversions}/${counts.control.customers}`);
      }
      log(`results over ${fmt(arms.rows.length)} customers: median ${median(timings).toFixed(3)} s [${Math.min(...timings).toFixed(3)}-${Math.max(...timings).toFixed(3)}] over ${RESULT_RUNS} runs (${verdict(median(timings), TARGET_RESULTS_S)})`);
      if (last) log(`uplift ${last.absolute.toFixed(4)}, 95 % CI [${last.interval95.low.toFixed(4)}, ${last.interval95.high.toFixed(4)}], p ${last.pValue?.toExponential(2)}; planted 0.1`);
    } finally {
      await runtime.close();
    }
  });

  // 4. Coverage.
  for (const [customers, holdout] of [[100_000, 0.1], [2_000, 0.5]] as const) {
    let started = performance.now();
    const effect = coverage(customers, holdout, P_TREATED, P_CONTROL, SEEDS);
    log(`coverage, planted 0.10, ${fmt(customers)} customers, ${holdout * 100} % holdout: ${effect.covered}/${SEEDS} intervals hold it (${fmt((100 * effect.covered) / SEEDS, 1)} %), mean width ${effect.meanWidth.toFixed(4)} (${seconds(started).toFixed(1)} s)`);
    started = performance.now();
    const none = coverage(customers, holdout, P_CONTROL, P_CONTROL, SEEDS);
    log(`coverage, no effect, ${fmt(customers)} customers, ${holdout * 100} % holdout: ${none.covered}/${SEEDS} intervals hold 0 (${fmt((100 * none.covered) / SEEDS, 1)} %) (${seconds(started).toFixed(1)} s)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
