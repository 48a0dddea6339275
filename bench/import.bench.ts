/**
 * Bulk import benchmark (issue 3): `npm run bench` (after the event-store benchmark) or `npm run bench:import`.
 * Imports a generated ndjson file of BENCH_IMPORT_EVENTS events (default 1,000,000) into a fresh PostgreSQL
 * event store, BENCH_IMPORT_RUNS times (default 3, after one warm-up run), interleaved with the raw baseline: COPY of the same number
 * of rows, read from a file of ready-made rows, into a table shaped exactly like the events table.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CUSTOMER_EVENT_SCHEMAS } from '../libs/domain/src';
import { PostgresEventStore, SchemaAwareEventStore, Sealer } from '../libs/event-store/src';
import { readLines } from '../apps/api/src/imports/import-sources';
import { Importer } from '../apps/api/src/imports/importer';
import { Projector } from '../libs/projection-engine/src';
import { projections } from '../projections';
import { DEFAULT_TOUCHPOINT_CONFIG } from '../libs/touchpoints/src';
import { loadConfig } from '../apps/engine/src';
import { withBenchDatabase } from './bench-database';
import { rebuildInProcess } from './rebuild-process';
import { cpuSample, envNumber, serverCpuBetween, fmt, log, machine, median } from './bench-support';
import { statementTrace } from './bench-tracing';

const EVENTS = envNumber('BENCH_IMPORT_EVENTS', 1_000_000);
const RUNS = envNumber('BENCH_IMPORT_RUNS', 3);
/** BENCH_READ_MODELS=touchpoints,customer_overview: catch up and rebuild only those (default: every read model). */
const READ_MODELS = process.env.BENCH_READ_MODELS?.split(',').map((name) => name.trim()).filter(Boolean);
const measured = (name: string): boolean => !READ_MODELS || READ_MODELS.includes(name);
/** Each customer: registered, then three trips booked, departed and returned: 10 lines, 10 events. */
const EVENTS_PER_CUSTOMER = 10;
const RAW_TABLE = 'public.bench_raw_copy';
const COLUMNS = 'stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at';
const CITIES = [['PT', 'Lisbon'], ['IS', 'Reykjavik'], ['JP', 'Kyoto'], ['ZA', 'Cape Town'], ['PE', 'Cusco']] as const;

async function write(path: string, lines: () => Generator<string>): Promise<number> {
  const out = createWriteStream(path);
  let chunk = '';
  for (const line of lines()) {
    chunk += line;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return (await stat(path)).size;
}

function* customerLines(customers: number): Generator<string> {
  for (let c = 0; c < customers; c++) {
    const customerId = `bench-${c}`;
    const day = (n: number) => new Date(Date.UTC(2019, 0, 1) + ((c * 7 + n * 97) % 2000) * 86_400_000).toISOString().slice(0, 10);
    yield JSON.stringify({
      type: 'RegisterCustomer', customerId, occurredAt: `${day(0)}T09:00:00Z`, name: `Traveller ${c}`, email: `traveller${c}@example.com`,
      timeZone: 'Europe/Lisbon', language: 'pt', preferredChannel: 'email', marketingConsent: c % 3 === 0, tags: ['family'],
    }) + '\n';
    for (let trip = 1; trip <= 3; trip++) {
      const bookingId = `b-${c}-${trip}`;
      const [country, city] = CITIES[(c + trip) % CITIES.length];
      const booked = day(0) < day(trip) ? day(trip) : day(0);
      yield JSON.stringify({
        type: 'BookTrip', customerId, occurredAt: `${booked}T10:00:00Z`, bookingId, destination: { country, city },
        departureDate: booked, returnDate: booked, amount: { value: 150_000 + ((c * 31 + trip) % 500_000), currency: 'EUR' },
        travellers: 1 + (c % 4), productType: 'package', channel: 'web',
      }) + '\n';
      yield JSON.stringify({ type: 'RecordDeparture', customerId, occurredAt: `${booked}T11:00:00Z`, bookingId }) + '\n';
      yield JSON.stringify({ type: 'RecordReturn', customerId, occurredAt: `${booked}T12:00:00Z`, bookingId }) + '\n';
    }
  }
}

/** Ready-made COPY rows of about the same size as the imported events. */
function* copyRows(count: number): Generator<string> {
  const metadata = JSON.stringify({ correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'import', role: 'import' }, source: 'import', schemaVersion: 1 });
  for (let i = 0; i < count; i++) {
    const data = JSON.stringify({
      bookingId: `b-${i}`, destination: { country: 'PT', city: 'Lisbon' }, departureDate: '2024-06-01', returnDate: '2024-06-01',
      amount: { value: 150_000 + i, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web',
    });
    yield `customer-raw-${Math.floor(i / EVENTS_PER_CUSTOMER)}\t${(i % EVENTS_PER_CUSTOMER) + 1}\t${randomUUID()}\tTripBooked\t2\t${data}\t${metadata}\t2024-06-01T10:00:00Z\n`;
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'import-bench-'));
  try {
    await withBenchDatabase(async (database) => {
      log(`database: ${database.description}`);
      // An idle connection cut as the bench's server stops, after pool.end() resolved: no unhandled 'error' (the bench
      // crashed at its very end after printing its results, exit code 1).
      const pool = new Pool({ connectionString: database.url, max: 4 }).on('error', () => undefined);
      const store = new PostgresEventStore({ connectionString: database.url, max: 4 });
      await store.migrate();
      await pool.query(`CREATE TABLE ${RAW_TABLE} (LIKE event_store.events INCLUDING ALL)`);
      for (const [key, value] of Object.entries(await machine(pool))) log(`${key}: ${value}`);

      const customers = Math.ceil(EVENTS / EVENTS_PER_CUSTOMER);
      const ndjson = join(dir, 'import.ndjson');
      const rows = join(dir, 'rows.copy');
      const ndjsonBytes = await write(ndjson, () => customerLines(customers));
      const rowBytes = await write(rows, () => copyRows(customers * EVENTS_PER_CUSTOMER));
      log(`files: ${fmt(customers * EVENTS_PER_CUSTOMER)} command lines (${fmt(ndjsonBytes / 2 ** 20)} MiB ndjson), same number of raw rows (${fmt(rowBytes / 2 ** 20)} MiB)`);

      const rawRates: number[] = [];
      const sealRates: number[] = [];
      const importRates: number[] = [];
      const peaks: number[] = [];
      // Run 0 warms up (JIT, the server's caches and files) and is not counted.
      for (let run = 0; run <= RUNS; run++) {
        await pool.query(`TRUNCATE ${RAW_TABLE}, event_store.events, event_store.seals;
                          UPDATE event_store.seal_head SET seq = 0, transaction_id = '0', global_position = 0, hash = ''`);
        await pool.query('CHECKPOINT');
        let started = performance.now();
        const client = await pool.connect();
        try {
          await pipeline(createReadStream(rows, { highWaterMark: 1 << 20 }), client.query(copyFrom(`COPY ${RAW_TABLE} (${COLUMNS}) FROM STDIN`)));
        } finally {
          client.release();
        }
        const rawRate = (customers * EVENTS_PER_CUSTOMER) / ((performance.now() - started) / 1000);
        if (run > 0) rawRates.push(rawRate);
        log(`run ${run}${run === 0 ? ' (warm-up)' : ''}: raw COPY ${fmt(rawRate)} rows/s`);

        // The import starts from the state the raw COPY started from: both tables empty, right after a checkpoint.
        await pool.query(`TRUNCATE ${RAW_TABLE}, event_store.events, event_store.seals;
                          UPDATE event_store.seal_head SET seq = 0, transaction_id = '0', global_position = 0, hash = ''`);
        await pool.query('CHECKPOINT');
        const rssBefore = process.memoryUsage().rss;
        let peak = rssBefore;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
        const cpuBefore = cpuSample(database.postmasterPid);
        started = performance.now();
        let nextLog = 0;
        const summary = await new Importer(new SchemaAwareEventStore(store, CUSTOMER_EVENT_SCHEMAS), {
          onProgress: (p) => {
            if (p.seconds < nextLog) return;
            nextLog = p.seconds + 5;
            log(`  import: ${fmt(p.events)} events, ${fmt(p.events / Math.max(p.seconds, 0.001))} events/s, RSS ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB`);
          },
        }).run(readLines(createReadStream(ndjson, { highWaterMark: 1 << 20 }), 256 * 1024));
        clearInterval(sampler);
        const seconds = (performance.now() - started) / 1000;
        const cpuAfter = cpuSample(database.postmasterPid);
        if (summary.events !== customers * EVENTS_PER_CUSTOMER || summary.rejected) throw new Error(`import incomplete: ${JSON.stringify({ ...summary, rejections: summary.rejections.slice(0, 3) })}`);
        const rate = summary.events / seconds;
        if (run > 0) importRates.push(rate);
        if (run > 0) peaks.push(peak - rssBefore);
        const perEvent = (us: number) => fmt(us / summary.events, 1);
        const server = serverCpuBetween(cpuBefore, cpuAfter);
        log(`run ${run}: CPU per event: client (both threads) ${perEvent((cpuAfter.client - cpuBefore.client) * 1e6)} µs, server ${server === null ? 'n/a' : perEvent(server * 1e6)} µs`);
        log(`run ${run}: import ${fmt(rate)} events/s (${fmt(summary.events)} events in ${seconds.toFixed(1)} s), ${fmt(rate / rawRate * 100, 1)} % of raw COPY; RSS grew by at most ${fmt((peak - rssBefore) / 2 ** 20)} MiB`);
        // The global chain is sealed after commit (by the engine, or the import CLI before it exits): its own rate.
        const sealing = performance.now();
        const sealed = await new Sealer(pool).sealAll();
        const sealRate = sealed / ((performance.now() - sealing) / 1000);
        if (run > 0) sealRates.push(sealRate);
        log(`run ${run}: sealed ${fmt(sealed)} events at ${fmt(sealRate)} events/s; import and seal together ${fmt(summary.events / (seconds + sealed / sealRate))} events/s`);
      }
      const started = performance.now();
      const again = await new Importer(new SchemaAwareEventStore(store, CUSTOMER_EVENT_SCHEMAS)).run(readLines(createReadStream(ndjson), 256 * 1024));
      const rerun = (performance.now() - started) / 1000;
      log(`re-import of the same file: ${fmt(again.duplicates)} duplicates skipped, ${again.events} events written, ${rerun.toFixed(1)} s (${fmt(again.linesRead / rerun)} lines/s)`);

      // What the engine does after an import: every projection catches up on the imported log, batch after batch.
      // Batches as the engine and `npm run projections` apply them (PROJECTOR_BATCH_SIZE's default), or BENCH_BATCH.
      const batchSize = envNumber('BENCH_BATCH', loadConfig({}).projectorBatchSize);
      const projector = new Projector(pool, new SchemaAwareEventStore(store, CUSTOMER_EVENT_SCHEMAS), projections({ touchpoints: DEFAULT_TOUCHPOINT_CONFIG }), { batchSize, log });
      await projector.migrate();
      const trace = statementTrace(pool);
      await trace.reset();
      const catchUps: string[] = [];
      // BENCH_CATCH_UP=0: only the rebuilds (each of which builds its read model from the whole log all the same).
      for (const { name } of projections({ touchpoints: DEFAULT_TOUCHPOINT_CONFIG }).filter((p) => measured(p.name) && process.env.BENCH_CATCH_UP !== '0')) {
        const begun = performance.now();
        let next = 0;
        const caught = await projector.catchUp(name, (processed) => {
          if (processed >= next) {
            log(`  ${name}: ${fmt(processed)} events projected`);
            next += 250_000;
          }
        });
        const secs = (performance.now() - begun) / 1000;
        catchUps.push(`${name} ${fmt(caught / secs)} events/s (${fmt(caught)} events in ${secs.toFixed(1)} s, batches of ${fmt(batchSize)})`);
        log(`projection catch-up: ${catchUps[catchUps.length - 1]}`);
      }

      // Blue/green rebuilds (issue 16): each read model built again from the whole log beside the one that serves, then
      // switched in, each in a process of its own, as `npm run projections -- rebuild` runs it (its RSS its own).
      const rebuilds: string[] = [];
      for (const { name } of projections({ touchpoints: DEFAULT_TOUCHPOINT_CONFIG }).filter((p) => measured(p.name))) {
        const cpuBefore = cpuSample(database.postmasterPid);
        const run = await rebuildInProcess(database.url, name, batchSize);
        const server = serverCpuBetween(cpuBefore, cpuSample(database.postmasterPid));
        const built = run.events;
        const cpu = `CPU per event: client ${fmt((run.cpuSeconds * 1e6) / built, 1)} µs, server ${server === null ? 'n/a' : fmt((server * 1e6) / built, 1)} µs`;
        rebuilds.push(`${name} ${fmt(built / run.seconds)} events/s (${fmt(built)} events in ${run.seconds.toFixed(1)} s, batches of ${fmt(batchSize)}; RSS peak ${fmt(run.peakRssBytes / 2 ** 20)} MiB; ${cpu})`);
        log(`rebuild: ${rebuilds[rebuilds.length - 1]}`);
        await trace.print();
      }

      const importMedian = median(importRates);
      const rawMedian = median(rawRates);
      console.log(`\nBulk import of ${fmt(customers * EVENTS_PER_CUSTOMER)} events, ${RUNS} runs (median [min-max])`);
      console.log(`  import      ${fmt(importMedian)} events/s [${fmt(Math.min(...importRates))}-${fmt(Math.max(...importRates))}]  (target >= 55,000 and >= 70 % of raw COPY)`);
      console.log(`  raw COPY    ${fmt(rawMedian)} rows/s [${fmt(Math.min(...rawRates))}-${fmt(Math.max(...rawRates))}]`);
      console.log(`  ratio       ${fmt((importMedian / rawMedian) * 100, 1)} % of raw COPY`);
      console.log(`  sealing     ${fmt(median(sealRates))} events/s after the import (the global chain; import and seal in turn: ${fmt(1 / (1 / importMedian + 1 / median(sealRates)))} events/s)`);
      console.log(`  memory      RSS grew by at most ${fmt(median(peaks) / 2 ** 20)} MiB (median of runs)`);
      console.log(`  re-import   ${fmt(again.duplicates)} duplicates, ${again.events} events written, ${rerun.toFixed(1)} s`);
      for (const line of catchUps) console.log(`  catch-up    ${line}`);
      for (const line of rebuilds) console.log(`  rebuild     ${line} (target: every read model >= 30,000 events/s, RSS < 500 MB)`);
      await store.close();
      await pool.end();
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
