import type { Pool } from 'pg';

/**
 * Verifies the tamper-evidence links of the PostgreSQL log (issue 7): every event's stream_hash must equal
 * event_link(stream_hash of the previous event of its stream, ...) and its global_hash event_link(global_hash of the
 * previous event of the log, ...), over the digest recomputed from the row as stored (event_store.event_digest and
 * event_link, in routines/hash-chain.sql); and the chain head must name the last event. Each link is checked on its
 * own against the stored hashes (lag() over a page, so pages run side by side), never by replaying the chain.
 */
export type ChainName = 'stream' | 'global';

export interface HashChainsIntact {
  ok: true;
  events: number;
  /** Streams verified from their first event (with intact chains: every stream with an event in scope). */
  streams: number;
  /** The chain head at the start of the run: hash (hex) of the event at `position`; 0 and '' for an empty log. */
  head: { position: number; hash: string };
}

export interface HashChainBroken {
  ok: false;
  chain: ChainName;
  /** The event whose link fails; null when the link that fails is the chain head's (events missing at the end). */
  streamId: string | null;
  streamPosition: number | null;
  globalPosition: number;
  eventId: string | null;
  reason: string;
}

export type HashChainReport = HashChainsIntact | HashChainBroken;

export interface VerifyProgress {
  /** Events checked so far, and the global position every event up to which has been checked. */
  events: number;
  checkedUpTo: number;
  head: number;
}

export interface VerifyOptions {
  /** Global positions per page (one statement each). */
  pageSize?: number;
  /** Pages in flight at once, each on its own pooled connection. */
  concurrency?: number;
  onProgress?: (progress: VerifyProgress) => void;
}

const hex = (value: Buffer | null): string => (value ? value.toString('hex') : '');

const DIGEST = 'event_store.event_digest(e.stream_id, e.stream_position, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.occurred_at)';

// One page of links. The digest is computed below the window sorts (OFFSET 0 keeps the subquery from being merged),
// so the sorts carry 32-byte digests, not the events. The first link of the page and the first of each stream in it
// take their previous hash from an index probe; all others from lag() over the page.
const PAGE_SQL = `
WITH rows AS (
  SELECT e.global_position, e.stream_id, e.stream_position, e.recorded_at, e.stream_hash, e.global_hash,
         ${DIGEST} AS digest
    FROM event_store.events e
   WHERE e.global_position > $1 AND e.global_position <= $2
  OFFSET 0
), lagged AS (
  SELECT r.*,
         lag(r.global_position) OVER (ORDER BY r.global_position) AS previous_position,
         lag(r.global_hash) OVER (ORDER BY r.global_position) AS previous_global,
         lag(r.stream_position) OVER s AS previous_in_stream,
         lag(r.stream_hash) OVER s AS previous_stream
    FROM rows r
  WINDOW s AS (PARTITION BY r.stream_id ORDER BY r.stream_position)
), before_page AS (
  SELECT CASE WHEN b.global_position IS NULL THEN ''::bytea ELSE b.global_hash END AS hash
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (SELECT x.global_position, x.global_hash FROM event_store.events x
                        WHERE x.global_position <= $1 ORDER BY x.global_position DESC LIMIT 1) b ON true
), checked AS (
  SELECT l.global_position, l.stream_position,
         l.stream_hash = event_store.event_link(
           CASE WHEN l.stream_position = 1 THEN ''::bytea
                WHEN l.previous_in_stream = l.stream_position - 1 THEN l.previous_stream
                ELSE (SELECT x.stream_hash FROM event_store.events x
                       WHERE x.stream_id = l.stream_id AND x.stream_position = l.stream_position - 1) END,
           l.global_position, l.recorded_at, l.digest) AS stream_ok,
         l.global_hash = event_store.event_link(
           CASE WHEN l.previous_position IS NULL THEN (SELECT p.hash FROM before_page p) ELSE l.previous_global END,
           l.global_position, l.recorded_at, l.digest) AS global_ok
    FROM lagged l
)
SELECT count(*)::int AS events,
       count(*) FILTER (WHERE c.stream_position = 1)::int AS streams,
       min(c.global_position) FILTER (WHERE c.stream_ok IS NOT TRUE) AS stream_break,
       min(c.global_position) FILTER (WHERE c.global_ok IS NOT TRUE) AS global_break
  FROM checked c`;

interface PageResult {
  events: number;
  streams: number;
  stream_break: string | null;
  global_break: string | null;
}

interface Head {
  position: number;
  hash: Buffer;
  /** The first committed event beyond the head: written around the append functions, or the head rolled back. */
  stray: number | null;
  first: number | null;
}

async function readHead(pool: Pool): Promise<Head> {
  // One statement, one snapshot: an append commits its events and the head together, so in this snapshot every
  // event appended through the functions is at or below the head.
  const { rows } = await pool.query<{ last_position: string; hash: Buffer; stray: string | null; first: string | null }>(
    `SELECT h.last_position, h.hash,
            (SELECT min(e.global_position) FROM event_store.events e WHERE e.global_position > h.last_position) AS stray,
            (SELECT min(e.global_position) FROM event_store.events e) AS first
       FROM event_store.chain_head h`,
  );
  if (!rows.length) throw new Error('event_store.chain_head is empty: the hash-chain migration did not complete');
  const [row] = rows;
  return { position: Number(row.last_position), hash: row.hash, stray: row.stray === null ? null : Number(row.stray), first: row.first === null ? null : Number(row.first) };
}

/** Why the link of the event at `position` fails, in words; run once, for the first broken link. */
async function explain(pool: Pool, chain: ChainName, position: number): Promise<HashChainBroken> {
  const { rows } = await pool.query<{
    stream_id: string; stream_position: string; event_id: string; has_hash: boolean; stream_ok: boolean | null; global_ok: boolean | null;
    previous_in_stream: boolean; previous_stream_hash: boolean; previous_stream_global: string | null; previous_global: string | null;
    previous_global_hash: boolean;
  }>(
    `SELECT e.stream_id, e.stream_position, e.event_id,
            CASE WHEN $2 = 'stream' THEN e.stream_hash ELSE e.global_hash END IS NOT NULL AS has_hash,
            e.stream_hash = event_store.event_link(CASE WHEN e.stream_position = 1 THEN ''::bytea ELSE s.stream_hash END,
                                                   e.global_position, e.recorded_at, ${DIGEST}) AS stream_ok,
            e.global_hash = event_store.event_link(CASE WHEN g.global_position IS NULL THEN ''::bytea ELSE g.global_hash END,
                                                   e.global_position, e.recorded_at, ${DIGEST}) AS global_ok,
            s.global_position IS NOT NULL AS previous_in_stream, s.stream_hash IS NOT NULL AS previous_stream_hash, s.global_position AS previous_stream_global,
            g.global_position AS previous_global, g.global_hash IS NOT NULL AS previous_global_hash
       FROM event_store.events e
       LEFT JOIN event_store.events s ON s.stream_id = e.stream_id AND s.stream_position = e.stream_position - 1
       LEFT JOIN LATERAL (SELECT x.global_position, x.global_hash FROM event_store.events x
                           WHERE x.global_position < e.global_position ORDER BY x.global_position DESC LIMIT 1) g ON true
      WHERE e.global_position = $1`,
    [position, chain],
  );
  const row = rows[0];
  const at = { streamId: row.stream_id, streamPosition: Number(row.stream_position), globalPosition: position, eventId: row.event_id };
  const previousInStream = `stream position ${at.streamPosition - 1}`;
  const previousInLog = row.previous_global === null ? 'the start of the log' : `global position ${row.previous_global}`;
  let reason: string;
  if (!row.has_hash) reason = `it has no ${chain} hash: it was written around the event store's append functions`;
  else if (chain === 'stream' && at.streamPosition > 1 && !row.previous_in_stream) reason = `${previousInStream} of its stream is missing: an event was removed`;
  else if (chain === 'stream' && at.streamPosition > 1 && !row.previous_stream_hash) reason = `the previous event of its stream (${previousInStream}) has no hash`;
  else if (chain === 'global' && row.previous_global !== null && !row.previous_global_hash) reason = `the previous event of the log (${previousInLog}) has no hash`;
  else if (!row.stream_ok && !row.global_ok) {
    // With one event before it in both chains, that event rewritten with fresh hashes looks the same from here.
    reason =
      row.previous_global === row.previous_stream_global
        ? `its hashes do not match its content chained to the event before it (${previousInLog}): it was altered after it was appended, or that event was altered and its hashes recomputed`
        : 'its stored content no longer matches its hashes: it was altered after it was appended';
  } else if (chain === 'stream') {
    reason = `it does not chain to the previous event of its stream (${previousInStream}): that event was altered and its hash recomputed, or this hash was rewritten`;
  } else {
    reason = `it does not chain to the previous event of the log (${previousInLog}): an event between them was removed, or that event was altered and its hash recomputed`;
  }
  return { ok: false, chain, ...at, reason };
}

export async function verifyHashChains(pool: Pool, options: VerifyOptions = {}): Promise<HashChainReport> {
  const pageSize = options.pageSize ?? 20_000;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const head = await readHead(pool);
  const start = (head.first ?? 1) - 1;
  const pages = Math.max(0, Math.ceil((head.position - start) / pageSize));

  // Pages are checked side by side but taken in order: the first broken link is that of the earliest page with one.
  let events = 0;
  let streams = 0;
  let next = 0;
  const results: (PageResult | undefined)[] = [];
  let settled = 0;
  let broken: { chain: ChainName; position: number } | undefined;
  const worker = async (): Promise<void> => {
    while (next < pages && !broken) {
      const page = next++;
      const from = start + page * pageSize;
      const { rows } = await pool.query<PageResult>({ name: 'event_store_verify_page', text: PAGE_SQL, values: [from, Math.min(from + pageSize, head.position)] });
      results[page] = rows[0];
      for (; settled < pages && results[settled] && !broken; settled++) {
        const result = results[settled]!;
        events += result.events;
        streams += result.streams;
        const stream = result.stream_break === null ? Infinity : Number(result.stream_break);
        const global = result.global_break === null ? Infinity : Number(result.global_break);
        // At the same event the stream chain is named: its content broke both links.
        if (stream !== Infinity || global !== Infinity) broken = stream <= global ? { chain: 'stream', position: stream } : { chain: 'global', position: global };
        options.onProgress?.({ events, checkedUpTo: Math.min(start + (settled + 1) * pageSize, head.position), head: head.position });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(pages, 1)) }, worker));
  if (broken) return explain(pool, broken.chain, broken.position);

  const { rows } = await pool.query<{ global_position: string; global_hash: Buffer | null }>(
    'SELECT global_position, global_hash FROM event_store.events WHERE global_position <= $1 ORDER BY global_position DESC LIMIT 1',
    [head.position],
  );
  const last = rows[0] ? { position: Number(rows[0].global_position), hash: rows[0].global_hash } : { position: 0, hash: Buffer.alloc(0) };
  const tail = { ok: false as const, chain: 'global' as const, streamId: null, streamPosition: null, eventId: null };
  if (last.position !== head.position) {
    return {
      ...tail,
      globalPosition: head.position,
      reason: `the chain head names global position ${head.position}, the log ends at ${last.position}: events at the end were removed`,
    };
  }
  if (!last.hash || !last.hash.equals(head.hash)) {
    return { ...tail, globalPosition: head.position, reason: `the chain head's hash differs from that of the last event: the head or the last event was altered` };
  }
  if (head.stray !== null) {
    const { rows: stray } = await pool.query<{ stream_id: string; stream_position: string; event_id: string }>(
      'SELECT stream_id, stream_position, event_id FROM event_store.events WHERE global_position = $1',
      [head.stray],
    );
    return {
      ok: false, chain: 'global', streamId: stray[0].stream_id, streamPosition: Number(stray[0].stream_position), globalPosition: head.stray, eventId: stray[0].event_id,
      reason: `the event lies beyond the chain head (global position ${head.position}): it was written around the append functions, or the head was moved back`,
    };
  }
  return { ok: true, events, streams, head: { position: head.position, hash: hex(head.hash) } };
}
