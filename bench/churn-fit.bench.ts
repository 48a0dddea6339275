/**
 * The churn fit alone, as the engine runs it (issue 19, part 3): `npm run build && node dist/bench/churn-fit.bench.js`.
 * Writes the generated log of bench/segments.bench.ts (BENCH_SEGMENT_CUSTOMERS customers, default 100,000, ten events
 * each), catches churn_facts up, and times fitAndRecord BENCH_CHURN_RUNS times (default 3, median reported): facts
 * read, every candidate model fitted and checked on the holdout, the chosen one fitted on all trips, stored. The
 * segment evaluations are left out, so a before/after of the fit takes minutes, not the whole segment benchmark. Also
 * prints this process's CPU time for each fit: on a machine shared with other work the wall time varies with the
 * load, the CPU time much less.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadConfig, openRuntime } from '../apps/engine/src';
import { fitAndRecord } from '../projections/churn/churn-recording';
import type { ChurnFit } from '../projections/churn/churn-model';
import { envNumber, fmt, log, machine, median } from './bench-support';
import { withBenchDatabase } from './bench-database';
import { DAY, iso, writeLog } from './segments-log';

const CUSTOMERS = envNumber('BENCH_SEGMENT_CUSTOMERS', 100_000);
const EVENTS = envNumber('BENCH_SEGMENT_EVENTS', CUSTOMERS * 10);
const RUNS = envNumber('BENCH_CHURN_RUNS', 3);
// The same log and cut-off as bench/segments.bench.ts with its defaults (five daily and five monthly evaluations).
const FIRST = Date.parse('2026-10-01T02:00:00Z');
const CUTOFF = FIRST + 5 * DAY;
const START = FIRST - 4 * 365 * DAY;
const END = CUTOFF + 5 * 30 * DAY;

async function main(): Promise<void> {
  await withBenchDatabase(async (database) => {
    const runtime = await openRuntime(loadConfig({ DATABASE_URL: database.url }), log);
    for (const [key, value] of Object.entries(await machine(runtime.readModels))) log(`${key}: ${value}`);
    const written = await writeLog(runtime.store, { customers: CUSTOMERS, events: EVENTS, start: START, end: END });
    log(`log: ${fmt(written.events)} events in ${written.seconds.toFixed(1)} s`);
    await runtime.projector.catchUp('churn_facts');
    const settings = { churn: runtime.churn, currency: runtime.segments.currency };
    const fits: { seconds: number; cpu: number; fit: ChurnFit }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const fit = await fitAndRecord(runtime.readModels, runtime.store, settings, { cutoff: iso(CUTOFF), trigger: 'on-demand', actor: 'bench' });
      const cpu = process.cpuUsage(cpuBefore);
      fits.push({ seconds: (performance.now() - started) / 1000, cpu: (cpu.user + cpu.system) / 1e6, fit });
      log(`churn fit ${run + 1}: ${fits[run].seconds.toFixed(2)} s (this process's CPU ${fits[run].cpu.toFixed(2)} s; load ${loadavg()[0].toFixed(2)})`);
    }
    await runtime.close();
    const seconds = fits.map((f) => f.seconds);
    const cpu = fits.map((f) => f.cpu);
    const { fit } = fits[0];
    console.log(`\nChurn fit, cut-off ${iso(CUTOFF)}, ${fmt(fit.customers)} customers (${fmt(fit.repeatBuyers)} repeat), config ${fit.configVersion}, ${RUNS} runs:`);
    console.log(`  fitAndRecord    ${median(seconds).toFixed(2)} s [${Math.min(...seconds).toFixed(2)}-${Math.max(...seconds).toFixed(2)}]; model ${fit.model}, log-likelihood ${fit.logLikelihood.toFixed(1)}`);
    // The engine's own CPU time (not PostgreSQL's): what the fit costs whatever else shares the cores.
    console.log(`  node CPU        ${median(cpu).toFixed(2)} s [${Math.min(...cpu).toFixed(2)}-${Math.max(...cpu).toFixed(2)}]`);
    console.log(`  params          ${JSON.stringify(fit.params)}`);
    console.log(`  holdout         ${JSON.stringify({ ...fit.holdout, byRepeatTrips: undefined })}`);
    // Fits from before issue 19 have no choice.
    const { choice } = fit as { choice?: unknown };
    if (choice) console.log(`  choice          ${JSON.stringify(choice)}`);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
