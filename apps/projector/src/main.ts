import 'reflect-metadata';
import { ConfigError, startRuntime, surviveConnectionFaults, limitHeapGrowth, loadConfig, runLoopsThread, runSealer, stopOnSignal } from '../../engine/src';

/**
 * The projector alone (`npm run start:projector`), for running it apart from the API: it follows the
 * global log into the read models until SIGINT/SIGTERM, and prints each projection's position once a minute.
 */
async function main(): Promise<void> {
  const say = (line: string): void => console.log(`[projector] ${line}`);
  surviveConnectionFaults(say);
  const config = loadConfig();
  limitHeapGrowth(config);
  const runtime = await startRuntime(config, say);
  const running = new AbortController();
  // The schedules (evaluations, fits, scorings) in a thread of their own: their work never holds a projection's batch.
  const done = Promise.all([runtime.projector.run(running.signal), runLoopsThread(runtime, say, running.signal, 'schedules'), runSealer(runtime, say, running.signal)]);
  say(`following the log into: ${runtime.projector.projections.map((p) => p.name).join(', ')}`);
  const report = setInterval(() => {
    runtime.projector.status().then(
      (all) => all.forEach((s) => say(`${s.name}: position ${s.position}, ${s.lagEvents} events behind, ${s.rate} events/s`)),
      (error: unknown) => say(`status unavailable: ${error instanceof Error ? error.message : String(error)}`),
    );
  }, 60_000);
  stopOnSignal(
    say,
    [
      {
        what: 'the signal to the projector, sealer and schedules',
        run: () => {
          clearInterval(report);
          running.abort();
        },
      },
      { what: 'the projection batch in flight', run: () => done.then(() => undefined) },
      { what: 'the database connections', run: () => runtime.close() },
    ],
    { timeoutMs: config.shutdownTimeoutMs, atDeadline: () => runtime.database.stop() },
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `projector failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
