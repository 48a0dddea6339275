import 'reflect-metadata';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApi } from './app';
import { OFFER_WARM_START_MS, type OfferReader } from './offers/offer-reader';
import { OFFERS } from './tokens';
import { countActiveAdminKeys } from '../../../libs/auth/src';
import { ConfigError, startRuntime, surviveConnectionFaults, limitHeapGrowth, loadConfig, runProjectorThreads, runSealer, stopOnSignal } from '../../engine/src';

const KEEP_ALIVE_MS = 65_000;

/**
 * `npm start`: the API and, unless RUN_PROJECTOR=false or --no-projector, the projector in one process (the
 * projector and the schedules in worker threads of their own, so their work never holds an HTTP answer).
 * With no DATABASE_URL an embedded PostgreSQL starts under DATA_DIR.
 */
async function main(): Promise<void> {
  const say = (line: string): void => console.log(`[engine] ${line}`);
  surviveConnectionFaults(say);
  const config = loadConfig();
  limitHeapGrowth(config);
  if (process.argv.includes('--no-projector')) config.projector = false;
  const runtime = await startRuntime(config, say);
  const app = await createApi(runtime);
  const projecting = new AbortController();
  // The sealer runs in every process that writes: sealing never waits for a projector process.
  const projector = Promise.all([
    runSealer(runtime, say, projecting.signal),
    ...(config.projector ? [runProjectorThreads(runtime, say, projecting.signal)] : []),
  ]);
  // Before listening: a signal from here on stops the engine, and the embedded server it owns, the bounded way.
  stopOnSignal(
    say,
    [
      { what: 'the signal to the projector, sealer and schedules', run: () => projecting.abort() },
      { what: 'requests in flight', run: () => app.close() },
      { what: 'the projection batch in flight', run: () => projector.then(() => undefined) },
      { what: 'the database connections', run: () => runtime.close() },
    ],
    { timeoutMs: config.shutdownTimeoutMs, atDeadline: () => runtime.database.stop() },
  );
  // Counted before listening, so the hint follows the "listening on" line at once (a client that reads the line and
  // asks /health, answered from memory, must find the hint already printed).
  const noAdminKey = (await countActiveAdminKeys(runtime.readModels)) === 0;
  // Idle connections are kept a minute, not Node's 5 s: a client that pauses between bursts finds them open instead of
  // opening them again. While the API's thread is near full, new connections wait in the accept queue before they are
  // read (1.5-4.4 s at the start of the overload bench's 2x step; issue 15, bench/RESULTS.md). Above the idle
  // timeouts of common load balancers (60 s), so they close first; SIGTERM closes idle ones at once.
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  // Today's offers model before the first request can ask for it (issue 19: one customer's offers in under 50 ms; the
  // read takes 3.7-5.7 s at 100,000 customers), bounded: a database that is down must not hold the start.
  const reading = performance.now();
  const trips = await Promise.race([
    app.get<OfferReader>(OFFERS).keepWarm(projecting.signal),
    sleep(OFFER_WARM_START_MS, undefined, { signal: projecting.signal, ref: false }).catch(() => undefined),
  ]);
  if (projecting.signal.aborted) return;
  const took = ((performance.now() - reading) / 1000).toFixed(1);
  say(
    typeof trips === 'number'
      ? `offers: today's model read from ${trips} trips in ${took} s`
      : `offers: today's model not read (${trips === null ? 'the read failed' : `not within ${OFFER_WARM_START_MS / 1000} s`}); the first request reads it`,
  );
  await app.listen(config.port, '0.0.0.0');
  const url = await app.getUrl();
  say(
    `listening on ${url.replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost')} (API docs at /docs); ` +
      `database: ${runtime.database.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'}; ` +
      `projector, segment evaluation and churn model: ${config.projector ? 'in worker threads of this process' : 'off'}`,
  );

  if (noAdminKey) {
    say(
      'no admin API key yet: every endpoint but /health and /docs answers 401 until you create one. In another terminal:\n' +
        '    npm run keys -- create --name <your-name> --role admin\n' +
        '  then send it as "Authorization: Bearer <key>" (docs/security.md: roles, keys, JWT)',
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
