import type { Checkpoint, EventStore, RecordedEvent, SubscribeOptions } from './event-store.port';

/**
 * Catch-up then live, for any adapter: read batches until the log is drained, then sleep until an
 * append is announced or the poll interval passes (the fallback when a notification is missed).
 */
export async function* subscribeByPolling(
  store: Pick<EventStore, 'readAll'>,
  after: Checkpoint,
  onAppended: (listener: () => void) => () => void,
  { batchSize = 1000, pollIntervalMs = 1000, signal }: SubscribeOptions = {},
): AsyncGenerator<RecordedEvent[]> {
  let checkpoint = after;
  // Set when an append is announced while a read is in flight, so the next empty read does not sleep past it.
  let woken: boolean;
  let wake: (() => void) | undefined;
  const unsubscribe = onAppended(() => {
    woken = true;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      woken = false;
      const batch = await store.readAll(checkpoint, batchSize);
      if (batch.events.length > 0) {
        checkpoint = batch.checkpoint;
        yield batch.events;
        continue;
      }
      if (woken || signal?.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}
