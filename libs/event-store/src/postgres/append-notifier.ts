import { EventEmitter } from 'node:events';
import type { Pool } from 'pg';
import { ChannelListener } from '../../../postgres/src';

const CHANNEL = 'event_store_appended';

/**
 * Tells subscribers that the log grew: this process's at once, other processes' through LISTEN/NOTIFY. Polling
 * (subscribeByPolling) covers whatever a notification misses.
 */
export class AppendNotifier {
  private readonly appended = new EventEmitter().setMaxListeners(0);
  /** One LISTEN connection per store, shared by all subscriptions, opened by the first; polling covers its gaps. */
  private readonly listener: ChannelListener;
  private notifying = false;
  private notifyAgain = false;
  private closed = false;

  constructor(private readonly pool: Pool) {
    const wake = (): boolean => this.appended.emit('appended');
    // After a reconnection subscribers catch up at once on what was appended in the gap, without waiting for a poll.
    this.listener = new ChannelListener(pool.options, CHANNEL, { notification: wake, listening: wake });
  }

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
    this.listener.start();
    return () => this.appended.off('appended', listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.appended.removeAllListeners();
    await this.listener.close();
  }
}
