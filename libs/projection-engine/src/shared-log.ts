import { compareCheckpoints, type Checkpoint, type EventStore, type RecordedEvent } from '../../event-store/src';
import { partitionOf } from './partitions';

/** Events read after `from`, up to and including `to`. */
export interface LogBatch {
  from: Checkpoint;
  to: Checkpoint;
  events: RecordedEvent[];
  /**
   * Each event's partition, when the batch carries them: the subscription's are hashed once for every read model
   * they are handed to (each hashing every event of a launch was 0.2 s of the projector thread).
   */
  partitions?: number[];
}

interface Reader {
  at: Checkpoint;
  batches: AsyncIterator<RecordedEvent[]>;
  stop: AbortController;
  detach: () => void;
  next?: Promise<LogBatch | null>;
}

/**
 * One read of the log for every projection of a process (issue 16): a single subscription reads and decrypts each
 * batch once, and its batches are kept until every projection has passed them (at most `keepEvents` events: 64,000
 * by default, 64 batches of 1,000: a launch to 100,000 customers took 15.7-19.4 s with 64, 16.2-20.3 s with 16 and
 * 19.4-20.1 s with 32, this thread re-reading less with 64, at about 100 MiB more RSS while the launch ran; counted in
 * events, so that larger batches keep no more). A
 * projection at the head waits for the subscription's next batch with the others; a slower one is served the kept
 * batches; one that fell behind them (stopped and retried, new) reads on its own until it is back among them, so it
 * never holds the others back, and one ahead of the subscription (another process moved its checkpoint) moves the
 * subscription to itself.
 */
export class SharedLog {
  private kept: LogBatch[] = [];
  /** Events in `kept`. */
  private held = 0;
  /** Where each caller last asked to read from; null for one that joined and has yet to ask. */
  private readonly positions = new Map<string, Checkpoint | null>();
  private reader?: Reader;

  /** The subscription runs until `signal` (the projector's) aborts; a caller's own signal only ends its wait. */
  constructor(
    private readonly store: EventStore,
    private readonly signal: AbortSignal,
    private readonly options: { batchSize: number; pollIntervalMs: number; keepEvents?: number },
  ) {}

  /**
   * The next events after `checkpoint`: a kept batch that covers it (the caller filters what it has passed), the
   * subscription's next batch, or a read of its own. Null when the subscription moved meanwhile: ask again. A caller
   * names itself, so that the batches it has yet to read are kept for it (in a launch, the touchpoints read model ran
   * some 40,000 events behind the others and read the log a second and third time when only 8 batches were kept).
   */
  async after(checkpoint: Checkpoint, signal: AbortSignal, caller = ''): Promise<LogBatch | null> {
    this.positions.set(caller, checkpoint);
    this.trim();
    const kept = this.kept.findIndex((batch) => compareCheckpoints(batch.from, checkpoint) <= 0 && compareCheckpoints(checkpoint, batch.to) < 0);
    if (kept >= 0) return this.keptFrom(kept);
    const head = this.reader?.at;
    if (head === undefined || compareCheckpoints(checkpoint, head) > 0) this.restart(checkpoint);
    else if (compareCheckpoints(checkpoint, head) < 0) {
      const read = await this.store.readAll(checkpoint, this.options.batchSize);
      return { from: checkpoint, to: read.checkpoint, events: read.events };
    }
    return this.next(signal);
  }

  /**
   * The caller is about to read, from a checkpoint it has yet to look up: every batch is kept for it until it asks.
   * Without this, a caller that looked up its checkpoints more slowly than another found the first batches let go as
   * passed by everyone, read them on its own, and could move the subscription past the others (CI, under load: 1,800
   * events handed out for three read models of 1,000).
   */
  join(caller: string): void {
    if (!this.positions.has(caller)) this.positions.set(caller, null);
  }

  /**
   * The caller reads nothing for now (no partition of its own, or every one stopped): the batches kept for it alone
   * are let go, rather than held at the budget (64 batches, about 100 MiB in a launch) until it asks again.
   */
  leave(caller: string): void {
    this.positions.delete(caller);
    this.trim();
  }

  /** Ends the subscription (the projector stopped, or a read failed). */
  close(): void {
    this.reader?.stop.abort();
    this.reader?.detach();
    this.reader = undefined;
    this.kept = [];
    this.held = 0;
  }

  /**
   * The kept batch at `index` joined with those after it, up to a batch's size: the subscription's batches are as
   * small as the quickest caller reads them (a few events each under live load), and a caller behind, served them one
   * by one, would pay a transaction for each and never catch up (touchpoints, 17 s behind at 300 commands/s).
   */
  private keptFrom(index: number): LogBatch {
    const first = this.kept[index];
    let { to, events, partitions } = first;
    for (let next = index + 1; next < this.kept.length && events.length + this.kept[next].events.length <= this.options.batchSize; next++) {
      events = events.concat(this.kept[next].events);
      partitions = partitions?.concat(this.kept[next].partitions ?? []);
      to = this.kept[next].to;
    }
    return { from: first.from, to, events, partitions };
  }

  /** Lets go of the oldest kept batches that every caller has passed, and of any past the budget. */
  private trim(): void {
    const budget = this.options.keepEvents ?? Math.max(64_000, 2 * this.options.batchSize);
    const passed = (batch: LogBatch): boolean => [...this.positions.values()].every((at) => at !== null && compareCheckpoints(at, batch.to) >= 0);
    while (this.kept.length && (this.held > budget || passed(this.kept[0]))) this.held -= this.kept.shift()!.events.length;
  }

  private restart(at: Checkpoint): void {
    this.close();
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    this.signal.addEventListener('abort', onAbort, { once: true });
    const batches = this.store.subscribe(at, { batchSize: this.options.batchSize, pollIntervalMs: this.options.pollIntervalMs, signal: stop.signal });
    this.reader = { at, batches: batches[Symbol.asyncIterator](), stop, detach: () => this.signal.removeEventListener('abort', onAbort) };
  }

  /** The subscription's next batch, one read shared by every caller; null when it ended or moved. */
  private next(signal: AbortSignal): Promise<LogBatch | null> {
    const reader = this.reader!;
    if (!reader.next) {
      reader.next = reader.batches.next().then(
        (result): LogBatch | null => {
          reader.next = undefined;
          if (this.reader !== reader) return null;
          if (result.done) {
            this.close();
            return null;
          }
          const events = result.value;
          const batch = { from: reader.at, to: events[events.length - 1].checkpoint, events, partitions: events.map((event) => partitionOf(event.streamId)) };
          reader.at = batch.to;
          this.kept.push(batch);
          this.held += batch.events.length;
          this.trim();
          return batch;
        },
        (error: unknown) => {
          if (this.reader === reader) this.close();
          throw error;
        },
      );
      // Whoever waits gets the error; with nobody waiting (every caller's wait ended, e.g. as the projector stops), a
      // failed read must not be an unhandled rejection.
      reader.next.catch(() => undefined);
    }
    return abortable(reader.next, signal);
  }
}

/** Settles with the promise, or with null once the signal aborts. */
const abortable = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T | null> =>
  signal.aborted
    ? Promise.resolve(null)
    : new Promise<T | null>((resolve, reject) => {
        const onAbort = (): void => resolve(null);
        signal.addEventListener('abort', onAbort, { once: true });
        promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
