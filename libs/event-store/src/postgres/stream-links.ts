import type { Pool } from 'pg';
import type { HashChainBroken } from './verify-report';

/**
 * The stream chains (issue 7): every event's stream_hash must equal event_link(stream_hash of the previous event of
 * its stream, its global position, recorded_at, digest of the row as stored), routines/hash-chain.sql.
 */
const DIGEST = 'event_store.event_digest(e.stream_id, e.stream_position, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.occurred_at)';

// One page of links over a range of global positions. The digest is computed below the window sort (OFFSET 0 keeps
// the subquery from being merged), so the sort carries 32-byte digests, not the events. The first link of each
// stream in the page takes its previous hash from an index probe; all others from lag() over the page.
export const STREAM_PAGE_SQL = `
WITH rows AS (
  SELECT e.global_position, e.stream_id, e.stream_position, e.recorded_at, e.stream_hash, ${DIGEST} AS digest
    FROM event_store.events e
   WHERE e.global_position > $1 AND e.global_position <= $2
  OFFSET 0
), lagged AS (
  SELECT r.*, lag(r.stream_position) OVER s AS previous_in_stream, lag(r.stream_hash) OVER s AS previous_stream
    FROM rows r
  WINDOW s AS (PARTITION BY r.stream_id ORDER BY r.stream_position)
), checked AS (
  SELECT l.global_position, l.stream_position,
         l.stream_hash = event_store.event_link(
           CASE WHEN l.stream_position = 1 THEN ''::bytea
                WHEN l.previous_in_stream = l.stream_position - 1 THEN l.previous_stream
                ELSE (SELECT x.stream_hash FROM event_store.events x
                       WHERE x.stream_id = l.stream_id AND x.stream_position = l.stream_position - 1) END,
           l.global_position, l.recorded_at, l.digest) AS stream_ok
    FROM lagged l
)
SELECT count(*)::int AS events, count(*) FILTER (WHERE c.stream_position = 1)::int AS streams,
       min(c.global_position) FILTER (WHERE c.stream_ok IS NOT TRUE) AS broken
  FROM checked c`;

/** Why the stream link of the event at `position` fails, in words; run once, for the first broken link. */
export async function explainStreamLink(pool: Pool, position: number): Promise<HashChainBroken> {
  const { rows } = await pool.query<{
    stream_id: string; stream_position: string; event_id: string; has_hash: boolean; previous_in_stream: boolean; previous_stream_hash: boolean;
  }>(
    `SELECT e.stream_id, e.stream_position, e.event_id, e.stream_hash IS NOT NULL AS has_hash,
            s.global_position IS NOT NULL AS previous_in_stream, s.stream_hash IS NOT NULL AS previous_stream_hash
       FROM event_store.events e
       LEFT JOIN event_store.events s ON s.stream_id = e.stream_id AND s.stream_position = e.stream_position - 1
      WHERE e.global_position = $1`,
    [position],
  );
  const row = rows[0];
  const at = { streamId: row.stream_id, streamPosition: Number(row.stream_position), globalPosition: position, eventId: row.event_id };
  const previous = `stream position ${at.streamPosition - 1}`;
  let reason: string;
  if (!row.has_hash) reason = "it has no stream hash: it was written around the event store's append functions";
  else if (at.streamPosition > 1 && !row.previous_in_stream) reason = `${previous} of its stream is missing: an event was removed`;
  else if (at.streamPosition > 1 && !row.previous_stream_hash) reason = `the previous event of its stream (${previous}) has no hash`;
  else if (at.streamPosition === 1) reason = 'its stored content no longer matches its stream hash: it was altered or moved after it was appended';
  else {
    // From here an altered event and a predecessor altered with its hash recomputed look the same.
    reason =
      `its stream hash does not match its content chained to the previous event of its stream (${previous}): ` +
      'it was altered or moved after it was appended, or that event was altered and its hashes recomputed';
  }
  return { ok: false, chain: 'stream', ...at, reason };
}
