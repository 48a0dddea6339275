/**
 * HTTP benchmark (issue 14, never part of `npm test`): `npm run bench:http`, or
 *   npm run build && node dist/bench/http.bench.js
 *
 * Starts the built engine (dist/apps/api/src/main.js, as `npm start` runs it: API and projector in one process) on
 * a fresh embedded PostgreSQL (or a fresh database on DATABASE_URL) with the rate limit lifted, makes an agent key
 * with the keys CLI, registers BENCH_HTTP_CUSTOMERS customers, then books trips (POST /customers/:id/bookings, one
 * TripBooked each, 201 expected) over loopback with keep-alive sockets:
 *   1. closed loop, 1, 8 and 32 clients (BENCH_HTTP_CLIENTS), BENCH_HTTP_SECONDS each: commands/s, p50, p99;
 *   2. open loop, fixed-rate arrivals at BENCH_HTTP_RATES commands/s, BENCH_HTTP_STEP_SECONDS each, in ascending
 *      order until a rate's p99 reaches 20 ms (or any command fails): the highest rate that held, and the p99 at
 *      300 commands/s (measured even if a lower rate already failed).
 * Latency is from the instant a command was sent (closed loop) or due (open loop) to its whole answer. The engine's
 * RSS (VmRSS of its node process) is read at start and at the end, and sampled for the peak. The engine is stopped
 * at the end, on failure and on SIGINT/SIGTERM; every step is bounded in time and in commands.
 *
 * In the same run, the store's own rate as the reference for the HTTP figures: this engine's PostgreSQL store
 * appending one event per append from 8 writers (own streams) for BENCH_HTTP_SECONDS into the engine's database,
 * while the engine runs (its sealer seals them too). Last, a memory soak: BENCH_HTTP_SOAK_SECONDS (300) of open-loop
 * bookings at BENCH_HTTP_SOAK_RATE (300) commands/s, the engine's RSS growth from its start to its end.
 *
 * Knobs (environment): BENCH_HTTP_SECONDS (BENCH_RUN_SECONDS or 10), BENCH_HTTP_WARMUP_SECONDS (BENCH_WARMUP_SECONDS
 * or 3), BENCH_HTTP_CLIENTS ("1,8,32"), BENCH_HTTP_RATES ("50,100,200,300,400,500,600,800,1000,1200"),
 * BENCH_HTTP_STEP_SECONDS (BENCH_RUN_SECONDS or 5), BENCH_HTTP_P99_MS (20), BENCH_HTTP_CUSTOMERS (1000),
 * BENCH_HTTP_PROJECTOR (true; false runs the API alone).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { cpuSample, envNumber, fmt, log, runFor, serverCpuBetween } from './bench-support';
import { newStreams, tripBooked } from './bench-events';
import { PostgresEventStore } from '../libs/event-store/src';
import { runEngineBench } from './http-engine';
import { booking, registerCustomers } from './http-customers';
import { closedLoop, httpClient, openLoop, percentile, type HttpClient, type LoadResult } from './http-load';

// BENCH_RUN_SECONDS and BENCH_WARMUP_SECONDS, the other benchmarks' knobs, shorten this one too (a smoke run of
// `npm run bench`); the BENCH_HTTP_* knobs win.
const runSeconds = (fallback: number): number => envNumber('BENCH_RUN_SECONDS', fallback);
const SECONDS = envNumber('BENCH_HTTP_SECONDS', runSeconds(10));
const WARMUP_SECONDS = envNumber('BENCH_HTTP_WARMUP_SECONDS', envNumber('BENCH_WARMUP_SECONDS', 3));
const CLIENTS = (process.env.BENCH_HTTP_CLIENTS ?? '1,8,32').split(',').map(Number);
const RATES = (process.env.BENCH_HTTP_RATES ?? '50,100,200,300,400,500,600,800,1000,1200').split(',').map(Number);
const STEP_SECONDS = envNumber('BENCH_HTTP_STEP_SECONDS', runSeconds(5));
const P99_TARGET_MS = envNumber('BENCH_HTTP_P99_MS', 20);
const CUSTOMERS = envNumber('BENCH_HTTP_CUSTOMERS', 1000);
/** The memory soak: open loop at the reference rate for this long, the engine's RSS before and after. */
const SOAK_SECONDS = envNumber('BENCH_HTTP_SOAK_SECONDS', 300);
const SOAK_RATE = envNumber('BENCH_HTTP_SOAK_RATE', 300);
/** false: the API alone (npm run start:api), to tell the command path's cost from the in-process projector's. */
const PROJECTOR = (process.env.BENCH_HTTP_PROJECTOR ?? 'true').toLowerCase() !== 'false';
const REFERENCE_RATE = 300;
/**
 * Open loop: beyond this many unanswered commands the server is not keeping up and the step stops sending. The open
 * loop has as many sockets, so no arrival waits for a connection and each one ends within the request timeout.
 */
const MAX_IN_FLIGHT = 256;
const CLOSED_LOOP_SOCKETS = 64;
const PAUSE_MS = 1000;

if ([...CLIENTS, ...RATES].some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('BENCH_HTTP_CLIENTS and BENCH_HTTP_RATES are lists of positive integers');
if (Math.max(8, ...CLIENTS) > CUSTOMERS) throw new Error('BENCH_HTTP_CUSTOMERS must be at least the largest client count (each client books for customers of its own)');

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const pause = (): Promise<void> => new Promise((done) => setTimeout(done, PAUSE_MS));

interface Row {
  label: string;
  result: LoadResult;
  /** CPU ms per command: the engine's node process / all PostgreSQL processes. */
  cpu: string;
}

async function countBooked(databaseUrl: string): Promise<number> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 }).on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM event_store.events WHERE type = 'TripBooked' AND stream_id LIKE 'customer-bench-%'`);
    return Number(rows[0].n);
  } finally {
    await pool.end();
  }
}

const summary = (r: LoadResult) => ({
  rate: r.ok / r.seconds,
  p50: percentile(r.latencies, 50),
  p99: percentile(r.latencies, 99),
});

const startedAt = new Date();
runEngineBench({ RUN_PROJECTOR: String(PROJECTOR) }, async (running, database, connections) => {
  const lines: string[] = [];
  let peakRss = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const rssStart = running.rssMiB();
    peakRss = rssStart;
    sampler = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, running.rssMiB());
      } catch {
        // the engine is gone; the step that needs it will say so
      }
    }, 500);
    log(`engine RSS at start ${rssStart.toFixed(1)} MiB; load ${load()}`);
    const token = await running.createKey('agent');
    const http = httpClient(running.url, token, CLOSED_LOOP_SOCKETS);
    const arrivals = httpClient(running.url, token, MAX_IN_FLIGHT);
    connections.push(http, arrivals);

    const tag = randomBytes(3).toString('hex');
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => `bench-${tag}-${i}`);
    const registerStarted = performance.now();
    await registerCustomers(http, customers);
    log(`registered ${fmt(CUSTOMERS)} customers in ${((performance.now() - registerStarted) / 1000).toFixed(1)} s`);

    // The store's own 8-writer rate on this server, in this run: what the HTTP figures are held against.
    const storeRate = await (async () => {
      const store = new PostgresEventStore({ connectionString: database.url, max: 8 });
      try {
        const streams = Array.from({ length: 8 }, () => newStreams(10));
        const turns = new Array<number>(8).fill(0);
        const run = await runFor(SECONDS * 1000, 8, async (w) => {
          const stream = streams[w][turns[w]++ % 10];
          stream.version = (await store.append(stream.id, [tripBooked(stream.customerId)], { expectedVersion: stream.version })).version;
        }, database.postmasterPid);
        log(`the store alone, 1 event per append, 8 writers: ${fmt(run.rate)} events/s`);
        return run.rate;
      } finally {
        await store.close();
      }
    })();

    // A command for the i-th sender: closed-loop client w books for customers w, w + clients, ... in turn, so no
    // two clients write one stream at once; open-loop command i goes to customer i mod CUSTOMERS.
    const bookFor = (via: HttpClient, id: string) => via.post(`/customers/${id}/bookings`, booking());
    const closedCommand = (clients: number) => {
      const own = Array.from({ length: clients }, (_, w) => customers.filter((__, i) => i % clients === w));
      const turns = new Array<number>(clients).fill(0);
      return (w: number) => bookFor(http, own[w][turns[w]++ % own[w].length]);
    };
    const openCommand = (i: number) => bookFor(arrivals, customers[i % CUSTOMERS]);
    let answered = 0;
    let unanswered = 0;
    const measured = async (label: string, run: () => Promise<LoadResult>): Promise<Row> => {
      const before = cpuSample(database.postmasterPid);
      const engineBefore = running.cpuSeconds();
      const result = await run();
      answered += result.ok;
      unanswered += result.errors - result.unsent;
      const server = serverCpuBetween(before, cpuSample(database.postmasterPid));
      const perCommand = (seconds: number): string => fmt((seconds / Math.max(1, result.ok)) * 1000, 2);
      const cpu = `${perCommand(running.cpuSeconds() - engineBefore)} / ${server === null ? 'n/a' : perCommand(server)}`;
      const s = summary(result);
      log(
        `${label}: ${fmt(s.rate)} commands/s, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, ` +
          `${fmt(result.ok)} ok, ${result.errors - result.unsent} failed, ${result.unsent} not sent${result.errorSamples.length ? ` (${result.errorSamples.join(' | ')})` : ''}; ` +
          `RSS ${running.rssMiB().toFixed(1)} MiB; load ${load()}`,
      );
      return { label, result, cpu };
    };

    log(`warm-up: 8 clients for ${WARMUP_SECONDS} s`);
    await measured('warm-up', () => closedLoop(8, WARMUP_SECONDS * 1000, closedCommand(8), 201));
    const closed: Row[] = [];
    for (const clients of CLIENTS) {
      await pause();
      closed.push(await measured(`closed loop, ${clients} client${clients > 1 ? 's' : ''}`, () => closedLoop(clients, SECONDS * 1000, closedCommand(clients), 201)));
    }

    const open: Row[] = [];
    const held = (row: Row): boolean => row.result.errors === 0 && row.result.ok > 0 && summary(row.result).p99 < P99_TARGET_MS;
    let highest: number | null = null;
    for (const rate of [...RATES].sort((a, b) => a - b)) {
      await pause();
      const row = await measured(`open loop, ${rate}/s`, () => openLoop(rate, STEP_SECONDS * 1000, openCommand, 201, MAX_IN_FLIGHT));
      open.push(row);
      if (!held(row)) break;
      highest = rate;
    }
    if (!open.some((row) => row.label === `open loop, ${REFERENCE_RATE}/s`)) {
      await pause();
      open.push(await measured(`open loop, ${REFERENCE_RATE}/s`, () => openLoop(REFERENCE_RATE, STEP_SECONDS * 1000, openCommand, 201, MAX_IN_FLIGHT)));
    }
    // The soak: steady load at the reference rate; the engine's memory from before it to after it.
    await pause();
    const rssBeforeSoak = running.rssMiB();
    const soak = SOAK_SECONDS > 0 ? await measured(`soak, ${SOAK_RATE}/s for ${SOAK_SECONDS} s`, () => openLoop(SOAK_RATE, SOAK_SECONDS * 1000, openCommand, 201, MAX_IN_FLIGHT, true)) : null;
    const rssAfterSoak = running.rssMiB();
    if (soak) log(`soak: engine RSS ${rssBeforeSoak.toFixed(1)} -> ${rssAfterSoak.toFixed(1)} MiB (${(rssAfterSoak - rssBeforeSoak).toFixed(1)} MiB)`);

    // Every 201 is a TripBooked in the log; a command that failed on the wire (timeout) may have landed too.
    const booked = await countBooked(database.url);
    if (booked < answered || booked > answered + unanswered) {
      throw new Error(`${fmt(answered)} bookings answered 201 (${unanswered} more sent and failed), the log holds ${fmt(booked)} TripBooked events`);
    }
    log(`the log holds ${fmt(booked)} TripBooked events for ${fmt(answered)} answered bookings (${unanswered} sent and failed)`);
    const reference = open.find((row) => row.label === `open loop, ${REFERENCE_RATE}/s`);
    const rssEnd = running.rssMiB();
    peakRss = Math.max(peakRss, rssEnd);

    const ms = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`);
    const row = ({ label, result, cpu }: Row): string => {
      const s = summary(result);
      return `| ${label} | ${fmt(s.rate)} | ${ms(s.p50)} | ${ms(s.p99)} | ${fmt(result.ok)} | ${result.errors - result.unsent} | ${result.unsent} | ${cpu} |`;
    };
    lines.push(
      `## HTTP benchmark: the running engine, ${startedAt.toISOString()}`,
      '',
      `- engine: node dist/apps/api/src/main.js (${PROJECTOR ? 'API and projector in one process, as npm start runs it' : 'the API alone, RUN_PROJECTOR=false'}); ${database.description}`,
      `- client: this process, Node http with keep-alive sockets to 127.0.0.1 (closed loop at most ${CLOSED_LOOP_SOCKETS}, open loop ${MAX_IN_FLIGHT}); one agent key made with --rate-limit 1000000`,
      `- every answered booking checked in the log: ${fmt(booked)} TripBooked events for ${fmt(answered)} answers 201`,
      `- command: POST /customers/:id/bookings (BookTrip, one TripBooked), 201 expected, over ${fmt(CUSTOMERS)} registered customers`,
      `- closed loop: warm-up ${WARMUP_SECONDS} s (8 clients), then ${SECONDS} s per client count; open loop: ${STEP_SECONDS} s per rate, latency from each command's due instant`,
      `- load average at end: ${load()}`,
      '',
      `**Highest open-loop rate with p99 < ${P99_TARGET_MS} ms and no failures: ${highest === null ? `none of ${RATES.join(', ')}` : `${fmt(highest)} commands/s`}` +
        `${highest !== null && highest === Math.max(...RATES) ? ' (the highest rate tried: raise BENCH_HTTP_RATES)' : ''}. ` +
        `p99 at ${REFERENCE_RATE} commands/s: ${reference ? ms(summary(reference.result).p99) : 'n/a'}. ` +
        `Engine RSS: ${rssStart.toFixed(1)} MiB at start, ${rssEnd.toFixed(1)} MiB at the end (peak sampled ${peakRss.toFixed(1)} MiB).**`,
      '',
      `**The store alone in the same run, 1 event per append, 8 writers: ${fmt(storeRate)} events/s; 32 HTTP clients reach ` +
        `${closed.length ? `${((summary(closed[closed.length - 1].result).rate / storeRate) * 100).toFixed(1)} %` : 'n/a'} of it (target >= 30 %).**`,
      soak
        ? `**Soak, ${SOAK_RATE} commands/s for ${SOAK_SECONDS} s: p99 ${ms(summary(soak.result).p99)}; engine RSS ${rssBeforeSoak.toFixed(1)} -> ${rssAfterSoak.toFixed(1)} MiB, ` +
          `growth ${(rssAfterSoak - rssBeforeSoak).toFixed(1)} MiB (target < 50 MB).**`
        : '(no soak: BENCH_HTTP_SOAK_SECONDS=0)',
      '',
      '| load | commands/s | p50 | p99 | answered 201 | failed | not sent | CPU ms/command engine / PostgreSQL |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...closed.map(row),
      ...open.map(row),
      ...(soak ? [row(soak)] : []),
    );
    const failures = [...closed, ...open, ...(soak ? [soak] : [])].filter((r) => r.result.errorSamples.length);
    if (failures.length) lines.push('', ...failures.map((r) => `- ${r.label}, failures: ${r.result.errorSamples.join(' | ')}`));
  } finally {
    if (sampler) clearInterval(sampler);
  }
  return lines;
});
