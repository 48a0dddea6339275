import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Pool } from 'pg';

interface Count {
  /** The window (minute) it counts, as a multiple of the window's length since the epoch. */
  window: number;
  /** Every process's hits in the window, as of the last sync (this process's included). */
  shared: number;
  /** This process's hits since the last sync. */
  pending: number;
  /** The read of every process's total when this process first sees the key in the window. */
  read: Promise<void>;
}

/**
 * express-rate-limit's counts, shared by every API process on one database (issue 16): each process counts its
 * requests in memory (a key's first request in a minute reads the shared count, the others make no round trip),
 * and about once a second adds what it counted to
 * auth.rate_limit_hits and reads every process's totals back. A key's limit is then a limit for all processes
 * together, exceeded at most by what the other processes let through within the last second. While the database
 * cannot be reached each process goes on with what it counted itself.
 */
export class SharedRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private readonly counts = new Map<string, Count>();
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private failing = false;
  private cleaned = -1;

  constructor(
    private readonly pool: Pool,
    private readonly log: (line: string) => void = () => undefined,
    private readonly syncMs = 1_000,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
    this.timer = setInterval(() => void this.sync(), this.syncMs).unref();
  }

  private current(key: string): Count {
    const window = Math.floor(Date.now() / this.windowMs);
    let count = this.counts.get(key);
    if (count?.window !== window) {
      const created: Count = { window, shared: 0, pending: 0, read: Promise.resolve() };
      // A key first seen here in this window starts from every process's count so far (one query a key a minute),
      // so a client that moves to another process does not start from nothing there.
      created.read = this.pool
        .query<{ hits: string }>('SELECT hits FROM auth.rate_limit_hits WHERE key = $1 AND window_start = $2', [key, window])
        .then(({ rows }) => void (created.shared = Math.max(created.shared, Number(rows[0]?.hits ?? 0))))
        .catch(() => undefined);
      count = created;
      this.counts.set(key, count);
    }
    return count;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const count = this.current(key);
    count.pending++;
    await count.read;
    return { totalHits: count.shared + count.pending, resetTime: new Date((count.window + 1) * this.windowMs) };
  }

  decrement(key: string): void {
    const count = this.current(key);
    if (count.pending > 0) count.pending--;
  }

  resetKey(key: string): void {
    this.counts.delete(key);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sync();
  }

  /** Adds this process's new hits to the shared counts of the current window and reads back every process's totals. */
  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    // The engine is stopping and has closed the pool: nothing to share any more (every SIGTERM logged a warning).
    if (this.pool.ending) {
      clearInterval(this.timer);
      return;
    }
    const window = Math.floor(Date.now() / this.windowMs);
    for (const [key, count] of this.counts) if (count.window !== window) this.counts.delete(key);
    // In key order, so two processes adding the same keys never wait on each other in a cycle.
    const keys = [...this.counts.keys()].sort();
    if (keys.length === 0) return;
    const sent = keys.map((key) => this.counts.get(key)!.pending);
    try {
      const { rows } = await this.pool.query<{ key: string; hits: string }>(
        `INSERT INTO auth.rate_limit_hits AS h (key, window_start, hits)
         SELECT key, $3, hits FROM unnest($1::text[], $2::bigint[]) AS t(key, hits)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = h.hits + excluded.hits
         RETURNING key, hits`,
        [keys, sent, window],
      );
      const totals = new Map(rows.map((row) => [row.key, Number(row.hits)]));
      keys.forEach((key, i) => {
        const count = this.counts.get(key);
        if (count?.window !== window) return;
        count.pending = Math.max(0, count.pending - sent[i]);
        count.shared = totals.get(key) ?? count.shared + sent[i];
      });
      // Once a window: the windows before the last are no longer read by anyone.
      if (this.cleaned !== window) await this.pool.query('DELETE FROM auth.rate_limit_hits WHERE window_start < $1', [window - 1]);
      this.cleaned = window;
      if (this.failing) this.log('rate-limit counts are shared again');
      this.failing = false;
    } catch (error) {
      // Counted on here alone until the database answers; the hits stay pending and are added at the next sync.
      if (!this.failing) this.log(`rate-limit counts not shared (${error instanceof Error ? error.message : String(error)}): counting in this process alone until they are`);
      this.failing = true;
    }
  }
}
