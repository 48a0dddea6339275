import type { Pool } from 'pg';
import type { HashChainBroken } from './verify-report';

/**
 * The sealed global chain (routines/seal.sql): seal n must equal seal_link(seal n-1, stream_hash of the event it
 * names), seals numbered 1, 2, 3 ... without a gap, and the seal head must name the last seal.
 */

// One page of seals over a range of seq. The first seal of the page takes its predecessor from an index probe.
export const SEAL_PAGE_SQL = `
WITH page AS (
  SELECT s.seq, s.global_position, s.hash, lag(s.seq) OVER w AS previous_seq, lag(s.hash) OVER w AS previous_hash
    FROM event_store.seals s
   WHERE s.seq > $1 AND s.seq <= $2
  WINDOW w AS (ORDER BY s.seq)
), checked AS (
  SELECT p.seq, p.global_position,
         e.global_position IS NOT NULL
         AND coalesce(p.previous_seq, (SELECT b.seq FROM event_store.seals b WHERE b.seq = p.seq - 1), 0) = p.seq - 1
         AND p.hash = event_store.seal_link(
               CASE WHEN p.previous_seq IS NOT NULL THEN p.previous_hash
                    WHEN p.seq = 1 THEN ''::bytea
                    ELSE (SELECT b.hash FROM event_store.seals b WHERE b.seq = p.seq - 1) END,
               e.stream_hash) AS ok
    FROM page p LEFT JOIN event_store.events e ON e.global_position = p.global_position
)
SELECT count(*)::int AS events, (SELECT c.global_position FROM checked c WHERE c.ok IS NOT TRUE ORDER BY c.seq LIMIT 1) AS broken,
       min(c.seq) FILTER (WHERE c.ok IS NOT TRUE) AS broken_seq
  FROM checked c`;

const unplaced = { streamId: null, streamPosition: null, eventId: null };

/** Why seal `seq` fails, in words. */
export async function explainSeal(pool: Pool, seq: number): Promise<HashChainBroken> {
  const { rows } = await pool.query<{
    global_position: string; stream_id: string | null; stream_position: string | null; event_id: string | null; previous: boolean;
  }>(
    `SELECT s.global_position, e.stream_id, e.stream_position, e.event_id, p.seq IS NOT NULL AS previous
       FROM event_store.seals s
       LEFT JOIN event_store.events e ON e.global_position = s.global_position
       LEFT JOIN event_store.seals p ON p.seq = s.seq - 1
      WHERE s.seq = $1`,
    [seq],
  );
  const row = rows[0];
  const globalPosition = Number(row.global_position);
  if (row.event_id === null) {
    return { ok: false, chain: 'global', ...unplaced, globalPosition, reason: `the event sealed as seal ${seq} is missing: it was removed after it was sealed` };
  }
  const at = { streamId: row.stream_id, streamPosition: Number(row.stream_position), globalPosition, eventId: row.event_id };
  const reason =
    seq > 1 && !row.previous
      ? `seal ${seq - 1}, the one before its seal, is missing: a seal was removed`
      : `its seal (${seq}) does not match its stream hash chained to ${seq > 1 ? `seal ${seq - 1}` : 'the start'}: ` +
        'its stream hash was rewritten after it was sealed, or the seals were altered';
  return { ok: false, chain: 'global', ...at, reason };
}

export interface SealHead {
  seq: number;
  transactionId: string;
  position: number;
  hash: Buffer;
  legacyBreak: string | null;
  legacyBreakPosition: number | null;
  /** The highest seal number stored, and the seal the head's number names (null when missing). */
  lastSeq: number;
  named: { position: number; hash: Buffer } | null;
  unsealed: number;
  oldest: { position: number; ageSeconds: number } | null;
}

export async function readSealHead(pool: Pool): Promise<SealHead> {
  const { rows } = await pool.query<{
    seq: string; transaction_id: string; global_position: string; hash: Buffer; legacy_break: string | null; legacy_break_position: string | null;
    last_seq: string | null; named_position: string | null; named_hash: Buffer | null; unsealed: string; oldest_position: string | null; oldest_age: number | null;
  }>(
    `SELECT h.seq, h.transaction_id::text, h.global_position, h.hash, h.legacy_break, h.legacy_break_position,
            (SELECT max(s.seq) FROM event_store.seals s) AS last_seq,
            n.global_position AS named_position, n.hash AS named_hash,
            (SELECT count(*) FROM event_store.events e WHERE (e.transaction_id, e.global_position) > (h.transaction_id, h.global_position)) AS unsealed,
            o.global_position AS oldest_position, extract(epoch FROM clock_timestamp() - o.recorded_at)::float8 AS oldest_age
       FROM event_store.seal_head h
       LEFT JOIN event_store.seals n ON n.seq = h.seq
       LEFT JOIN LATERAL (SELECT e.global_position, e.recorded_at FROM event_store.events e
                           WHERE (e.transaction_id, e.global_position) > (h.transaction_id, h.global_position)
                           ORDER BY e.recorded_at LIMIT 1) o ON true`,
  );
  if (!rows.length) throw new Error('event_store.seal_head is empty: the sealing migration did not complete');
  const [row] = rows;
  return {
    seq: Number(row.seq),
    transactionId: row.transaction_id,
    position: Number(row.global_position),
    hash: row.hash,
    legacyBreak: row.legacy_break,
    legacyBreakPosition: row.legacy_break_position === null ? null : Number(row.legacy_break_position),
    lastSeq: Number(row.last_seq ?? 0),
    named: row.named_position === null ? null : { position: Number(row.named_position), hash: row.named_hash! },
    unsealed: Number(row.unsealed),
    oldest: row.oldest_position === null ? null : { position: Number(row.oldest_position), ageSeconds: row.oldest_age ?? 0 },
  };
}

/** What the head says against the seals, and events inside the sealed range without a seal; null when all agree. */
export async function checkSealHead(pool: Pool, head: SealHead): Promise<HashChainBroken | null> {
  const broken = (globalPosition: number, reason: string): HashChainBroken => ({ ok: false, chain: 'global', ...unplaced, globalPosition, reason });
  if (head.lastSeq < head.seq) {
    return broken(head.position, `the seal head names seal ${head.seq} (global position ${head.position}), the seals end at ${head.lastSeq}: seals at the end were removed`);
  }
  if (head.lastSeq > head.seq) return broken(head.position, `seals beyond the seal head (seal ${head.seq}) exist: they were written around the sealer, or the head was moved back`);
  if (head.seq > 0 && (head.named?.position !== head.position || !head.named.hash.equals(head.hash))) {
    return broken(head.position, `the seal head differs from seal ${head.seq}: the head or the last seal was altered`);
  }
  const { rows } = await pool.query<{ global_position: string; stream_id: string; stream_position: string; event_id: string }>(
    `SELECT e.global_position, e.stream_id, e.stream_position, e.event_id FROM event_store.events e
      WHERE (e.transaction_id, e.global_position) <= ($1::xid8, $2::bigint)
        AND NOT EXISTS (SELECT 1 FROM event_store.seals s WHERE s.global_position = e.global_position)
      ORDER BY e.transaction_id, e.global_position LIMIT 1`,
    [head.transactionId, head.position],
  );
  if (!rows.length) return null;
  const [row] = rows;
  return {
    ok: false, chain: 'global', streamId: row.stream_id, streamPosition: Number(row.stream_position), globalPosition: Number(row.global_position), eventId: row.event_id,
    reason: 'it lies inside the sealed part of the log but has no seal: it was inserted after sealing',
  };
}
