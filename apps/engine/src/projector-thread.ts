import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { inThread } from '../../../libs/projection-engine/src';
import { loadConfig } from './config';
import { openRuntime, runCampaignEntrants, runChurnSchedule, runSegmentSchedule, type Runtime } from './runtime';

/**
 * The work a projector runs besides the API, in two threads of its own: the projections, and the schedules that
 * look at the whole population (segment evaluations, churn fits and scorings, the campaigns' entrants; they run in
 * the process whose projector leads). In one thread, an evaluation of 10,000 customers held every read model's
 * batches behind its 1.5 s of work (issue 16: that one stall set the p99 lag at 300 commands/s).
 */
const LOOPS = {
  projections: (runtime: Runtime, _say: (line: string) => void, signal: AbortSignal) => runtime.projector.run(signal),
  schedules: async (runtime: Runtime, say: (line: string) => void, signal: AbortSignal) =>
    void (await Promise.all([runSegmentSchedule(runtime, say, signal), runChurnSchedule(runtime, say, signal), runCampaignEntrants(runtime, say, signal)])),
};
type Loops = keyof typeof LOOPS;

/**
 * Each thread's nice value (Linux keeps one per thread; threads it starts, such as the touchpoint schedules' own,
 * inherit it), and the application_name its connections show in pg_stat_activity (so their backends can be found and
 * given the same value). When the cores are contended, the API's thread goes first, the projections take most of
 * what is left, and the whole-population schedules the rest: an evaluation beside the projections took one of the
 * two cores and with it the touchpoints read model's lag up to 1.6 s (issue 16).
 */
const THREADS: Record<Loops, { name: string; nice: number; applicationName: string }> = {
  projections: { name: 'the projector thread', nice: 10, applicationName: 'lifecycle-engine-projector' },
  schedules: { name: 'the schedules thread', nice: 15, applicationName: 'lifecycle-engine-schedules' },
};

const urlOf = (databaseUrl: string): URL | undefined => (URL.canParse(databaseUrl) ? new URL(databaseUrl) : undefined);
const onThisMachine = (databaseUrl: string): boolean => ['localhost', '127.0.0.1', '[::1]'].includes(urlOf(databaseUrl)?.hostname ?? '');

/** The thread's connections name themselves, so pg_stat_activity tells them apart (and so they can be found below). */
const named = (databaseUrl: string, applicationName: string): string => {
  const url = urlOf(databaseUrl);
  url?.searchParams.set('application_name', applicationName);
  return url?.toString() ?? databaseUrl;
};

/** How often the thread's new backends are found and given its nice value. */
const NICE_BACKENDS_MS = 5_000;

/** Gives the backends of the thread's connections its nice value; those it may not change (another user's) stay as they are. */
async function niceBackends(runtime: Runtime, { nice, applicationName }: (typeof THREADS)[Loops]): Promise<void> {
  const { rows } = await runtime.readModels
    .query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])
    .catch(() => ({ rows: [] as { pid: number }[] }));
  for (const { pid } of rows) {
    try {
      setPriority(pid, nice);
    } catch {
      // not ours to change
    }
  }
}

/** A thread that stopped on its own is started again after this long. */
const RESTART_MS = 1_000;

/**
 * One of the loops in a worker thread of its own until the signal aborts. On the API's thread, reading, decrypting
 * and applying a catch-up's batches held every HTTP answer behind them (issue 15: with one customer's 2,000 bookings
 * to catch up, /health's p99 was 280-380 ms, and at twice the sustainable command rate the catch-up set the p99 of
 * accepted commands at 2-4 s). The thread opens its own connections to the engine's database, so an outage is
 * waited out there as in a projector process; a thread that stops on its own (a fault at its start) is started
 * again. The abort asks it to finish its batch and close.
 */
export async function runLoopsThread(runtime: Runtime, say: (line: string) => void, signal: AbortSignal, loops: Loops): Promise<void> {
  const { name } = THREADS[loops];
  while (!signal.aborted) {
    const thread = inThread(__filename, 'loopsInThread', { databaseUrl: runtime.database.url, loops });
    thread.on('error', (error) => say(`${name} failed: ${error.message}`));
    const stop = (): void => thread.postMessage('stop');
    signal.addEventListener('abort', stop);
    const code = await new Promise<number>((exited) => thread.once('exit', exited));
    signal.removeEventListener('abort', stop);
    if (signal.aborted) return;
    say(`${name} stopped (exit code ${code}): starting it again in ${RESTART_MS / 1000} s`);
    await sleep(RESTART_MS, undefined, { signal }).catch(() => undefined);
  }
}

/** The single-process engine's projector (npm start): the projections and the schedules, each in its thread. */
export const runProjectorThreads = async (runtime: Runtime, say: (line: string) => void, signal: AbortSignal): Promise<void> =>
  void (await Promise.all([runLoopsThread(runtime, say, signal, 'projections'), runLoopsThread(runtime, say, signal, 'schedules')]));

/** A thread's side: the engine's configuration on the engine's database, its loops until the engine says stop. */
export async function loopsInThread({ databaseUrl, loops }: { databaseUrl: string; loops: Loops }): Promise<void> {
  const say = (line: string): void => console.log(`[engine] ${line}`);
  const thread = THREADS[loops];
  setPriority(thread.nice);
  const running = new AbortController();
  parentPort!.once('message', () => running.abort());
  let runtime: Runtime | undefined;
  let yielding: NodeJS.Timeout | undefined;
  let code = 0;
  try {
    runtime = await openRuntime({ ...loadConfig(), databaseUrl: named(databaseUrl, thread.applicationName) }, say);
    // On this machine (the embedded server, or one on a loopback address), the backends that work for this thread
    // yield too; where they are not this user's to change, they run as they are.
    if (onThisMachine(databaseUrl)) {
      const opened = runtime;
      await niceBackends(opened, thread);
      yielding = setInterval(() => void niceBackends(opened, thread), NICE_BACKENDS_MS).unref();
    }
    if (!running.signal.aborted) await LOOPS[loops](runtime, say, running.signal);
  } catch (error) {
    say(`${thread.name} could not go on: ${error instanceof Error ? error.message : String(error)}`);
    code = 1;
  } finally {
    clearInterval(yielding);
    await runtime?.close().catch(() => undefined);
  }
  // Ends this thread only; the message port would hold it open.
  process.exit(code);
}
