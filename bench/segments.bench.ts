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
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { createApi } from '../apps/api/src/app';
import { sampleBeta, sampleGamma } from '../libs/clv/src';
import { customerStreamId } from '../libs/domain/src';
import type { NewEvent, StreamAppend } from '../libs/event-store/src';
import { loadConfig, openRuntime } from '../apps/engine/src';
import { fitAndRecord, scoreAndRecord, type ChurnFit, type ScoringSummary } from '../projections/churn/churn-model';
import { evaluateAndRecord, type EvaluationSummary } from '../projections/segments/segment-evaluation';
import { segmentChanges } from '../projections/segments/segments.queries';
import { envNumber, fmt, log, machine, median, withBenchDatabase } from './bench-support';

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

const DAY = 86_400_000;
/** The first evaluation; the log starts four years before it and ends at the last evaluation. */
const FIRST = Date.parse('2026-10-01T02:00:00Z');
const DAILY = Array.from({ length: RUNS }, (_, i) => FIRST + (i + 1) * DAY);
const MONTHLY = Array.from({ length: RUNS }, (_, i) => DAILY[RUNS - 1] + (i + 1) * 30 * DAY);
const START = FIRST - 4 * 365 * DAY;
const END = MONTHLY[RUNS - 1];
const iso = (at: number): string => new Date(at).toISOString();

// ---------------------------------------------------------------------------------------------------------------
// The log: one customer's history from a PRNG seeded by its number, so every run writes the same facts.
// ---------------------------------------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough for test data. */
const prng = (seed: number) => (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const pick = <T>(rand: () => number, weighted: readonly (readonly [T, number])[]): T => {
  let u = rand();
  for (const [value, weight] of weighted) if ((u -= weight) < 0) return value;
  return weighted[weighted.length - 1][0];
};

const PRODUCTS = [['package', 0.35], ['city-break', 0.15], ['family-package', 0.12], ['flight-hotel', 0.12], ['cruise', 0.08], ['ski', 0.06], ['adventure', 0.06], ['safari', 0.03], ['trekking', 0.03]] as const;
/** Price per traveller in major units: [from, to]. */
const PRICES: Record<string, [number, number]> = { cruise: [1200, 4000], safari: [2500, 6000], 'city-break': [250, 900] };
const CURRENCIES = [['EUR', 0.85], ['USD', 0.1], ['GBP', 0.05]] as const;
const CHANNELS = [['web', 0.55], ['agent', 0.25], ['phone', 0.1], ['app', 0.1]] as const;
const DESTINATIONS = [['ES', 'Palma'], ['PT', 'Lisbon'], ['GR', 'Crete'], ['IT', 'Rome'], ['IS', 'Reykjavik'], ['JP', 'Kyoto'], ['TH', 'Phuket'], ['US', 'New York'], ['ZA', 'Cape Town'], ['NO', 'Bergen']] as const;
const TAGS = ['family', 'golf', 'wellness', 'beach', 'culture'];
/** BG/NBD heterogeneity of the bookers: rate ~ Gamma(r, alpha) per month (mean 0.15), dropout ~ Beta(a, b) (mean 0.26). */
const BOOKING_RATE = { r: 0.9, alpha: 6, a: 1.2, b: 3.5 };
const MONTH_MS = (365.25 / 12) * DAY;

const metadata = (actor: { id: string; role: string }, source: string): NewEvent['metadata'] => ({
  correlationId: randomUUID(),
  causationId: randomUUID(),
  actor,
  source,
  // Stamped by the schema-aware store (TripBooked is at version 2).
  schemaVersion: 1,
});
/** Shared objects: the store stamps a metadata object once per schema version. */
const IMPORTED = metadata({ id: 'import', role: 'import' }, 'import');
const BY_AGENT = metadata({ id: 'agent-0042', role: 'agent' }, 'api');

const event = (type: string, at: number, data: Record<string, unknown>, meta = IMPORTED): NewEvent => ({ eventId: randomUUID(), type, occurredAt: iso(at), data, metadata: meta });

/** Registration, bookings with departures, returns and some cancellations, tags, VIP grants; oldest first. */
function customerEvents(c: number): { customerId: string; events: NewEvent[] } {
  const rand = prng(c + 1);
  const customerId = `cust-${String(c).padStart(7, '0')}`;
  const registeredAt = START + Math.floor(rand() * (END - START - 10 * DAY));
  const tags = rand() < 0.25 ? [TAGS[Math.floor(rand() * TAGS.length)]] : [];
  const events = [
    event('CustomerRegistered', registeredAt, {
      customerId, name: `Traveller ${c}`, email: `traveller${c}@example.com`, timeZone: 'Europe/Berlin', language: 'de', preferredChannel: 'email', tags, marketingConsent: c % 3 === 0,
    }),
  ];
  const later = (from: number, to = END): number => from + Math.floor(rand() * Math.max(to - from, 1));
  // Bookings as customers behave in the BG/NBD story: each books at its own rate while active and may drop out
  // after any booking, rates and dropout chances differing between customers; 12 % never book.
  const positive = (): number => rand() || Number.MIN_VALUE;
  const rate = sampleGamma(positive, BOOKING_RATE.r, BOOKING_RATE.alpha) / MONTH_MS;
  const dropout = sampleBeta(positive, BOOKING_RATE.a, BOOKING_RATE.b);
  const bookedAt: number[] = [];
  if (rand() >= 0.12) {
    for (let at = registeredAt + 3_600_000 + rand() * 30 * DAY; at <= END && bookedAt.length < 30; at += -Math.log(positive()) / rate) {
      bookedAt.push(Math.floor(at));
      if (rand() < dropout) break;
    }
  }
  bookedAt.forEach((booked, k) => {
    const bookingId = `bk-${c}-${k + 1}`;
    const productType = pick(rand, PRODUCTS);
    const travellers = productType === 'family-package' ? 3 + Math.floor(rand() * 3) : rand() < 0.05 ? 5 : 1 + Math.floor(rand() * 4);
    const [low, high] = PRICES[productType] ?? [500, 2500];
    const [country, city] = DESTINATIONS[Math.floor(rand() * DESTINATIONS.length)];
    const departure = booked + (7 + Math.floor(rand() * 200)) * DAY;
    const back = departure + (3 + Math.floor(rand() * 14)) * DAY;
    const date = (at: number): string => iso(at).slice(0, 10);
    events.push(
      event('TripBooked', booked, {
        bookingId, destination: { country, city }, departureDate: date(departure), returnDate: date(back),
        amount: { value: Math.round((low + rand() * (high - low)) * travellers * 100), currency: pick(rand, CURRENCIES) },
        travellers, productType, channel: pick(rand, CHANNELS),
      }),
    );
    const departs = Date.parse(`${date(departure)}T06:00:00Z`);
    const returns = Date.parse(`${date(back)}T20:00:00Z`);
    if (rand() < 0.08) {
      const cancelled = later(booked, departs);
      if (cancelled <= END) events.push(event('BookingCancelled', cancelled, { bookingId, reason: 'change of plans' }));
    } else {
      if (departs <= END) events.push(event('TripDeparted', departs, { bookingId }));
      if (returns <= END) events.push(event('TripReturned', returns, { bookingId }));
    }
  });
  if (rand() < 0.08) events.push(event('CustomerProfileUpdated', later(registeredAt), { tags: [TAGS[Math.floor(rand() * TAGS.length)], 'city'] }));
  if ((bookedAt.length >= 3 && rand() < 0.06) || rand() < 0.003) {
    const granted = later(bookedAt[2] ?? registeredAt);
    events.push(event('VipStatusGranted', granted, { reason: 'top customer (agent decision)' }, BY_AGENT));
    if (rand() < 0.15) events.push(event('VipStatusRevoked', later(granted), { reason: 'no longer travelling with us' }, BY_AGENT));
  }
  return { customerId, events };
}

/** The rest of the event budget: contacts and surveys, which segment_facts reads past but does not apply. */
function addContacts(c: number, events: NewEvent[], count: number): void {
  const rand = prng(-c - 1);
  const from = Date.parse(events[0].occurredAt);
  for (let i = 0; i < count; i++) {
    const at = from + Math.floor(rand() * (END - from));
    events.push(
      rand() < 0.7
        ? event('InteractionLogged', at, { interactionId: `in-${c}-${i}`, channel: 'email', direction: 'inbound', topic: 'question', summary: 'Asked about luggage allowance' })
        : event('SurveyAnswered', at, { surveyId: `sv-${c}-${i}`, nps: Math.floor(rand() * 11) }),
    );
  }
  events.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
}

/** Appends every customer's stream, 1,000 customers per appendBatch, two batches at a time. */
async function writeLog(store: { appendBatch(appends: StreamAppend[]): Promise<void> }): Promise<{ events: number; seconds: number }> {
  let next = 0;
  let written = 0;
  let reported = 0;
  const batch = (): StreamAppend[] => {
    const appends: StreamAppend[] = [];
    for (; appends.length < 1000 && next < CUSTOMERS; next++) {
      const { customerId, events } = customerEvents(next);
      // Contacts keep the running total 50 events under EVENTS * (customers so far / CUSTOMERS), room enough for the
      // last customer's own history, whose contacts then make up exactly EVENTS.
      const due = next === CUSTOMERS - 1 ? EVENTS : Math.round((EVENTS * (next + 1)) / CUSTOMERS) - 50;
      addContacts(next, events, Math.max(0, due - written - events.length));
      written += events.length;
      appends.push({ streamId: customerStreamId(customerId), events, expectedVersion: 'no_stream' });
    }
    return appends;
  };
  const started = performance.now();
  await Promise.all(
    [0, 1].map(async () => {
      for (let appends = batch(); appends.length; appends = batch()) {
        await store.appendBatch(appends);
        if (written - reported >= 200_000) log(`  written ~${fmt((reported = written))} events`);
      }
    }),
  );
  return { events: written, seconds: (performance.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------------------------------------------
// Timing an evaluation from outside: every query of its client, start to end (COPY: until the stream finished).
// ---------------------------------------------------------------------------------------------------------------

interface Mark {
  label: string;
  start: number;
  end: number;
}

const labelOf = (query: unknown): string => {
  const sql = typeof query === 'string' ? query : String((query as { text?: unknown }).text ?? '?');
  return sql.replace(/\s+/g, ' ').replace(/to_char\((\w+) AT TIME ZONE[^)]*\)/g, '$1').trim().slice(0, 70);
};

function timedPool(pool: Pool, marks: Mark[]): Pool {
  const connect = async (): Promise<unknown> => {
    const client = await pool.connect();
    return new Proxy(client, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (property !== 'query') return value.bind(target);
        return (...args: unknown[]): unknown => {
          const mark: Mark = { label: labelOf(args[0]), start: performance.now(), end: Number.NaN };
          marks.push(mark);
          const done = (): void => void (mark.end = performance.now());
          const result = (value as (...a: unknown[]) => unknown).apply(target, args) as { then?: unknown; once?: unknown };
          if (typeof result?.then === 'function') (result as Promise<unknown>).then(done, done);
          else if (typeof result?.once === 'function') (result as NodeJS.EventEmitter).once('finish', done);
          return result;
        };
      },
    });
  };
  return { connect } as unknown as Pool;
}

/** Per query: its own time, and the JavaScript that ran after it returned until the next query. */
const phasesOf = (marks: Mark[]): { label: string; queryMs: number; afterMs: number }[] =>
  marks.map((mark, i) => ({ label: mark.label, queryMs: mark.end - mark.start, afterMs: i + 1 < marks.length ? marks[i + 1].start - mark.end : 0 }));

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
    const written = await writeLog(runtime.store);
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
      const summary = await evaluateAndRecord(timedPool(runtime.readModels, marks), runtime.segments, { asOf: iso(at), trigger: 'schedule' });
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
    const httpSeconds: number[] = [];
    const querySeconds: number[] = [];
    let bodyBytes = 0;
    for (let round = 0; round <= FEED_ROUNDS; round++) {
      for (const after of cursors) {
        started = performance.now();
        const response = await fetch(`http://127.0.0.1:${port}/segments/changes?after=${after}&limit=${PAGE}`);
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
      const fit = await fitAndRecord(runtime.readModels, settings, { cutoff: churnAt, trigger: 'on-demand', actor: 'bench' });
      fits.push({ seconds: (performance.now() - started) / 1000, fit });
      started = performance.now();
      const summary = await scoreAndRecord(runtime.readModels, settings, churnAt);
      scorings.push({ seconds: (performance.now() - started) / 1000, summary });
      log(`churn run ${run + 1}: fit ${fits[run].seconds.toFixed(2)} s, scoring ${scorings[run].seconds.toFixed(2)} s (${fmt(summary.customers)} customers)`);
    }
    // The touchpoint schedule of the same log, built by its projection (issue 6).
    started = performance.now();
    const touchpointEvents = await runtime.projector.catchUp('touchpoints');
    const touchpointSeconds = (performance.now() - started) / 1000;
    const touchpointCounts = await runtime.readModels.query<{ bookings: string; rows: string }>(
      `SELECT (SELECT count(*) FROM read_models.touchpoint_facts, jsonb_array_elements(facts->'bookings')) AS bookings, (SELECT count(*) FROM read_models.touchpoints) AS rows`,
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
