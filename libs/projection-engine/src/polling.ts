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
