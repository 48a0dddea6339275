import type { Pool } from 'pg';

/** How far the sealed global chain trails the log (routines/seal.sql). */
export interface SealStatus {
  /** Events sealed so far, and the global position and time of the last seal. */
  sealed: number;
  sealedPosition: number;
  sealedAt: string | null;
  /** Committed events not sealed yet, and how long the oldest of them has waited. */
  unsealed: number;
  oldestUnsealedAt: string | null;
  lagSeconds: number;
}


const STATUS_SQL = `
SELECT h.seq, h.global_position, h.sealed_at, u.unsealed, u.oldest,
       coalesce(extract(epoch FROM clock_timestamp() - u.oldest), 0)::float8 AS lag
  FROM event_store.seal_head h
  CROSS JOIN LATERAL (SELECT count(*) AS unsealed, min(e.recorded_at) AS oldest FROM event_store.events e
                       WHERE (e.transaction_id, e.global_position) > (h.transaction_id, h.global_position)) u`;

/**
 * Links committed events into the global chain after commit. Every engine process with the PostgreSQL log runs one
 * (apps/engine: runSealer, on an interval); the database lets one of them seal at a time (an advisory lock per
 * batch), so a process that dies mid-batch rolls its batch back and another (or it, restarted) carries on from the
 * checkpoint.
 */
export class Sealer {
  constructor(
    private readonly pool: Pool,
    /** Events per seal transaction: a batch holds back the readers' fence while it runs, so it stays short. */
    private readonly batchSize = 5_000,
  ) {}

  /** One batch: how many events it sealed, or busy when another process's sealer holds the lock. */
  async sealOnce(limit = this.batchSize): Promise<{ sealed: number; busy: boolean }> {
    const { rows } = await this.pool.query<{ sealed: number; busy: boolean }>({
      name: 'event_store_seal',
      text: 'SELECT sealed, busy FROM event_store.seal($1)',
      values: [limit],
    });
    return rows[0];
  }

  /** Seals batch after batch until the log is sealed up to the fence (or another process's sealer holds the lock). */
  async sealAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const { sealed, busy } = await this.sealOnce();
      total += sealed;
      if (busy || sealed < this.batchSize) return total;
    }
  }

  async status(): Promise<SealStatus> {
    const { rows } = await this.pool.query<{ seq: string; global_position: string; sealed_at: Date; unsealed: string; oldest: Date | null; lag: number }>(STATUS_SQL);
    const row = rows[0];
    return {
      sealed: Number(row.seq),
      sealedPosition: Number(row.global_position),
      sealedAt: Number(row.seq) > 0 ? row.sealed_at.toISOString() : null,
      unsealed: Number(row.unsealed),
      oldestUnsealedAt: row.oldest?.toISOString() ?? null,
      lagSeconds: Math.round(row.lag * 1000) / 1000,
    };
  }
}
