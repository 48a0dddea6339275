import { Client, type ClientConfig } from 'pg';

/**
 * SQLSTATE classes and codes that mean "the server or the connection is gone", not "this statement is wrong":
 * 08 connection exception, 57P01 admin shutdown (pg_ctl stop -m fast, pg_terminate_backend), 57P02 crash shutdown,
 * 57P03 cannot connect now (starting up or shutting down), 53300 too many connections.
 */
const FAULT_CODES = /^(08|57P0[123]$|53300$)/;
/** Socket errors, and pg's own messages for a connection that broke or never came up (they carry no code). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const FAULT_MESSAGES = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/i;

/** True when `error` says the database cannot be reached, as opposed to a statement it refused. */
export function isConnectionFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (FAULT_CODES.test(code) || SOCKET_CODES.has(code))) return true;
  if (FAULT_MESSAGES.test(error.message)) return true;
  // AggregateError (a host with several addresses) and wrapped errors carry the socket error inside.
  const inner = (error as { errors?: unknown[]; cause?: unknown }).errors?.[0] ?? (error as { cause?: unknown }).cause;
  return inner !== undefined && inner !== error && isConnectionFault(inner);
}

/** An error's message, or its code where it has none (pg's AggregateError of a refused connection). */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error));

export type AvailabilityStatus = { state: 'ok' } | { state: 'database-unavailable'; since: string; lastError: string };

/** Thrown instead of trying the database while it is known to be down: the API answers it with 503 at once. */
export class DatabaseUnavailable extends Error {
  constructor(readonly status: Extract<AvailabilityStatus, { state: 'database-unavailable' }>) {
    super(`the database is unavailable since ${status.since} (${status.lastError})`);
  }
}

/**
 * What one process knows about its database: up, or down since when and why. Whoever meets a connection fault
 * reports it (`failed`); from then on a probe on a connection of its own (not the pool's, which may be busy or
 * waiting on dead sockets) tries every `probeMs` until the server answers. The loops wait on `up` instead of
 * backing off blindly, so they resume as soon as it is back, and the log gets one line when the database is lost
 * and one when it is back, not one per retry.
 */
export class DatabaseAvailability {
  private since: Date | null = null;
  private lastError = '';
  private probing?: NodeJS.Timeout;
  private closed = false;
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly connection: ClientConfig,
    private readonly log: (line: string) => void,
    private readonly probeMs = 250,
  ) {}

  status(): AvailabilityStatus {
    return this.since ? { state: 'database-unavailable', since: this.since.toISOString(), lastError: this.lastError } : { state: 'ok' };
  }

  /** The error to answer with while the database is known to be down, else null. */
  unavailable(): DatabaseUnavailable | null {
    const status = this.status();
    return status.state === 'ok' ? null : new DatabaseUnavailable(status);
  }

  /** Reports an error; true when it was a connection fault (the database is then taken as down until a probe answers). */
  failed(error: unknown): boolean {
    if (error instanceof DatabaseUnavailable) return true;
    if (!isConnectionFault(error)) return false;
    this.lastError = messageOf(error);
    if (!this.since && !this.closed) {
      this.since = new Date();
      this.log(`database unavailable: ${this.lastError}; answering 503 and retrying until it is back`);
      this.probe(0);
    }
    return true;
  }

  /** Resolves once the database answers again (at once when it is not known to be down), or when the signal aborts. */
  up(signal: AbortSignal): Promise<void> {
    if (!this.since || signal.aborted || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiting.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiting.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.probing);
    for (const done of [...this.waiting]) done();
  }

  private probe(delayMs: number): void {
    this.probing = setTimeout(() => {
      const client = new Client({ ...this.connection, connectionTimeoutMillis: 2_000, application_name: 'availability-probe' });
      client.on('error', () => undefined);
      client
        .connect()
        .then(() => client.query('SELECT 1'))
        .then(
          () => {
            const seconds = (Date.now() - this.since!.getTime()) / 1000;
            this.since = null;
            this.log(`database back after ${seconds.toFixed(1)} s`);
            for (const done of [...this.waiting]) done();
          },
          (error: unknown) => {
            this.lastError = messageOf(error);
            if (!this.closed) this.probe(this.probeMs);
          },
        )
        .finally(() => void client.end().catch(() => undefined));
    }, delayMs);
    // A probe never keeps a process alive on its own.
    this.probing.unref();
  }
}
