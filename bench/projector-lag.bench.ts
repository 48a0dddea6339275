/**
 * Live projector lag benchmark (issue 16, never part of `npm test`): `npm run bench:lag`, or
 *   npm run build && node dist/bench/projector-lag.bench.js
 *
 * Starts the built engine (API and projector in one process, as `npm start` runs it) on a fresh database, registers
 * BENCH_LAG_CUSTOMERS customers (10,000: a handful of bookings each in the run, as travel customers book), then books
 * trips (POST /customers/:id/bookings) in an open loop at BENCH_LAG_RATE commands a second (300) for
 * BENCH_LAG_SECONDS (60). Every 200 ms it samples each read model's lag as `/projections`
 * defines it: how long ago the oldest event past its least advanced partition was recorded (0 when it has passed
 * every event). Reported per read model: the median, p99 and maximum of the samples taken during the load.
 *
 * Target (issue 16): the live projector at 300 commands/s, lag p99 < 1 s.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { envNumber, fmt, log, sleep } from './bench-support';
import { booking, registerCustomers } from './http-customers';
import { runEngineBench } from './http-engine';
import { httpClient, openLoop, percentile } from './http-load';

const RATE = envNumber('BENCH_LAG_RATE', 300);
const SECONDS = envNumber('BENCH_LAG_SECONDS', envNumber('BENCH_RUN_SECONDS', 60));
const CUSTOMERS = envNumber('BENCH_LAG_CUSTOMERS', 10_000);
const TARGET_MS = 1000;

/** Each read model's lag now, in ms: the oldest event past the least advanced checkpoint of its partitions that run. */
const LAG_SQL = `
  SELECT c.name, coalesce(extract(epoch FROM clock_timestamp() - (
           SELECT min(e.recorded_at) FROM event_store.events e
            WHERE (e.transaction_id, e.global_position) > (split_part(c.checkpoint, ':', 1)::xid8, split_part(c.checkpoint, ':', 2)::bigint))) * 1000, 0) AS lag_ms
    FROM (SELECT DISTINCT ON (name) name, checkpoint FROM read_models.projection_checkpoints
           WHERE stopped IS NULL AND name NOT LIKE '%@build'
           ORDER BY name, split_part(checkpoint, ':', 1)::xid8, split_part(checkpoint, ':', 2)::bigint) c`;

/** The sessions in a transaction or a query, oldest transaction first (BENCH_LAG_TRACE). */
const ACTIVITY_SQL = `
  SELECT format('%s pid %s %s xact %s ms, query %s ms, wait %s, xid %s: %s', coalesce(nullif(application_name, ''), backend_type), pid, state,
                round(extract(epoch FROM clock_timestamp() - xact_start) * 1000), round(extract(epoch FROM clock_timestamp() - query_start) * 1000),
                coalesce(wait_event_type || '/' || wait_event, '-'), coalesce(backend_xid::text, '-'), left(regexp_replace(query, '\\s+', ' ', 'g'), 90)) AS line
    FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle' AND backend_type = 'client backend'
   ORDER BY xact_start NULLS LAST LIMIT 12`;

runEngineBench(process.env.PROJECTOR_BATCH_SIZE ? { PROJECTOR_BATCH_SIZE: process.env.PROJECTOR_BATCH_SIZE } : {}, async (engine, database, connections) => {
  const token = await engine.createKey('agent');
  const http = httpClient(engine.url, token, 32);
  const arrivals = httpClient(engine.url, token, 512);
  connections.push(http, arrivals);
  const tag = randomBytes(3).toString('hex');
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => `lag-${tag}-${i}`);
  await registerCustomers(http, customers);
  log(`registered ${fmt(CUSTOMERS)} customers; booking at ${RATE} commands/s for ${SECONDS} s`);

  const pool = new Pool({ connectionString: database.url, max: 1 }).on('error', () => undefined);
  const samples = new Map<string, number[]>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await pool.query<{ name: string; lag_ms: string }>(LAG_SQL);
      for (const row of rows) samples.set(row.name, [...(samples.get(row.name) ?? []), Number(row.lag_ms)]);
      if (process.env.BENCH_LAG_TRACE) {
        log(rows.map((row) => `${row.name} ${Number(row.lag_ms).toFixed(0)}`).join(', '));
        // In a stall: what runs on the server, oldest transaction first.
        if (rows.some((row) => Number(row.lag_ms) > TARGET_MS / 2)) {
          const activity = await pool.query<{ line: string }>(ACTIVITY_SQL);
          for (const { line } of activity.rows) log(`  ${line}`);
        }
      }
      await sleep(200);
    }
  })();
  let next = 0;
  const result = await openLoop(RATE, SECONDS * 1000, () => arrivals.post(`/customers/${customers[next++ % CUSTOMERS]}/bookings`, booking()), 201, 512);
  sampling = false;
  await sampler;
  if (process.env.BENCH_LAG_TRACE) {
    const { rows } = await pool.query(`SELECT evaluation_id, started_at, finished_at, customers FROM read_models.segment_evaluations ORDER BY 1`);
    log(`evaluations: ${JSON.stringify(rows)}`);
    const fits = await pool.query(`SELECT fit_id, fitted_at, duration_ms FROM read_models.churn_model_fits`);
    const scorings = await pool.query(`SELECT scoring_id, scored_at, duration_ms FROM read_models.churn_scorings`);
    log(`fits: ${JSON.stringify(fits.rows)} scorings: ${JSON.stringify(scorings.rows)}`);
  }
  await pool.end();

  if (result.errorSamples.length) log(`not answered 201, for example: ${result.errorSamples.slice(0, 5).join('; ')}`);
  const lines = [
    `Live projector lag at ${RATE} commands/s offered (${fmt(result.ok / result.seconds)} accepted/s, ${result.errors} not answered 201), ${SECONDS} s, ` +
      `one engine process, sampled every 200 ms:`,
    '| read model | samples | median lag | p99 lag | max lag | p99 < 1 s |',
    '|---|---|---|---|---|---|',
  ];
  for (const [name, lags] of [...samples].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...lags].sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    lines.push(`| ${name} | ${sorted.length} | ${fmt(percentile(sorted, 50))} ms | ${fmt(p99)} ms | ${fmt(sorted[sorted.length - 1])} ms | ${p99 < TARGET_MS ? 'yes' : 'NO'} |`);
  }
  return lines;
});
