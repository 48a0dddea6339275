/** Benchmark events: a realistic TripBooked, streams to write them to, and a log loaded with them. */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import type { NewEvent } from '../libs/event-store/src';
import { fmt, log } from './bench-support';

// ---------------------------------------------------------------------------------------------------------------
// Events: a TripBooked-like payload of ~350 bytes and the metadata a command handler writes.
// ---------------------------------------------------------------------------------------------------------------

const DESTINATIONS = [
  ['Lisbon', 'PT', 'Alfama Riverside Hotel'],
  ['Reykjavik', 'IS', 'Harbour View Lodge'],
  ['Kyoto', 'JP', 'Gion Garden Ryokan'],
  ['Cape Town', 'ZA', 'Table Bay Suites'],
  ['Cusco', 'PE', 'Plaza de Armas Inn'],
] as const;

let eventCounter = 0;

export function tripBooked(customerId: string): NewEvent {
  const n = eventCounter++;
  const [city, country, hotel] = DESTINATIONS[n % DESTINATIONS.length];
  return {
    eventId: randomUUID(),
    type: 'TripBooked',
    occurredAt: new Date().toISOString(),
    data: {
      tripId: randomUUID(),
      customerId,
      bookingReference: `TRV-${(1_000_000 + n).toString(36).toUpperCase()}`,
      destination: { city, country },
      accommodation: hotel,
      departureDate: '2026-06-14',
      returnDate: '2026-06-28',
      travellers: { adults: 2, children: 1 },
      price: { amount: 3849.5 + (n % 100), currency: 'EUR' },
      channel: 'web',
    },
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actor: { id: 'agent-0042', role: 'agent' },
      source: 'api',
      schemaVersion: 1,
    },
  };
}

/** A stream a writer owns, with the version it last saw (as a command handler would track it). */
export interface StreamState {
  id: string;
  customerId: string;
  version: number;
}

export const newStreams = (count: number): StreamState[] =>
  Array.from({ length: count }, () => {
    const customerId = randomUUID();
    return { id: `customer-${customerId}`, customerId, version: 0 };
  });

// ---------------------------------------------------------------------------------------------------------------
// Loading a log: multi-event appends (a new stream per append), several loaders at once.
// ---------------------------------------------------------------------------------------------------------------

/** Appends events until the events table holds `target` rows; returns the loading rate (events/s). */
export async function loadLog(
  store: { append: (streamId: string, events: NewEvent[], options?: { expectedVersion?: 'no_stream' }) => Promise<unknown> },
  pool: Pool,
  target: number,
  options: { batch?: number; loaders?: number; table?: string } = {},
): Promise<{ stored: number; rate: number }> {
  const batch = options.batch ?? 100;
  const loaders = options.loaders ?? 4;
  const table = options.table ?? 'event_store.events';
  const count = async (): Promise<number> => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  let stored = await count();
  const before = stored;
  const started = performance.now();
  let nextReport = Math.ceil((stored + 1) / 50_000) * 50_000;
  await Promise.all(
    Array.from({ length: loaders }, async () => {
      while (stored < target) {
        const [stream] = newStreams(1);
        const size = Math.min(batch, target - stored);
        stored += size;
        await store.append(stream.id, Array.from({ length: size }, () => tripBooked(stream.customerId)), { expectedVersion: 'no_stream' });
        if (stored >= nextReport) {
          log(`  loaded ${fmt(stored)} events`);
          nextReport += 50_000;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { stored: await count(), rate: (stored - before) / seconds };
}

/** Copies the rows of the events table into a table of the same shape (new positions and transaction ids). */
export async function copyEvents(pool: Pool, target: string): Promise<void> {
  const columns = 'stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at';
  await pool.query(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM event_store.events ORDER BY global_position`);
}
