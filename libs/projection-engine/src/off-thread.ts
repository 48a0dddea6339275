import { Worker } from 'node:worker_threads';

/*
 * Every thread's boot: loads a module, then either runs one of its functions with the thread's argument (inThread) or
 * answers each call of it, in turn (OffThread). Run from the TypeScript sources (the tests, under @swc/jest), the
 * thread compiles them with the same compiler: a worker does not inherit Jest's transform.
 */
const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.file.endsWith('.ts')) {
  const { transformSync } = require(require.resolve('@swc/core', { paths: [workerData.file] }));
  const { readFileSync } = require('node:fs');
  const options = { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } };
  require.extensions['.ts'] = (module, file) => module._compile(transformSync(readFileSync(file, 'utf8'), { ...options, filename: file }).code, file);
}
const run = require(workerData.file)[workerData.name];
if (!workerData.answerCalls) run(workerData.argument);
else parentPort.on('message', ({ id, args }) => {
  try {
    parentPort.postMessage({ id, result: run(...args) });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});`;

const boot = (workerData: { file: string; name: string; argument?: unknown; answerCalls?: true }): Worker => new Worker(BOOT, { eval: true, workerData });

/**
 * A worker thread that runs `name(argument)` of the module at `file` (its absolute path: the module's __filename),
 * from the compiled build or from the TypeScript sources alike. The argument is copied into the thread.
 */
export const inThread = (file: string, name: string, argument: unknown): Worker => boot({ file, name, argument });

interface Call<R> {
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

/** A thread idle this long is stopped: its heap (and the caches of the code it ran) goes back to the system. */
const IDLE_MS = 5_000;

/**
 * A pure function of a module, run in a worker thread of its own: CPU-heavy projection work (one customer's whole
 * touchpoint schedule) on the main thread holds every HTTP answer of the single-process engine with it (issue 15:
 * /health timed out for 12 minutes). The thread starts on the first call, holds the process open only while calls
 * are pending, and stops after IDLE_MS without one; calls take turns in it. A thread that dies fails the pending
 * calls, and the next call starts a new one. Arguments and results are copied between threads: pass big values as
 * strings, which copy in one piece.
 */
export class OffThread<A extends unknown[], R> {
  private thread?: { worker: Worker; calls: Map<number, Call<R>> };
  private next = 0;
  private idle?: NodeJS.Timeout;

  /** `file`: the module's absolute path (its __filename); `name`: the exported function. */
  constructor(
    private readonly file: string,
    private readonly name: string,
  ) {}

  run(...args: A): Promise<R> {
    clearTimeout(this.idle);
    const { worker, calls } = this.thread ?? this.start();
    const id = this.next++;
    worker.ref();
    return new Promise<R>((resolve, reject) => {
      calls.set(id, { resolve, reject });
      worker.postMessage({ id, args });
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.idle);
    const thread = this.thread;
    this.thread = undefined;
    await thread?.worker.terminate();
  }

  private start(): { worker: Worker; calls: Map<number, Call<R>> } {
    const thread = { worker: boot({ file: this.file, name: this.name, answerCalls: true }), calls: new Map<number, Call<R>>() };
    const { worker, calls } = thread;
    worker.on('message', ({ id, result, error }: { id: number; result: R; error?: string }) => {
      const call = calls.get(id);
      calls.delete(id);
      if (!calls.size) {
        worker.unref();
        this.idle = setTimeout(() => void this.close(), IDLE_MS).unref();
      }
      if (error === undefined) call?.resolve(result);
      else call?.reject(new Error(error));
    });
    const fail = (error: Error): void => {
      if (this.thread === thread) this.thread = undefined;
      for (const call of calls.values()) call.reject(error);
      calls.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the worker thread running ${this.name} stopped (exit code ${code})`)));
    this.thread = thread;
    return thread;
  }
}
