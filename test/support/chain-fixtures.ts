import type { Pool } from 'pg';
import { Sealer } from '../../libs/event-store/src';

export interface Stored {
  global_position: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
}

export const storedEvents = async (sql: Pool): Promise<Stored[]> =>
  (await sql.query<Stored>('SELECT global_position, stream_id, stream_position, event_id FROM event_store.events ORDER BY global_position')).rows;

export const eventAt = async (sql: Pool, streamId: string, streamPosition: number): Promise<Stored> => {
  const row = (await storedEvents(sql)).find((e) => e.stream_id === streamId && Number(e.stream_position) === streamPosition);
  if (!row) throw new Error(`no event at ${streamId}/${streamPosition}`);
  return row;
};

/** How verify names an event. */
export const named = (event: Stored) => ({
  streamId: event.stream_id,
  streamPosition: Number(event.stream_position),
  globalPosition: Number(event.global_position),
  eventId: event.event_id,
});

/**
 * Seals until every committed event is sealed. The fence is server-wide: a transaction of another test file on the
 * same PostgreSQL holds sealing back until it ends, so this waits (up to 10 s) rather than sealing once.
 */
export async function sealEverything(sql: Pool): Promise<void> {
  const sealer = new Sealer(sql, 1_000);
  const deadline = Date.now() + 10_000;
  for (;;) {
    await sealer.sealAll();
    if ((await sealer.status()).unsealed === 0) return;
    if (Date.now() > deadline) throw new Error('events still unsealed after 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The seals in order: seq must run 1..n without a gap, each event sealed once. */
export const sealOrder = async (sql: Pool): Promise<number[]> =>
  (await sql.query<{ seq: string; global_position: string }>('SELECT seq, global_position FROM event_store.seals ORDER BY seq')).rows.map((row, i) => {
    if (Number(row.seq) !== i + 1) throw new Error(`seal ${i + 1} is missing (next is ${row.seq})`);
    return Number(row.global_position);
  });
