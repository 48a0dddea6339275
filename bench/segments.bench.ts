/**
 * Segment evaluation and churn benchmark (issues 4 and 5): `npm run bench` (after the import benchmark) or `npm run bench:segments`.
 * Writes a generated log of BENCH_SEGMENT_CUSTOMERS customers (default 100,000) and BENCH_SEGMENT_EVENTS events
 * (default 10 per customer) over about four years into a fresh database through the runtime's schema-aware store
 * (appendBatch, COPY), catches segment_facts up, then times evaluateAndRecord: the first evaluation (everyone enters),
 * BENCH_SEGMENT_RUNS daily evaluations (default 5: what a deployment runs every day; the target applies to these) and
 * as many 30 days apart. Some bookings, returns and registrations fall after the first instant, so later evaluations
 * see new activity as well as the clock moving. Then GET /segments/changes?limit=10000 over HTTP (fetch, body parsed)
 * at 10 cursors spread over the feed, BENCH_SEGMENT_FEED_ROUNDS times (default 3, after one warm-up round), and the
 * query function alone. Each evaluation's client queries are timed from outside (a timing proxy around the pool) to
 * show where the time goes: what runs between two queries is JavaScript. Last, the churn model on the same log as
 * the engine runs it (BENCH_CHURN_RUNS times, default 3): churn_facts caught up, fitAndRecord (facts read, fit on all
 * trips and on a holdout, stored) and scoreAndRecord (every customer scored and written). The model alone, without
 * a database: bench/clv.bench.ts.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createApi } from '../apps/api/src/app';
import { createApiKey } from '../libs/auth/src';
import { loadConfig, openRuntime } from '../apps/engine/src';
import { fitAndRecord, scoreAndRecord } from '../projections/churn/churn-recording';
import { type ChurnFit, type ScoringSummary } from '../projections/churn/churn-model';
import { evaluateAndRecord } from '../projections/segments/segment-recording';
import { type EvaluationSummary } from '../projections/segments/segment-evaluation';
import { segmentChanges } from '../projections/segments/segments.queries';
import { envNumber, fmt, log, machine, median } from './bench-support';
import { withBenchDatabase } from './bench-database';
import { phasesOf, timedPool, type Mark } from './query-timing';
import { DAY, iso, writeLog } from './segments-log';

const CUSTOMERS = envNumber('BENCH_SEGMENT_CUSTOMERS', 100_000);
const EVENTS = envNumber('BENCH_SEGMENT_EVENTS', CUSTOMERS * 10);
const RUNS = envNumber('BENCH_SEGMENT_RUNS', 5);
const FEED_ROUNDS = envNumber('BENCH_SEGMENT_FEED_ROUNDS', 3);
const TARGET_EVALUATION_S = 10;
const TARGET_FEED_S = 1;
const CHURN_RUNS = envNumber('BENCH_CHURN_RUNS', 3);
const TARGET_FIT_S = 10;
const TARGET_SCORE_S = 2;
const PAGE = 10_000;

/** The first evaluation; the log starts four years before it and ends at the last evaluation. */
const FIRST = Date.parse('2026-10-01T02:00:00Z');
const DAILY = Array.from({ length: RUNS }, (_, i) => FIRST + (i + 1) * DAY);
const MONTHLY = Array.from({ length: RUNS }, (_, i) => DAILY[RUNS - 1] + (i + 1) * 30 * DAY);
const START = FIRST - 4 * 365 * DAY;
const END = MONTHLY[RUNS - 1];

interface Evaluation {
  summary: EvaluationSummary;
  seconds: number;
  phases: ReturnType<typeof phasesOf>;
}

const families = (segments: Record<string, number>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const [segment, members] of Object.entries(segments)) counts[segment.split(':')[0]] = (counts[segment.split(':')[0]] ?? 0) + members;
  return counts;
};

const spread = (values: number[], digits = 2): string =>
  `${median(values).toFixed(digits)} s [${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}]`;
const verdict = (seconds: number, target: number): string => `${fmt((seconds / target) * 100, 1)} % of the ${target} s target: ${seconds < target ? 'met' : 'NOT met'}`;

async function main(): Promise<void> {
  await withBenchDatabase(async (database) => {
    log(`database: ${database.description}`);
    const runtime = await openRuntime(loadConfig({ DATABASE_URL: database.url }), log);
    const info = await machine(runtime.readModels);
    for (const [key, value] of Object.entries(info)) log(`${key}: ${value}`);

    log(`writing ${fmt(CUSTOMERS)} customers, ${fmt(EVENTS)} events from ${iso(START).slice(0, 10)} to ${iso(END).slice(0, 10)}`);
    const written = await writeLog(runtime.store, { customers: CUSTOMERS, events: EVENTS, start: START, end: END });
    log(`log: ${fmt(written.events)} events in ${written.seconds.toFixed(1)} s (${fmt(written.events / written.seconds)} events/s through appendBatch)`);
    const types = await runtime.readModels.query<{ type: string; n: string }>('SELECT type, count(*) AS n FROM event_store.events GROUP BY type ORDER BY count(*) DESC');
    const mix = types.rows.map((row) => `${row.type} ${fmt(Number(row.n))}`).join(', ');
    log(`mix: ${mix}`);

    let started = performance.now();
    const projected = await runtime.projector.catchUp('segment_facts', (processed) => {
      if (processed % 250_000 < 1000) log(`  segment_facts: ${fmt(processed)} events projected`);
    });
    const catchUpSeconds = (performance.now() - started) / 1000;
    log(`segment_facts catch-up: ${fmt(projected / catchUpSeconds)} events/s (${fmt(projected)} events in ${catchUpSeconds.toFixed(1)} s)`);

    const evaluate = async (at: number, label: string): Promise<Evaluation> => {
      const marks: Mark[] = [];
      const begun = performance.now();
      const summary = await evaluateAndRecord(timedPool(runtime.readModels, marks), runtime.store, runtime.segments, { asOf: iso(at), trigger: 'schedule' });
      const seconds = (performance.now() - begun) / 1000;
      log(`${label} as of ${iso(at)}: ${seconds.toFixed(2)} s, ${fmt(summary.customers)} customers, ${fmt(summary.memberships)} memberships, ${fmt(summary.entered)} entered, ${fmt(summary.left)} left`);
      return { summary, seconds, phases: phasesOf(marks) };
    };
    const first = await evaluate(FIRST, 'first evaluation');
    const daily: Evaluation[] = [];
    for (const [i, at] of DAILY.entries()) daily.push(await evaluate(at, `daily ${i + 1}`));
    const monthly: Evaluation[] = [];
    for (const [i, at] of MONTHLY.entries()) monthly.push(await evaluate(at, `30 days later ${i + 1}`));

    // The change feed: 10 cursors spread over it, each page full.
    const feed = await runtime.readModels.query<{ n: string; last: string }>('SELECT count(*) AS n, max(position) AS last FROM read_models.segment_changes');
    const feedRows = Number(feed.rows[0].n);
    const cursors = Array.from({ length: 10 }, (_, i) => Math.floor((i * (Number(feed.rows[0].last) - PAGE)) / 9));
    const app = await createApi(runtime, { logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    // The feed is read as the analysts who consume it read it: with an API key of theirs.
    const { key } = await createApiKey(runtime.readModels, 'bench-analyst', 'analyst');
    const httpSeconds: number[] = [];
    const querySeconds: number[] = [];
    let bodyBytes = 0;
    for (let round = 0; round <= FEED_ROUNDS; round++) {
      for (const after of cursors) {
        started = performance.now();
        const response = await fetch(`http://127.0.0.1:${port}/segments/changes?after=${after}&limit=${PAGE}`, { headers: { Authorization: `Bearer ${key}` } });
        const text = await response.text();
        const body = JSON.parse(text) as { changes: unknown[] };
        const seconds = (performance.now() - started) / 1000;
        if (response.status !== 200 || body.changes.length !== PAGE) throw new Error(`GET /segments/changes?after=${after}: ${response.status}, ${body.changes?.length} changes`);
        started = performance.now();
        const page = await segmentChanges(runtime.readModels, after, PAGE);
        const alone = (performance.now() - started) / 1000;
        if (page.changes.length !== PAGE) throw new Error(`segmentChanges(${after}): ${page.changes.length} changes`);
        // Round 0 warms up (JIT, the server's cache) and is not counted.
        if (round > 0) {
          httpSeconds.push(seconds);
          querySeconds.push(alone);
          bodyBytes = text.length;
        }
      }
      log(`change feed round ${round}${round === 0 ? ' (warm-up)' : ''}: HTTP median so far ${httpSeconds.length ? median(httpSeconds).toFixed(3) : '-'} s`);
    }
    await app.close();

    // The churn model on the same log, as the engine runs it: facts from the database, the fit with its holdout
    // check, then every customer scored and written (target: fitting under 10 s, scoring under 2 s).
    started = performance.now();
    const churnEvents = await runtime.projector.catchUp('churn_facts');
    const churnCatchUp = (performance.now() - started) / 1000;
    const settings = { churn: runtime.churn, currency: runtime.segments.currency };
    const churnAt = iso(DAILY[RUNS - 1]);
    const fits: { seconds: number; fit: ChurnFit }[] = [];
    const scorings: { seconds: number; summary: ScoringSummary }[] = [];
    for (let run = 0; run < CHURN_RUNS; run++) {
      started = performance.now();
      const fit = await fitAndRecord(runtime.readModels, runtime.store, settings, { cutoff: churnAt, trigger: 'on-demand', actor: 'bench' });
      fits.push({ seconds: (performance.now() - started) / 1000, fit });
      started = performance.now();
      const summary = await scoreAndRecord(runtime.readModels, runtime.store, settings, churnAt);
      scorings.push({ seconds: (performance.now() - started) / 1000, summary });
      log(`churn run ${run + 1}: fit ${fits[run].seconds.toFixed(2)} s, scoring ${scorings[run].seconds.toFixed(2)} s (${fmt(summary.customers)} customers)`);
    }
    // The touchpoint schedule of the same log, built by its projection (issue 6).
    started = performance.now();
    const touchpointEvents = await runtime.projector.catchUp('touchpoints');
    const touchpointSeconds = (performance.now() - started) / 1000;
    const touchpointCounts = await runtime.readModels.query<{ bookings: string; rows: string }>(
      `SELECT (SELECT count(*) FROM read_models.touchpoint_facts, json_array_elements(facts->'bookings')) AS bookings, (SELECT count(*) FROM read_models.touchpoints) AS rows`,
    );
    await runtime.close();

    const firstPhases = first.phases.filter((p) => p.queryMs + p.afterMs >= 5);
    const dailyPhases = daily[Math.floor(RUNS / 2)].phases.filter((p) => p.queryMs + p.afterMs >= 5);
    const seconds = (e: Evaluation[]): number[] => e.map((run) => run.seconds);
    const counts = (e: Evaluation[], pick: (s: EvaluationSummary) => number): string => fmt(median(e.map((run) => pick(run.summary))));
    console.log(`\nSegment evaluation: ${fmt(first.summary.customers)} customers, ${fmt(written.events)} events (${mix})`);
    console.log(`  log written     ${fmt(written.events / written.seconds)} events/s (appendBatch, ${written.seconds.toFixed(1)} s)`);
    console.log(`  catch-up        segment_facts ${fmt(projected / catchUpSeconds)} events/s (${fmt(projected)} events in ${catchUpSeconds.toFixed(1)} s, batches of ${runtime.config.projectorBatchSize})`);
    console.log(`  first           ${first.seconds.toFixed(2)} s, ${verdict(first.seconds, TARGET_EVALUATION_S)}; ${fmt(first.summary.memberships)} memberships, ${fmt(first.summary.entered)} entered`);
    console.log(`  daily (x${RUNS})      ${spread(seconds(daily))}, ${verdict(median(seconds(daily)), TARGET_EVALUATION_S)}; median ${counts(daily, (s) => s.entered)} entered, ${counts(daily, (s) => s.left)} left`);
    console.log(`  30 days (x${RUNS})    ${spread(seconds(monthly))}, ${verdict(median(seconds(monthly)), TARGET_EVALUATION_S)}; median ${counts(monthly, (s) => s.entered)} entered, ${counts(monthly, (s) => s.left)} left`);
    console.log(`  members/family  ${Object.entries(families(first.summary.segments)).map(([f, n]) => `${f} ${fmt(n)}`).join(', ')} (first evaluation)`);
    console.log(`  scores          customers per score, first evaluation: ${Object.entries(first.summary.scores).map(([axis, n]) => `${axis} ${JSON.stringify(n)}`).join(', ')}`);
    console.log(`  members/segment ${Object.entries(daily[RUNS - 1].summary.segments).sort().map(([s, n]) => `${s} ${fmt(n)}`).join(', ')} (last daily evaluation)`);
    console.log(`  change feed     ${fmt(feedRows)} rows; GET /segments/changes?limit=${fmt(PAGE)} (${fmt(bodyBytes / 2 ** 20, 1)} MiB of JSON, read and parsed) ${spread(httpSeconds, 3)}, ${verdict(median(httpSeconds), TARGET_FEED_S)}`);
    console.log(`                  segmentChanges() alone ${spread(querySeconds, 3)} (${httpSeconds.length} pages at 10 cursors)`);
    const fit = fits[0].fit;
    console.log(`\nChurn model in the engine (${fit.model}, unit ${fit.unit}), cut-off ${churnAt}, ${CHURN_RUNS} runs:`);
    console.log(`  catch-up        churn_facts ${fmt(churnEvents / churnCatchUp)} events/s (${fmt(churnEvents)} events in ${churnCatchUp.toFixed(1)} s)`);
    console.log(
      `  fit             ${spread(fits.map((f) => f.seconds))}, ${verdict(median(fits.map((f) => f.seconds)), TARGET_FIT_S)}: facts read, ${fmt(fit.customers)} customers ` +
        `(${fmt(fit.repeatBuyers)} repeat), fitted on all trips and again on a 12-month holdout, stored; ${fit.method}, log-likelihood ${fit.logLikelihood.toFixed(1)}`,
    );
    console.log(`                  params ${JSON.stringify(fit.params)}, Gamma-Gamma ${JSON.stringify(fit.gammaGamma)}, holdout ${JSON.stringify(fit.holdout)}`);
    console.log(
      `  scoring         ${spread(scorings.map((r) => r.seconds))}, ${verdict(median(scorings.map((r) => r.seconds)), TARGET_SCORE_S)}: facts read, ` +
        `${fmt(scorings[0].summary.customers)} customers scored (P(alive), 12-month trips, value, 36-month CLV, signals) and written; bands ${JSON.stringify(scorings[0].summary.bands)}`,
    );
    const { bookings: scheduledBookings, rows: touchpointRows } = touchpointCounts.rows[0];
    console.log(
      `\nTouchpoint schedule in the engine: projection touchpoints caught up on ${fmt(touchpointEvents)} events in ${touchpointSeconds.toFixed(1)} s ` +
        `(${fmt(touchpointEvents / touchpointSeconds)} events/s): ${fmt(Number(scheduledBookings))} bookings, ${fmt(Number(touchpointRows))} touchpoints`,
    );
    for (const [name, phases] of [['first', firstPhases], [`daily ${Math.floor(RUNS / 2) + 1}`, dailyPhases]] as const) {
      console.log(`  where the time goes, ${name} evaluation (query ms + JavaScript after it ms; >= 5 ms):`);
      for (const p of phases) console.log(`    ${fmt(p.queryMs).padStart(7)} + ${fmt(p.afterMs).padStart(6)}  ${p.label}`);
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
