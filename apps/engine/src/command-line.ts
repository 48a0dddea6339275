import { ConfigError, loadConfig } from './config';
import { openRuntime, type Runtime } from './runtime';
import { stopOnSignal } from './shutdown';

/**
 * Opens the runtime for a command-line tool: Ctrl-C rolls back the work in flight and stops the embedded database,
 * within SHUTDOWN_TIMEOUT_MS like the engine (a batch stuck on a lock is abandoned, not waited for).
 */
export async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig(), (line) => console.error(line));
  stopOnSignal((line) => console.error(line), [{ what: 'the work in flight', run: () => runtime.close() }], {
    timeoutMs: runtime.config.shutdownTimeoutMs,
    atDeadline: () => runtime.database.stop(),
    exitCode: (signal) => (signal === 'SIGINT' ? 130 : 143),
  });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/** Ends the process with the tool's exit code, or 1 and one readable line for an error. */
export function exitWith(result: Promise<number>): void {
  result.then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
