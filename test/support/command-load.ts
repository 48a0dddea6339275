import type { Pool } from 'pg';
import { registration, trip } from '../e2e/customer-api.fixtures';

/** One answer the load got: its booking, status (0 when no answer came), time to answer, and the body. */
export interface Answer {
  bookingId: string;
  status: number;
  ms: number;
  at: number;
  retryAfter: string | null;
  body: { message?: string; rule?: string; position?: number } | null;
}

/**
 * A steady open-loop load of bookings (`perSecond`, spread over `customers` customers), as a back-office client
 * sends them: each command once, no retry. `acknowledged` holds the bookings answered 2xx, the ones that must be in
 * the log exactly once.
 */
export class CommandLoad {
  readonly answers: Answer[] = [];
  readonly acknowledged = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private sent = 0;

  constructor(
    private url: string,
    private readonly key: string,
    private readonly prefix: string,
    private readonly customers = 20,
  ) {}

  /** One request, read to its end; a timer cleared with the answer (a pending AbortSignal.timeout would hold the run open). */
  private async request(method: string, path: string, body: unknown): Promise<Pick<Answer, 'status' | 'retryAfter' | 'body'>> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), 15_000);
    try {
      const res = await fetch(`${this.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: timeout.signal,
      });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json().catch(() => null)) as Answer['body'] };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Registers the customers the bookings go to. */
  async register(): Promise<void> {
    for (let i = 0; i < this.customers; i++) {
      const res = await this.request('POST', '/customers', registration(`${this.prefix}-c${i}`));
      if (res.status !== 201) throw new Error(`registration answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
  }

  /** Sends to another process from now on (the API was restarted on another port). */
  retarget(url: string): void {
    this.url = url;
  }

  /** Sends `perSecond` commands a second from now on: every 10 ms as many as are due, so timer lateness does not lower the rate. */
  start(perSecond: number): void {
    const from = performance.now();
    const already = this.sent;
    this.timer = setInterval(() => {
      const due = already + Math.floor(((performance.now() - from) * perSecond) / 1000);
      while (this.sent < due) this.send();
    }, 10);
  }

  private send(): void {
    const n = this.sent++;
    const bookingId = `${this.prefix}-b${n}`;
    const started = performance.now();
    const sending = this.request('POST', `/customers/${this.prefix}-c${n % this.customers}/bookings`, trip(bookingId))
      .then((res) => {
        if (res.status >= 200 && res.status < 300) this.acknowledged.add(bookingId);
        this.answers.push({ bookingId, ...res, ms: performance.now() - started, at: Date.now() });
      })
      .catch(() => void this.answers.push({ bookingId, status: 0, ms: performance.now() - started, at: Date.now(), retryAfter: null, body: null }))
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /** Stops sending and waits for every answer still due. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
  }

  /** Resolves with the first answer 2xx after `since` (epoch ms). */
  async acknowledgedAfter(since: number, withinMs: number): Promise<Answer> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const answer = this.answers.find((a) => a.at >= since && a.status >= 200 && a.status < 300);
      if (answer) return answer;
      if (Date.now() > deadline) throw new Error(`no command acknowledged within ${withinMs} ms; last answers: ${JSON.stringify(this.answers.slice(-3))}`);
      await new Promise((done) => setTimeout(done, 20));
    }
  }
}

/** How often each booking of the load is in the log: every acknowledged one exactly once, none twice. */
export async function bookingsInLog(pool: Pool, prefix: string): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: string; n: number }>(
    `SELECT data->>'bookingId' AS id, count(*)::int AS n FROM event_store.events WHERE type = 'TripBooked' AND data->>'bookingId' LIKE $1 GROUP BY 1`,
    [`${prefix}-b%`],
  );
  return new Map(rows.map((row) => [row.id, row.n]));
}

/** The acknowledged bookings missing from the log, and the bookings stored more than once (both must be empty). */
export async function lostOrDoubled(pool: Pool, load: CommandLoad, prefix: string): Promise<{ lost: string[]; doubled: string[] }> {
  const stored = await bookingsInLog(pool, prefix);
  return { lost: [...load.acknowledged].filter((id) => !stored.has(id)), doubled: [...stored].filter(([, n]) => n > 1).map(([id]) => id) };
}
