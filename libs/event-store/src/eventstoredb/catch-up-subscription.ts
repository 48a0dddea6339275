import type { AllStreamResolvedEvent, AllStreamSubscription, ReadPosition } from '@eventstore/db-client';
import type { Checkpoint, RecordedEvent } from '../event-store.port';
import { isAfter, toReadPosition } from './eventstoredb-mapping';

/** Backoff before resubscribing: 250 ms doubling up to 10 s, each wait drawn between half and all of that. */
export const reconnectDelay = (attempt: number, random: () => number = Math.random): number => {
  const ceiling = Math.min(10_000, 250 * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
};

/**
 * Where a resubscription starts: the last event handed to the consumer, never further. A filtered subscription
 * also reports checkpointReached positions, which can lie past the last delivered event; resuming from one of
 * those would lose the next matching event, so they are never an input here.
 */
export const resumeCheckpoint = (current: Checkpoint, delivered: readonly RecordedEvent[]): Checkpoint => {
  const last = delivered[delivered.length - 1];
  return last && isAfter(last, current) ? last.checkpoint : current;
};

/** Drops what was already delivered (a resubscription may replay the event it starts from). */
export const unseen = (events: readonly RecordedEvent[], checkpoint: Checkpoint): RecordedEvent[] => events.filter((event) => isAfter(event, checkpoint));

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Takes what an object-mode stream has buffered, up to `max` items, waiting only when nothing is buffered. Its
 * error listener stays attached for the stream's whole life: an error between two reads is kept, not thrown
 * into the void (an 'error' event without a listener would crash the process).
 */
/** The part of an object-mode Readable the reader uses (the client's subscription types narrow `on`). */
export interface ObjectSource {
  read(): unknown;
  readonly readableEnded: boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export class BatchReader<T> {
  private failure?: Error;
  private ended = false;
  private wake?: () => void;

  constructor(private readonly readable: ObjectSource) {
    readable.on('readable', () => this.wake?.());
    readable.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    readable.on('error', (error: Error) => {
      this.failure = error;
      this.wake?.();
    });
  }

  /** A non-empty batch; null when the stream ended or the signal aborted; throws the stream's error once drained. */
  async next(max: number, signal?: AbortSignal): Promise<T[] | null> {
    for (;;) {
      if (signal?.aborted) return null;
      const batch: T[] = [];
      while (batch.length < max) {
        const item = this.readable.read() as T | null;
        if (item === null) break;
        batch.push(item);
      }
      if (batch.length) return batch;
      if (this.failure) throw this.failure;
      if (this.ended || this.readable.readableEnded) return null;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.wake = undefined;
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}

export interface CatchUpOptions {
  batchSize: number;
  signal?: AbortSignal;
  /** Opens a filtered subscription to $all that starts after `from`. */
  open: (from: ReadPosition, highWaterMark: number) => AllStreamSubscription;
  /** Maps what the server sent to this app's events (dropping system and foreign ones). */
  toEvents: (resolved: AllStreamResolvedEvent[]) => RecordedEvent[];
  isClosed: () => boolean;
  log: (line: string) => void;
}

/**
 * Catch-up then live over one subscription; when it drops, log, back off and resubscribe from the last event
 * the consumer received. Ends when the signal aborts or the store closes.
 */
export async function* catchUp(after: Checkpoint, { batchSize, signal, open, toEvents, isClosed, log }: CatchUpOptions): AsyncGenerator<RecordedEvent[]> {
  let checkpoint = after;
  let failures = 0;
  while (!signal?.aborted && !isClosed()) {
    const subscription = open(toReadPosition(checkpoint), batchSize);
    const reader = new BatchReader<AllStreamResolvedEvent>(subscription);
    let reason = 'ended by the server';
    try {
      for (;;) {
        const resolved = await reader.next(batchSize, signal);
        if (resolved === null) break;
        const events = unseen(toEvents(resolved), checkpoint);
        if (!events.length) continue;
        yield events;
        // The consumer asked for more: it has processed this batch.
        checkpoint = resumeCheckpoint(checkpoint, events);
        failures = 0;
      }
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    } finally {
      await subscription.unsubscribe().catch(() => undefined);
    }
    if (signal?.aborted || isClosed()) return;
    const delay = reconnectDelay(failures++);
    log(`EventStoreDB subscription to $all dropped (${reason}); resubscribing after checkpoint ${checkpoint} in ${delay} ms`);
    await sleep(delay, signal);
  }
}
