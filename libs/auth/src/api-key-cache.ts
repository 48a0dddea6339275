import type { Pool } from 'pg';
import { ChannelListener, type ReconnectBackoff } from '../../postgres/src';
import { API_KEYS_CHANNEL, apiKeyHash, findActiveApiKey } from './api-keys';
import type { Principal } from './roles';

export interface ApiKeyCacheOptions {
  /**
   * How long an accepted key is served from memory at most, notification or not. The default, 1 s, keeps the
   * one-second revocation promise even when a notification is lost on a connection that does not know it is dead
   * (a half-open TCP connection: keepalive finds it only after minutes). It costs one indexed lookup a second per key
   * and process, where a busy integration sends hundreds of requests.
   */
  maxAgeMs?: number;
  reconnect?: ReconnectBackoff;
  log?: (line: string) => void;
}

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Accepted API keys, kept in memory by the SHA-256 of the key (never the key itself), so a request costs no query.
 * A change to a key reaches every process through LISTEN/NOTIFY (api-keys-changed.sql) and drops it here at once.
 * Only active keys are kept: a refusal is never remembered, so a key created by another process works on its first
 * request (guessing costs a lookup each, under the per-address rate limit). While the LISTEN connection is down a
 * notification could be missed, so the cache is emptied and every request looks its key up until it is back.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly listener: ChannelListener;
  private readonly maxAgeMs: number;
  /**
   * Counts notifications and connection changes. A lookup that overlaps one is answered but not kept: its row may
   * have been read before a revocation whose notification arrived while the query was in flight.
   */
  private epoch = 0;
  private wasListening = false;

  constructor(
    private readonly pool: Pool,
    options: ApiKeyCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 1_000;
    const log = options.log ?? (() => undefined);
    this.listener = new ChannelListener(
      pool.options,
      API_KEYS_CHANNEL,
      {
        notification: (keyId) => this.forget(keyId),
        listening: () => {
          this.epoch++;
          if (this.wasListening) log('API-key cache: the LISTEN connection is back; keys are served from memory again');
          this.wasListening = true;
        },
        lost: (error) => {
          this.epoch++;
          this.entries.clear();
          if (this.wasListening) log(`API-key cache: the LISTEN connection was lost (${error.message}); every request looks its key up until it is back`);
          this.wasListening = false;
        },
      },
      options.reconnect,
    );
  }

  /** The principal of an active key; null for an unknown, revoked or malformed one. */
  async authenticate(key: string): Promise<Principal | null> {
    const hash = apiKeyHash(key);
    if (!hash) return null;
    this.listener.start();
    const id = hash.toString('hex');
    const cached = this.entries.get(id);
    if (cached && cached.expiresAt > performance.now() && this.listener.listening) return cached.principal;
    const epoch = this.epoch;
    const principal = await findActiveApiKey(this.pool, hash);
    if (!principal) this.entries.delete(id);
    else if (epoch === this.epoch && this.listener.listening) this.entries.set(id, { principal, expiresAt: performance.now() + this.maxAgeMs });
    return principal;
  }

  /** True while revocations reach this process at once, i.e. while keys may be served from memory. */
  get listening(): boolean {
    return this.listener.listening;
  }

  close(): Promise<void> {
    this.entries.clear();
    return this.listener.close();
  }

  private forget(keyId: string): void {
    this.epoch++;
    // A handful of keys per process: a scan is cheaper than a second index by id.
    for (const [id, entry] of this.entries) if (entry.principal.via.kind === 'api-key' && entry.principal.via.keyId === keyId) this.entries.delete(id);
  }
}
