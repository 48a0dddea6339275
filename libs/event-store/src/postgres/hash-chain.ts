import type { Pool } from 'pg';
import { STREAM_PAGE_SQL, explainStreamLink } from './stream-links';
import { SEAL_PAGE_SQL, checkSealHead, explainSeal, readSealHead } from './seal-links';
import type { HashChainReport, VerifyProgress } from './verify-report';

export * from './verify-report';

export interface VerifyOptions {
  /** Global positions (or seals) per page (one statement each). */
  pageSize?: number;
  /** Pages in flight at once, each on its own pooled connection. */
  concurrency?: number;
  /** Unsealed events older than this are an alarm (the sealer is not keeping up), younger ones pending. */
  sealAlarmSeconds?: number;
  onProgress?: (progress: VerifyProgress) => void;
}

interface Page {
  events: number;
  streams?: number;
  broken: string | null;
  broken_seq?: string | null;
}

/**
 * Runs `sql` over the pages of (from, to] side by side, taken in order: the first broken link is that of the earliest
 * page with one, and pages after it are not started.
 */
async function pages(pool: Pool, sql: string, from: number, to: number, phase: VerifyProgress['phase'], options: VerifyOptions) {
  const pageSize = options.pageSize ?? 20_000;
  const count = Math.max(0, Math.ceil((to - from) / pageSize));
  const totals = { events: 0, streams: 0, broken: null as Page | null };
  const results: (Page | undefined)[] = [];
  let next = 0;
  let settled = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !totals.broken) {
      const page = next++;
      const start = from + page * pageSize;
      results[page] = (await pool.query<Page>(sql, [start, Math.min(start + pageSize, to)])).rows[0];
      for (; settled < count && results[settled] && !totals.broken; settled++) {
        const result = results[settled]!;
        totals.events += result.events;
        totals.streams += result.streams ?? 0;
        if (result.broken !== null) totals.broken = result;
        options.onProgress?.({ phase, checkedUpTo: Math.min(from + (settled + 1) * pageSize, to), of: to });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, options.concurrency ?? 2), Math.max(count, 1)) }, worker));
  return totals;
}

/**
 * Verifies the tamper evidence of the PostgreSQL log (issues 7 and 14). Two chains:
 * - each stream's: every event's stream_hash links it to the previous event of its stream (stream-links.ts);
 * - the global one, sealed after commit: seal n links the stream hash of the n-th event in commit-safe order to
 *   seal n-1 (seal-links.ts), and the seal head names the last seal.
 * Each link is checked on its own against the stored hashes (pages side by side), never by replaying a chain.
 * Committed events the sealer has not reached yet are pending while younger than the alarm age, an alarm after.
 */
export async function verifyHashChains(pool: Pool, options: VerifyOptions = {}): Promise<HashChainReport> {
  // Read first: whatever is sealed by now is checked; events appended during the run are left for the next one.
  const head = await readSealHead(pool);
  const { rows } = await pool.query<{ first: string | null; last: string | null }>(
    'SELECT min(global_position) AS first, max(global_position) AS last FROM event_store.events',
  );
  const first = Number(rows[0].first ?? 1);
  const streams = await pages(pool, STREAM_PAGE_SQL, first - 1, Number(rows[0].last ?? 0), 'stream chains', options);
  const seals = await pages(pool, SEAL_PAGE_SQL, 0, Math.max(head.seq, head.lastSeq), 'seals', options);
  // The earlier of the two breaks in the log is named; at one event, its stream chain (its content broke both).
  const streamBreak = streams.broken ? Number(streams.broken.broken) : Infinity;
  const sealBreak = seals.broken ? Number(seals.broken.broken) : Infinity;
  if (streamBreak !== Infinity && streamBreak <= sealBreak) return explainStreamLink(pool, streamBreak);
  if (seals.broken) return explainSeal(pool, Number(seals.broken.broken_seq));

  const headBreak = await checkSealHead(pool, head);
  if (headBreak) return headBreak;
  const alarm = options.sealAlarmSeconds ?? 60;
  if (head.oldest && head.oldest.ageSeconds > alarm) {
    const { rows: oldest } = await pool.query<{ stream_id: string; stream_position: string; event_id: string }>(
      'SELECT stream_id, stream_position, event_id FROM event_store.events WHERE global_position = $1',
      [head.oldest.position],
    );
    return {
      ok: false, chain: 'global', streamId: oldest[0].stream_id, streamPosition: Number(oldest[0].stream_position), globalPosition: head.oldest.position, eventId: oldest[0].event_id,
      reason: `it has waited ${Math.round(head.oldest.ageSeconds)} s to be sealed (alarm after ${alarm} s; ${head.unsealed} events unsealed): ` +
        'no sealer is running, or a long transaction holds back the commit fence',
    };
  }
  if (head.legacyBreak) return { ok: false, chain: 'global', streamId: null, streamPosition: null, eventId: null, globalPosition: head.legacyBreakPosition ?? 0, reason: head.legacyBreak };
  return {
    ok: true,
    events: streams.events,
    streams: streams.streams,
    head: { seq: head.seq, position: head.position, hash: head.hash.toString('hex') },
    pending: { events: head.unsealed, oldestSeconds: Math.round((head.oldest?.ageSeconds ?? 0) * 1000) / 1000 },
  };
}
