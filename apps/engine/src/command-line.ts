import { ConfigError, loadConfig } from './config';
import { openRuntime, type Runtime } from './runtime';

/** Opens the runtime for a command-line tool: Ctrl-C rolls back the work in flight and stops the embedded database. */
export async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig(), (line) => console.error(line));
  process.once('SIGINT', () => void runtime.close().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void runtime.close().finally(() => process.exit(143)));
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
