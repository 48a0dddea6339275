import { EventEmitter } from 'node:events';
import { Client, type Pool } from 'pg';

const CHANNEL = 'event_store_appended';

/**
 * Tells subscribers that the log grew: this process's at once, other processes' through LISTEN/NOTIFY. Polling
 * (subscribeByPolling) covers whatever a notification misses.
 */
export class AppendNotifier {
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private listener?: Promise<Client>;
  private notifying = false;
  private notifyAgain = false;
  private closed = false;

  constructor(private readonly pool: Pool) {}

  /** Wakes this process's subscribers at once, and other processes' through one coalesced NOTIFY. */
  announce(): void {
    this.appended.emit('appended');
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    // Outside the append transaction: a NOTIFY inside it would serialise every commit on the notify queue lock.
    // The first one waits 5 ms too, so a burst of appends costs one NOTIFY (each is a flushed WAL write).
    const send = (): void => {
      this.notifyAgain = false;
      this.pool
        .query(`SELECT pg_notify('${CHANNEL}', '')`)
        .catch(() => undefined)
        .finally(() => {
          if (this.notifyAgain && !this.closed) setTimeout(send, 5);
          else this.notifying = false;
        });
    };
    setTimeout(send, 5);
  }

  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    void this.listen().catch(() => undefined);
    return () => this.appended.off('appended', listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.appended.removeAllListeners();
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await listener.then((client) => client.end()).catch(() => undefined);
  }

  /** One LISTEN connection per store, shared by all subscriptions; polling covers its gaps. */
  private listen(): Promise<Client> {
    if (this.listener || this.closed) return this.listener ?? Promise.reject(new Error('closed'));
    const options = this.pool.options;
    const client = new Client({ ...options });
    this.listener = client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(() => {
        client.on('notification', () => this.appended.emit('appended'));
        client.on('error', () => {
          this.listener = undefined;
          client.end().catch(() => undefined);
        });
        return client;
      })
      .catch((error: unknown) => {
        this.listener = undefined;
        throw error;
      });
    return this.listener;
  }
}
