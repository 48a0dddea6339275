export interface KeyedQueueLimits {
  /** Tasks that may wait behind the running one, per key; one more is refused at once. */
  maxWaiting: number;
  /** How long a task may wait for its turn before it is refused (it then never runs). */
  timeoutMs: number;
}

/** A task that did not get its turn: its key's line was full, or it waited longer than the timeout. It did not run. */
export class QueueRefused extends Error {
  constructor(
    readonly key: string,
    readonly reason: 'full' | 'timeout',
    readonly limits: KeyedQueueLimits,
  ) {
    super(
      reason === 'full'
        ? `${key} is busy: its queue in this process is full (${limits.maxWaiting} waiting)`
        : `${key} is busy: the command waited ${limits.timeoutMs} ms for its turn`,
    );
  }
}

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Runs the tasks of one key one at a time, in arrival order; tasks of different keys never wait for each other.
 * A key's line exists only while one of its tasks runs or waits, so idle keys cost no memory.
 */
export class KeyedQueue {
  /** Per key with a running task, the tasks waiting behind it, oldest first. */
  private readonly lines = new Map<string, Waiter[]>();

  constructor(readonly limits: KeyedQueueLimits) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const line = this.lines.get(key);
    if (!line) this.lines.set(key, []);
    else await this.turn(key, line);
    try {
      return await task();
    } finally {
      this.next(key);
    }
  }

  /** Keys with a task running or waiting. */
  get activeKeys(): number {
    return this.lines.size;
  }

  private turn(key: string, line: Waiter[]): Promise<void> {
    if (line.length >= this.limits.maxWaiting) return Promise.reject(new QueueRefused(key, 'full', this.limits));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          line.splice(line.indexOf(waiter), 1);
          reject(new QueueRefused(key, 'timeout', this.limits));
        }, this.limits.timeoutMs),
      };
      line.push(waiter);
    });
  }

  /** Hands the key to its oldest waiter, or drops the key's line when nobody waits. */
  private next(key: string): void {
    const waiter = this.lines.get(key)!.shift();
    if (!waiter) {
      this.lines.delete(key);
      return;
    }
    clearTimeout(waiter.timer);
    waiter.start();
  }
}
