import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseAvailability } from '../../postgres/src';

export interface PollOptions {
  pollMs: number;
  maxBackoffMs?: number;
  what: string;
  log: (line: string) => void;
  /** With it, a lost database is waited out (and logged once, there) instead of retried and logged at every backoff. */
  availability?: Pick<DatabaseAvailability, 'failed' | 'up'>;
}

/**
 * Runs `step` every `pollMs` until the signal aborts. A failing step is logged and retried later, backing off
 * (doubling, up to maxBackoffMs, 5 minutes unless set) while it keeps failing, so a broken dependency does not flood
 * the log; a lost database is waited for, and the step runs again as soon as it is back. Every wait ends on abort.
 */
export async function poll(step: () => Promise<void>, options: PollOptions, signal: AbortSignal): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      await step();
      failures = 0;
    } catch (error) {
      if (options.availability?.failed(error)) {
        await options.availability.up(signal);
        continue;
      }
      failures++;
      options.log(`${options.what} failed (attempt ${failures}): ${error instanceof Error ? error.message : String(error)}`);
    }
    await sleep(failures ? Math.min(options.maxBackoffMs ?? 300_000, options.pollMs * 2 ** failures) : options.pollMs, undefined, { signal }).catch(() => undefined);
  }
}

/**
 * Runs `wait` with a signal that aborts when `signal` does or after `ms`, and clears its timer afterwards. Not
 * AbortSignal.any([signal, AbortSignal.timeout(ms)]): Node 20 lets the garbage collector take a timeout signal that
 * only such a composite refers to, and the composite then never aborts (nodejs/node#57736). A projector's follower
 * waited so for the next event instead of 2 s, and a partition let go after a poison event was skipped stayed where
 * it was in a quiet log (the poison-event e2e, twice in many runs).
 */
export async function withDeadline<T>(signal: AbortSignal, ms: number, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController();
  const abort = (): void => deadline.abort();
  const timer = setTimeout(abort, ms);
  signal.addEventListener('abort', abort, { once: true });
  if (signal.aborted) abort();
  try {
    return await wait(deadline.signal);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}
