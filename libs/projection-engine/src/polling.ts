import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `step` every `pollMs` until the signal aborts. A failing step is logged and retried later, backing off
 * (doubling, up to maxBackoffMs, 5 minutes unless set) while it keeps failing, so a broken dependency does not flood the log.
 */
export async function poll(
  step: () => Promise<void>,
  options: { pollMs: number; maxBackoffMs?: number; what: string; log: (line: string) => void },
  signal: AbortSignal,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      await step();
      failures = 0;
    } catch (error) {
      failures++;
      options.log(`${options.what} failed (attempt ${failures}): ${error instanceof Error ? error.message : String(error)}`);
    }
    await sleep(failures ? Math.min(options.maxBackoffMs ?? 300_000, options.pollMs * 2 ** failures) : options.pollMs, undefined, { signal }).catch(() => undefined);
  }
}
