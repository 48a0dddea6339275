import { Client, type ClientConfig } from 'pg';

export interface ChannelEvents {
  notification(payload: string): void;
  /** LISTEN is live: after the first connection and after every reconnection. What was sent in a gap is lost. */
  listening?(): void;
  /** The connection is gone (database restart, terminated backend, network); nothing arrives until `listening`. */
  lost?(error: Error): void;
}

export interface ReconnectBackoff {
  /** Wait before the first reconnection attempt; it doubles after each failure, up to maxMs. */
  firstMs: number;
  maxMs: number;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * One dedicated connection that LISTENs on one channel for as long as it is not closed. A pooled connection cannot
 * LISTEN (the pool hands it to other queries between uses), so this one stands beside the pool, with the pool's
 * settings. It reconnects with backoff and never throws on a database fault: the process outlives a database restart.
 * Callers learn of every gap through `lost` and `listening`, because a notification sent in a gap is never delivered.
 */
export class ChannelListener {
  private client?: Client;
  private retry?: NodeJS.Timeout;
  private started = false;
  private closed = false;
  private live = false;
  private delayMs: number;

  constructor(
    private readonly connection: ClientConfig,
    private readonly channel: string,
    private readonly events: ChannelEvents,
    private readonly backoff: ReconnectBackoff = { firstMs: 100, maxMs: 5_000 },
  ) {
    // LISTEN takes an identifier, not a parameter.
    if (!CHANNEL.test(channel)) throw new Error(`channel must be a lower-case SQL identifier, got ${channel}`);
    this.delayMs = backoff.firstMs;
  }

  /** True while the LISTEN is live: every notification sent from now on will arrive. */
  get listening(): boolean {
    return this.live;
  }

  /** Connects on first call; later calls do nothing. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): void {
    const client = new Client({
      connectionTimeoutMillis: 10_000,
      ...this.connection,
      // A half-open connection (no RST from a vanished server) is found by TCP keepalive, not by silence.
      keepAlive: true,
      application_name: `listen:${this.channel}`,
    });
    this.client = client;
    const lost = (error: Error): void => this.lost(client, error);
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    client.on('notification', (message) => {
      if (this.client === client && message.channel === this.channel) this.events.notification(message.payload ?? '');
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${this.channel}`))
      .then(() => {
        if (this.client !== client) return;
        this.live = true;
        this.delayMs = this.backoff.firstMs;
        this.events.listening?.();
      })
      .catch(lost);
  }

  /** Each client reports its loss once (error, end and a failed connect may all fire); a closed listener stays down. */
  private lost(client: Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.live = false;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.events.lost?.(error);
    this.retry = setTimeout(() => this.connect(), this.delayMs);
    // The retry alone never keeps a process alive: a CLI that forgot close() still exits.
    this.retry.unref();
    this.delayMs = Math.min(this.delayMs * 2, this.backoff.maxMs);
  }
}
