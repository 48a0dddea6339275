import { CUSTOMER_EVENT_TYPES, CUSTOMER_STREAM_PREFIX, type CustomerEvent } from '../../libs/domain/src';
import type { PoolClient } from 'pg';
import type { Projection } from '../../libs/projection-engine/src';
import { blindTerm, profileTerms } from '../../libs/privacy/src/blind-index';
import { CUSTOMER_OVERVIEW_MIGRATIONS } from './customer-overview.migrations';
import { evolveOverview, withTotals, type BookingRow, type ComplaintRow, type CustomerRows, type OverviewRow } from './customer-overview.evolve';

/**
 * The date and stream version of the customers a batch touched ($1 ids, $2 latest instants, $3 versions). The
 * `= ANY($1)` has the rows found by the primary key: joined to the unnest alone, a batch of thousands was planned as a
 * hash join over a scan of the whole table (44 ms for 2,500 of 100,000 customers, against 7 ms; in a launch to
 * 100,000 every assignment dates its customer's overview).
 */
const DATE = `UPDATE read_models.customer_overview o SET last_event_at = greatest(o.last_event_at, t.last_event_at), version = greatest(o.version, t.version)
FROM (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS t(customer_id, last_event_at, version)) t
WHERE o.customer_id = ANY($1) AND o.customer_id = t.customer_id`;

/** The rows of the customers a batch changes, in one round trip (none for a customer new to the read model). */
const LOAD = `
SELECT c AS customer_id,
       (SELECT row_to_json(o) FROM read_models.customer_overview o WHERE o.customer_id = c) AS row,
       (SELECT coalesce(json_agg(b), '[]') FROM read_models.customer_overview_bookings b WHERE b.customer_id = c) AS bookings,
       (SELECT coalesce(json_agg(x), '[]') FROM read_models.customer_overview_complaints x WHERE x.customer_id = c) AS complaints
  FROM unnest($1::text[]) AS c`;

/** The overview's columns and their types, for json_to_recordset; revenue comes as JSON text (see withTotals). */
const COLUMNS: Record<keyof OverviewRow, string> = {
  customer_id: 'text',
  name: 'text',
  email: 'text',
  phone: 'text',
  birth_date: 'date',
  time_zone: 'text',
  language: 'text',
  preferred_channel: 'text',
  marketing_consent: 'boolean',
  tags: 'text[]',
  registered_at: 'timestamptz',
  bookings_count: 'int',
  trips_count: 'int',
  cancellations_count: 'int',
  open_complaints: 'int',
  total_complaints: 'int',
  revenue: 'text',
  first_trip_date: 'date',
  last_trip_date: 'date',
  last_nps: 'int',
  last_nps_at: 'timestamptz',
  last_event_at: 'timestamptz',
  version: 'bigint',
  vip: 'boolean',
  vip_since: 'timestamptz',
  erased: 'boolean',
  erased_at: 'timestamptz',
};
const names = Object.keys(COLUMNS);
/** Set by the batch unless named here: the latest survey answer and the date compare with what is stored. */
const KEPT: Record<string, string> = {
  last_nps: 'CASE WHEN EXCLUDED.last_nps_at >= o.last_nps_at OR o.last_nps_at IS NULL THEN coalesce(EXCLUDED.last_nps, o.last_nps) ELSE o.last_nps END',
  last_nps_at: 'CASE WHEN EXCLUDED.last_nps_at >= o.last_nps_at OR o.last_nps_at IS NULL THEN coalesce(EXCLUDED.last_nps_at, o.last_nps_at) ELSE o.last_nps_at END',
  last_event_at: 'greatest(o.last_event_at, EXCLUDED.last_event_at)',
  version: 'greatest(o.version, EXCLUDED.version)',
};
const UPSERT_OVERVIEW = `
INSERT INTO read_models.customer_overview AS o (${names.join(', ')})
SELECT ${names.map((name) => (name === 'revenue' ? 'revenue::jsonb' : name)).join(', ')}
  FROM json_to_recordset($1::json) AS t(${names.map((name) => `${name} ${COLUMNS[name as keyof OverviewRow]}`).join(', ')})
ON CONFLICT (customer_id) DO UPDATE SET ${names.filter((name) => name !== 'customer_id').map((name) => `${name} = ${KEPT[name] ?? `EXCLUDED.${name}`}`).join(', ')}`;

const UPSERT_BOOKINGS = `
INSERT INTO read_models.customer_overview_bookings AS b (customer_id, booking_id, status, departure_date, return_date, amount_value, currency)
SELECT * FROM json_to_recordset($1::json)
    AS t(customer_id text, booking_id text, status text, departure_date date, return_date date, amount_value bigint, currency text)
ON CONFLICT (customer_id, booking_id) DO UPDATE SET status = EXCLUDED.status, departure_date = EXCLUDED.departure_date,
   return_date = EXCLUDED.return_date, amount_value = EXCLUDED.amount_value, currency = EXCLUDED.currency`;

const UPSERT_COMPLAINTS = `
INSERT INTO read_models.customer_overview_complaints AS c (customer_id, complaint_id, status)
SELECT * FROM json_to_recordset($1::json) AS t(customer_id text, complaint_id text, status text)
ON CONFLICT (customer_id, complaint_id) DO UPDATE SET status = EXCLUDED.status`;

/**
 * Events that only date the customer. A customer whose events in a batch are all such keeps its rows as they were,
 * so they are neither loaded nor written: a campaign launch is one of them for every assigned customer.
 */
const DATED_ONLY = new Set(['InteractionLogged', 'TouchpointCompleted', 'CampaignArmAssigned']);

/** The events that change what a customer is found by. */
const PROFILE_EVENTS = new Set(['CustomerRegistered', 'CustomerProfileUpdated', 'CustomerForgotten']);

/** The blind-index terms of these customers, from their overview rows as the batch left them; none once forgotten. */
async function indexForSearch(client: PoolClient, customers: { customerId: string; row: OverviewRow | null }[]): Promise<void> {
  const key = (await client.query<{ key: Buffer }>('SELECT key FROM privacy.search_key WHERE id = 1')).rows[0].key;
  const entries = customers.flatMap(({ customerId, row }) =>
    !row || row.erased ? [] : profileTerms(row).map((term) => [blindTerm(key, term), customerId] as const),
  );
  await client.query('DELETE FROM read_models.customer_search WHERE customer_id = ANY($1)', [customers.map(({ customerId }) => customerId)]);
  await client.query('INSERT INTO read_models.customer_search (term, customer_id) SELECT * FROM unnest($1::bytea[], $2::text[]) ON CONFLICT DO NOTHING', [
    entries.map(([term]) => term),
    entries.map(([, customerId]) => customerId),
  ]);
}

/**
 * The rows of the customers with events that change them, loaded in one round trip, folded in log order
 * (customer-overview.evolve.ts), and written back in one statement per table: a statement per event (a function
 * looping over the batch in PostgreSQL) and the totals recounted by subqueries were most of a rebuild's time.
 */
async function applyChanges(client: PoolClient, changes: Map<string, CustomerEvent[]>, touched: Map<string, { at: string; version: number }>): Promise<OverviewRow[]> {
  const { rows: loaded } = await client.query<{ customer_id: string; row: OverviewRow | null; bookings: BookingRow[]; complaints: ComplaintRow[] }>(LOAD, [[...changes.keys()]]);
  const written: OverviewRow[] = [];
  const changed: (BookingRow | ComplaintRow)[] = [];
  for (const { customer_id: customerId, row, bookings, complaints } of loaded) {
    const rows: CustomerRows = {
      row,
      bookings: new Map(bookings.map((booking) => [booking.booking_id, booking])),
      complaints: new Map(complaints.map((complaint) => [complaint.complaint_id, complaint])),
      changed: new Set(),
    };
    for (const event of changes.get(customerId)!) evolveOverview(rows, customerId, event);
    changed.push(...rows.changed);
    const overview = withTotals(rows);
    if (!overview) continue;
    const { at, version } = touched.get(customerId)!;
    written.push(Object.assign(overview, { last_event_at: at, version, last_nps: rows.survey?.nps ?? null, last_nps_at: rows.survey?.at ?? null }));
  }
  const bookings = changed.filter((row): row is BookingRow => 'booking_id' in row);
  const complaints = changed.filter((row): row is ComplaintRow => 'complaint_id' in row);
  if (bookings.length) await client.query(UPSERT_BOOKINGS, [JSON.stringify(bookings)]);
  if (complaints.length) await client.query(UPSERT_COMPLAINTS, [JSON.stringify(complaints)]);
  if (written.length) await client.query(UPSERT_OVERVIEW, [JSON.stringify(written)]);
  return written;
}

export const customerOverviewProjection: Projection = {
  name: 'customer_overview',
  version: 1,
  handles: CUSTOMER_EVENT_TYPES,
  migrations: CUSTOMER_OVERVIEW_MIGRATIONS,
  tables: ['read_models.customer_overview', 'read_models.customer_overview_bookings', 'read_models.customer_overview_complaints', 'read_models.customer_search'],
  async apply(client, events) {
    const touched = new Map<string, { at: string; version: number }>();
    const changes = new Map<string, CustomerEvent[]>();
    for (const event of events) {
      if (!event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) continue;
      const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
      if (!DATED_ONLY.has(event.type)) {
        const changing = changes.get(customerId) ?? [];
        changing.push({ type: event.type, data: event.data, occurredAt: event.occurredAt } as CustomerEvent);
        changes.set(customerId, changing);
      }
      const seen = touched.get(customerId);
      touched.set(customerId, {
        at: seen && seen.at > event.occurredAt ? seen.at : event.occurredAt,
        version: Math.max(seen?.version ?? 0, event.streamPosition),
      });
    }
    const dated = [...touched.keys()].filter((id) => !changes.has(id));
    if (dated.length) await client.query(DATE, [dated, dated.map((id) => touched.get(id)!.at), dated.map((id) => touched.get(id)!.version)]);
    if (!changes.size) return;
    const written = new Map((await applyChanges(client, changes, touched)).map((row) => [row.customer_id, row]));
    const profiled = [...changes].filter(([, changing]) => changing.some((event) => PROFILE_EVENTS.has(event.type))).map(([customerId]) => customerId);
    if (profiled.length) await indexForSearch(client, profiled.map((customerId) => ({ customerId, row: written.get(customerId) ?? null })));
  },
};
