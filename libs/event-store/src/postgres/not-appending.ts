import type { Pool, PoolClient } from 'pg';
import { inClientTransaction } from '../../../postgres/src';

/**
 * The fence of the log's readers: they take only events of transactions below it, so an event that commits late
 * behind a higher position is never stepped over. It is the least transaction still running, as pg_snapshot_xmin
 * is, except those declared not to append (below), which can add no event to wait for; with none left, every
 * transaction the snapshot counts as ended (its xmax).
 */
export const READ_FENCE = `(SELECT coalesce(min(x), pg_snapshot_xmax(pg_current_snapshot()))
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
   WHERE NOT EXISTS (SELECT 1 FROM event_store.not_appending n WHERE n.xid = x))`;

/**
 * Runs `work` in one REPEATABLE READ transaction on `client` (one snapshot) declared as one that never appends an
 * event, so log readers go on while it writes (issue 16: a segment evaluation wrote its memberships in a 2.6-s
 * transaction, and every read model's lag grew by that much behind it). `work` must append nothing.
 */
export const inNotAppendingTransaction = <T>(client: PoolClient, pool: Pool | PoolClient, work: (tx: PoolClient) => Promise<T>): Promise<T> =>
  inClientTransaction(
    client,
    async (tx) => {
      await declareNotAppending(tx, pool);
      return work(tx);
    },
    'BEGIN ISOLATION LEVEL REPEATABLE READ',
  );

/**
 * Declares the transaction open on `tx` as one that never appends an event. Called first in the transaction: it
 * takes the transaction's id and lists it through another connection (`pool`, or a client of its own), committed at once, so readers see it
 * while the transaction runs. Ended transactions' rows go in the same statement. Where the log is not in this
 * database (EventStoreDB) there is no fence and nothing to declare.
 */
export async function declareNotAppending(tx: PoolClient, pool: Pool | PoolClient): Promise<void> {
  const { rows } = await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  await pool
    .query(
      `WITH ended AS (DELETE FROM event_store.not_appending WHERE xid < pg_snapshot_xmin(pg_current_snapshot()))
       INSERT INTO event_store.not_appending (xid) VALUES ($1::xid8)`,
      [rows[0].xid],
    )
    .catch((error: { code?: string }) => {
      if (error.code !== '42P01') throw error;
    });
}
