import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * A built engine process (dist/: npm test builds it first), as an operator runs it: `api` is `npm start` (the API,
 * with the projector unless --no-projector), `projector` is `npm run start:projector`. Its output is kept, for the
 * assertions and for the message of a failed wait.
 */
export const ENGINE_MAIN = {
  api: resolve(__dirname, '../../dist/apps/api/src/main.js'),
  projector: resolve(__dirname, '../../dist/apps/projector/src/main.js'),
};

export interface EngineProcess {
  name: string;
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** True once it has exited, false if it still runs after `ms` (the timer ends with the exit: it holds no test run open). */
  exitsWithin(ms: number): Promise<boolean>;
  /** Waits for the API's "listening on" line and returns its URL. */
  url(withinMs?: number): Promise<string>;
}

export function spawnEngine(name: string, main: keyof typeof ENGINE_MAIN, env: NodeJS.ProcessEnv, args: string[] = []): EngineProcess {
  const child = spawn(process.execPath, [ENGINE_MAIN[main], ...args], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const engine: EngineProcess = {
    name,
    child,
    output: () => output,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    exitsWithin: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((done) => (timer = setTimeout(done, ms)))]);
      clearTimeout(timer);
      return !engine.running();
    },
    url: async (withinMs = 30_000) => {
      const started = Date.now();
      for (;;) {
        const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (url) return url;
        if (!engine.running() || Date.now() - started > withinMs) throw new Error(`${name} did not start listening within ${withinMs} ms; it said:\n${output}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    },
  };
  return engine;
}
