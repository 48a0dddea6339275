/**
 * Overload benchmark (issue 15, never part of `npm test`): `npm run bench:overload`, or
 *   npm run build && node dist/bench/overload.bench.js
 *
 * Starts the built engine (API and projector in one process, as `npm start` runs it; its own MAX_IN_FLIGHT_COMMANDS
 * unless set in the environment) on a fresh database, registers BENCH_OVERLOAD_CUSTOMERS customers, then books trips
 * (POST /customers/:id/bookings, 201 expected):
 *   1. the sustainable rate: 32 clients in a closed loop for BENCH_OVERLOAD_SECONDS, after a warm-up, then the wait
 *      until every projection has passed the last event: the bookings accepted over both. What the API accepts while
 *      the projections fall behind is not a rate it can keep up (the backlog grows without end);
 *   2. open loop at 1x and 2x that rate, BENCH_OVERLOAD_SECONDS each: commands arrive on a fixed timetable whatever
 *      the answers do, latency counted from each command's due instant. Reported per step: the rate achieved (201s a
 *      second), the share answered 503 (shed), p50 and p99 of the accepted commands, and the engine's RSS before the
 *      step, its peak during it (sampled every 250 ms) and after the projections have caught up and
 *      BENCH_OVERLOAD_SETTLE_SECONDS of quiet.
 * Every booking answered 201 is looked up in the log by its id: none may be missing.
 *
 * Targets (issue 15): at 2x, p99 of accepted commands < 1 s, no accepted command lost, and the RSS after the settle
 * within 50 MB of the RSS before the first open-loop step.
 *
 * Knobs (environment): BENCH_OVERLOAD_SECONDS (BENCH_RUN_SECONDS or 60), BENCH_OVERLOAD_SETTLE_SECONDS (60),
 * BENCH_OVERLOAD_WARMUP_SECONDS (BENCH_WARMUP_SECONDS or 3), BENCH_OVERLOAD_CUSTOMERS (1000),
 * BENCH_OVERLOAD_MULTIPLES ("1,2": the open-loop rates as multiples of the sustainable one), BENCH_OVERLOAD_RATE (the 1x
 * rate, commands a second, instead of the measured one: to compare builds at the same offered rate).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Pool } from 'pg';
import { envNumber, fmt, log, sleep } from './bench-support';
import { booking, registerCustomers } from './http-customers';
import { runEngineBench, type RunningEngine } from './http-engine';
import { closedLoop, httpClient, openLoop, percentile, type HttpClient, type LoadResult } from './http-load';

const SECONDS = envNumber('BENCH_OVERLOAD_SECONDS', envNumber('BENCH_RUN_SECONDS', 60));
const SETTLE_SECONDS = envNumber('BENCH_OVERLOAD_SETTLE_SECONDS', 60);
const WARMUP_SECONDS = envNumber('BENCH_OVERLOAD_WARMUP_SECONDS', envNumber('BENCH_WARMUP_SECONDS', 3));
const CUSTOMERS = envNumber('BENCH_OVERLOAD_CUSTOMERS', 1000);
const MULTIPLES = (process.env.BENCH_OVERLOAD_MULTIPLES ?? '1,2').split(',').map(Number);
/** A 1x rate to use instead of the one measured (to compare builds at the same offered rate); the closed loop still runs. */
const PINNED_RATE = process.env.BENCH_OVERLOAD_RATE === undefined ? undefined : envNumber('BENCH_OVERLOAD_RATE', 0);
const CLIENTS = 32;
/**
 * The client's own bound on unanswered commands: far above what the engine lets in (its 503s come back at once), so
 * arrivals are sent on time; past it they are counted as not sent.
 */
const CLIENT_IN_FLIGHT = 1024;
const P99_TARGET_MS = 1000;
const RSS_TARGET_MIB = 50 / 1.048576;

if (MULTIPLES.some((m) => !(m > 0))) throw new Error('BENCH_OVERLOAD_MULTIPLES is a list of positive numbers');

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Step {
  label: string;
  offered: number;
  result: LoadResult;
  rss: { before: number; peak: number; after: number; after10: number; withinFrom: number | null };
}

/**
 * SETTLE_SECONDS of quiet, the RSS read every second: the RSS 10 s in and at the end, and after how many seconds it
 * was first within the target of `baseline`. The memory comes back in steps, not at once: the touchpoint thread stops
 * 5 s after its last batch, and each thread's heap shrinks once V8 sees it idle (20-40 s after the catch-up, measured).
 */
async function settle(engine: RunningEngine, baseline: number): Promise<{ after: number; after10: number; withinFrom: number | null }> {
  let after10 = engine.rssMiB();
  let withinFrom: number | null = null;
  for (let second = 1; second <= SETTLE_SECONDS; second++) {
    await sleep(1000);
    const rss = engine.rssMiB();
    if (second === 10) after10 = rss;
    if (withinFrom === null && rss - baseline <= RSS_TARGET_MIB) withinFrom = second;
  }
  return { after: engine.rssMiB(), after10: SETTLE_SECONDS >= 10 ? after10 : engine.rssMiB(), withinFrom };
}

/** The engine's peak RSS while `work` runs, sampled every 250 ms. */
async function withPeakRss<T>(engine: RunningEngine, work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = engine.rssMiB();
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, engine.rssMiB());
    } catch {
      // the engine is gone: the step fails on its own
    }
  }, 250);
  try {
    const value = await work();
    return { value, peak: Math.max(peak, engine.rssMiB()) };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Waits until every projection has passed every event in the log; returns the seconds it took. Projections go in
 * commit order (transaction id, then position), so the event with the highest position may lie behind a checkpoint
 * whose position is lower: comparing positions waited for ever once the last two commits crossed.
 */
async function projectionsCaughtUp(databaseUrl: string): Promise<number> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 }).on('error', () => undefined);
  const started = performance.now();
  try {
    for (;;) {
      const { rows } = await pool.query<{ behind: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM read_models.projection_checkpoints c, event_store.events e
                         WHERE (e.transaction_id, e.global_position) > (split_part(c.checkpoint, ':', 1)::xid8, split_part(c.checkpoint, ':', 2)::bigint)) AS behind`,
      );
      if (!rows[0].behind) return (performance.now() - started) / 1000;
      await sleep(100);
    }
  } finally {
    await pool.end();
  }
}

/**
 * p99 of the accepted commands answered in a step's first 10 s, and after them: the tail at 2x was all in the first
 * seconds, while the client opened the connections the higher rate needs (bench/RESULTS.md).
 */
function p99Split(result: LoadResult): string {
  const p99Of = (keep: (atMs: number) => boolean): string => {
    const sorted = result.timeline.filter(([atMs]) => keep(atMs)).map(([, ms]) => ms).sort((a, b) => a - b);
    return sorted.length ? `${percentile(sorted, 99).toFixed(0)} ms` : 'none';
  };
  return `p99 of those answered in the first 10 s ${p99Of((at) => at < 10_000)}, after ${p99Of((at) => at >= 10_000)}`;
}

/** How many of the booking ids are TripBooked events in the log. */
async function inLog(databaseUrl: string, bookingIds: string[]): Promise<number> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 }).on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(DISTINCT data->>'bookingId') AS n FROM event_store.events WHERE type = 'TripBooked' AND data->>'bookingId' = ANY($1)`, [bookingIds]);
    return Number(rows[0].n);
  } finally {
    await pool.end();
  }
}

const startedAt = new Date();
runEngineBench({}, async (running, database, connections) => {
  const lines: string[] = [];
  const rssStart = running.rssMiB();
  const token = await running.createKey('agent');
  const http = httpClient(running.url, token, CLIENTS);
  const arrivals = httpClient(running.url, token, CLIENT_IN_FLIGHT);
  connections.push(http, arrivals);
  const tag = randomBytes(3).toString('hex');
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => `overload-${tag}-${i}`);
  await registerCustomers(http, customers);
  log(`registered ${fmt(CUSTOMERS)} customers; engine RSS ${running.rssMiB().toFixed(1)} MiB (${rssStart.toFixed(1)} at start); load ${load()}`);

  // Every booking answered 201, by id, to be found in the log at the end.
  const accepted: string[] = [];
  const book = (via: HttpClient, customerId: string) => {
    const body = booking();
    return via.post(`/customers/${customerId}/bookings`, body).then((answer) => {
      if (answer.status === 201) accepted.push(body.bookingId);
      return answer;
    });
  };
  // Closed-loop client w books for customers w, w + 32, ... in turn, so no two clients write one stream at once.
  const turns = new Array<number>(CLIENTS).fill(0);
  const closedCommand = (w: number) => book(http, customers[(w + CLIENTS * turns[w]++) % CUSTOMERS]);

  await closedLoop(8, WARMUP_SECONDS * 1000, closedCommand, 201);
  const sustained = await closedLoop(CLIENTS, SECONDS * 1000, closedCommand, 201);
  const catchUp = await projectionsCaughtUp(database.url);
  const sustainable = sustained.ok / (sustained.seconds + catchUp);
  log(
    `sustainable: ${CLIENTS} clients, closed loop: ${fmt(sustained.ok / sustained.seconds)} commands/s accepted, the projections caught up ${catchUp.toFixed(1)} s after: ` +
      `${fmt(sustainable)} commands/s over both; p50 ${percentile(sustained.latencies, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(sustained.latencies, 99).toFixed(1)} ms, ${sustained.errors} failed (${sustained.shed} answered 503)`,
  );
  if (!sustained.ok) throw new Error(`no booking answered 201 in the closed loop: ${sustained.errorSamples.join(' | ')}`);

  const steps: Step[] = [];
  await sleep(SETTLE_SECONDS * 1000);
  const rssBeforeLoad = running.rssMiB();
  for (const multiple of MULTIPLES) {
    const offered = Math.max(1, Math.round((PINNED_RATE ?? sustainable) * multiple));
    const before = running.rssMiB();
    const cpuBefore = running.cpuSeconds();
    let next = 0;
    const { value: result, peak } = await withPeakRss(running, () => openLoop(offered, SECONDS * 1000, () => book(arrivals, customers[next++ % CUSTOMERS]), 201, CLIENT_IN_FLIGHT, true));
    const cpuMs = ((running.cpuSeconds() - cpuBefore) * 1000) / Math.max(1, result.ok + result.errors - result.unsent);
    const stepCatchUp = await projectionsCaughtUp(database.url);
    const settled = await settle(running, rssBeforeLoad);
    const step: Step = { label: `${multiple}x`, offered, result, rss: { before, peak, ...settled } };
    steps.push(step);
    log(
      `open loop ${step.label} (${fmt(offered)}/s offered): ${fmt(result.ok / result.seconds)}/s accepted, ${((result.shed / Math.max(1, result.ok + result.errors)) * 100).toFixed(1)} % shed, ` +
        `p50 ${percentile(result.latencies, 50).toFixed(1)} ms, p99 ${percentile(result.latencies, 99).toFixed(1)} ms (${p99Split(result)}), ${result.errors - result.shed - result.unsent} failed otherwise, ` +
        `${result.unsent} not sent; the generator sent p99 ${percentile(result.sendLateness, 99).toFixed(1)} ms late; engine CPU ${cpuMs.toFixed(2)} ms per answer; projections caught up ${stepCatchUp.toFixed(1)} s after; ` +
        `RSS ${step.rss.before.toFixed(1)} -> peak ${step.rss.peak.toFixed(1)} -> ${step.rss.after10.toFixed(1)} MiB 10 s after that, ${step.rss.after.toFixed(1)} MiB ${SETTLE_SECONDS} s after ` +
        `(first within 50 MB of ${rssBeforeLoad.toFixed(1)} MiB ${step.rss.withinFrom === null ? 'at no second' : `at ${step.rss.withinFrom} s`}); load ${load()}`,
    );
  }

  const found = await inLog(database.url, accepted);
  log(`${fmt(found)} of ${fmt(accepted.length)} bookings answered 201 are in the log`);
  const last = steps[steps.length - 1];
  const p99 = percentile(last.result.latencies, 99);
  const growth = last.rss.after - rssBeforeLoad;
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const ms = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`);
  lines.push(
    `## Overload benchmark: open loop at 1x and 2x the sustainable rate, ${startedAt.toISOString()}`,
    '',
    `- engine: node dist/apps/api/src/main.js (API and, in a worker thread, the projector in one process); MAX_IN_FLIGHT_COMMANDS ${process.env.MAX_IN_FLIGHT_COMMANDS ?? 'default'}, MAX_API_BUSY_PERCENT ${process.env.MAX_API_BUSY_PERCENT ?? 'default'}; ${database.description}`,
    `- command: POST /customers/:id/bookings over ${fmt(CUSTOMERS)} customers; sustainable rate: ${CLIENTS} clients in a closed loop for ${SECONDS} s ` +
      `(${fmt(sustained.ok / sustained.seconds)}/s accepted), the projections caught up ${catchUp.toFixed(1)} s after: ${fmt(sustainable)} commands/s over both` +
      (PINNED_RATE === undefined ? '' : `; the open loop's 1x pinned at ${fmt(PINNED_RATE)}/s instead (BENCH_OVERLOAD_RATE)`),
    `- open loop: ${SECONDS} s per step, latency from each command's due instant; RSS once the projections caught up and ${SETTLE_SECONDS} s of quiet; load average at end: ${load()}`,
    '',
    `**At ${last.label}: p99 of accepted commands ${ms(p99)} (target < ${P99_TARGET_MS} ms: ${met(p99 < P99_TARGET_MS)}); ` +
      `${fmt(found)} of ${fmt(accepted.length)} accepted bookings in the log (none lost: ${met(found === accepted.length)}); ` +
      `RSS ${rssBeforeLoad.toFixed(1)} MiB before the open loop, ${last.rss.after.toFixed(1)} MiB after ${SETTLE_SECONDS} s of quiet (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB, target within 50 MB: ${met(Math.abs(growth) < RSS_TARGET_MIB)}).**`,
    '',
    `| offered | commands/s offered | accepted/s | shed (503) | p50 accepted | p99 accepted | other failures | not sent | RSS before / peak / after 10 s / after ${SETTLE_SECONDS} s (MiB) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...steps.map(
      ({ label, offered, result, rss }) =>
        `| ${[
        label,
        fmt(offered),
        fmt(result.ok / result.seconds),
        `${((result.shed / Math.max(1, result.ok + result.errors)) * 100).toFixed(1)} %`,
        ms(percentile(result.latencies, 50)),
        ms(percentile(result.latencies, 99)),
        fmt(result.errors - result.shed - result.unsent),
        fmt(result.unsent),
        `${rss.before.toFixed(1)} / ${rss.peak.toFixed(1)} / ${rss.after10.toFixed(1)} / ${rss.after.toFixed(1)}`,
        ].join(' | ')} |`,
    ),
  );
  const samples = steps.filter((s) => s.result.errors - s.result.shed > 0).map((s) => `- ${s.label}, failures: ${s.result.errorSamples.join(' | ')}`);
  if (samples.length) lines.push('', ...samples);
  if (found !== accepted.length) throw new Error(`${accepted.length - found} bookings answered 201 are not in the log`);
  return lines;
});
