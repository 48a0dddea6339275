import { isConnectionFault } from '../../../libs/postgres/src';
import type { Config } from './config';
import { openRuntimeWhenReachable, type Runtime } from './runtime';
export interface ShutdownStep {
  /** What the step waits for, as the deadline's log line names it when it abandons the step. */
  what: string;
  run: () => void | Promise<void>;
}

export interface ShutdownOptions {
  /** The hard bound (SHUTDOWN_TIMEOUT_MS): the process is gone by then whatever still runs. */
  timeoutMs: number;
  /**
   * Run when the steps overrun, before the exit: stopping the embedded server this process owns, so it is not left
   * behind (its fast shutdown also rolls back what the abandoned work had open).
   */
  atDeadline?: () => Promise<void>;
  /** The exit status of a clean stop: 0 for a server; a command-line tool says it was interrupted (130, 143). */
  exitCode?: (signal: 'SIGINT' | 'SIGTERM') => number;
}

/**
 * Runs the steps in order once, on the first SIGINT or SIGTERM, then exits (0 unless told); a second signal while stopping does not
 * start a second shutdown, and a step that throws is logged and passed. Bounded: a step still running when most of
 * the timeout has passed (a projection batch blocked on a lock, a request waiting on the database) is abandoned with
 * a line naming it (its transaction rolls back when the connection goes, checkpoints stay), `atDeadline` gets the
 * rest of the time, and the process exits 1 before `timeoutMs` has passed.
 */
export function stopOnSignal(say: (line: string) => void, steps: ShutdownStep[], options: ShutdownOptions): void {
  let stopping = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    say(`${signal}: stopping (at most ${options.timeoutMs / 1000} s, SHUTDOWN_TIMEOUT_MS)`);
    let current = steps[0]?.what ?? 'nothing';
    // Abandoned at 60 % of the bound, leaving time to tell an owned embedded server to stop (it finishes its fast
    // shutdown on its own once told); the exit at 90 % keeps the whole shutdown inside the bound, signal delivery included.
    const abandon = setTimeout(() => {
      say(`shutdown: still waiting for ${current} after ${((Date.now() - started) / 1000).toFixed(1)} s: abandoned (open transactions roll back, checkpoints stay)`);
      // A second is enough to tell the server; it need not have finished its shutdown when this process exits.
      void Promise.race([Promise.resolve(options.atDeadline?.()), new Promise((done) => setTimeout(done, 1_000))])
        .catch((error: unknown) => say(`while stopping at the deadline: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => process.exit(1));
    }, options.timeoutMs * 0.6);
    setTimeout(() => {
      say(`shutdown: exiting at the ${options.timeoutMs / 1000} s deadline while ${current} still ran`);
      process.exit(1);
    }, options.timeoutMs * 0.9).unref();
    void (async () => {
      for (const step of steps) {
        current = step.what;
        try {
          await step.run();
        } catch (error) {
          say(`while stopping (${step.what}): ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      clearTimeout(abandon);
      process.exit(options.exitCode?.(signal) ?? 0);
    })();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/**
 * A server process's start (the engine, the projector): the runtime once its database can be reached, waiting for it
 * as long as it takes (openRuntimeWhenReachable). SIGINT or SIGTERM while it waits ends the process at once with 0;
 * once the runtime is open, stopOnSignal is the caller's to set.
 */
export async function startRuntime(config: Config, say: (line: string) => void): Promise<Runtime> {
  const starting = new AbortController();
  const abort = (): void => starting.abort();
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  const runtime = await openRuntimeWhenReachable(config, say, starting.signal).finally(() => {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  });
  if (!runtime) {
    say('stopped before the database could be reached');
    process.exit(0);
  }
  return runtime;
}

/**
 * The last guard against a lost database connection ending the process (issue 15): an 'error' that a pg connection
 * emits with no listener left (seen once in 5 full test runs, while pg_terminate_backend cut a projector's
 * connections as it started; where it came from is not found yet) is logged and survived, as every other connection
 * fault is: the connection is gone, and the work on it is retried by its loop. Any other uncaught error still ends
 * the process, as Node would.
 */
export function surviveConnectionFaults(say: (line: string) => void): void {
  process.on('uncaughtException', (error) => {
    if (isConnectionFault(error)) {
      say(`a database connection fault reached no handler (${error.message}): the connection is dropped and its work retried`);
      return;
    }
    console.error(error);
    process.exit(1);
  });
}
