import { CUSTOMER_EVENT_TYPES, CUSTOMER_STREAM_PREFIX } from '../../libs/domain/src/customer.events';
import type { PoolClient } from 'pg';
import type { Projection } from '../../libs/projection-engine/src';
import { blindTerm, profileTerms } from '../../libs/privacy/src/blind-index';
import { CUSTOMER_OVERVIEW_MIGRATIONS, CUSTOMER_OVERVIEW_ROUTINES } from './customer-overview.migrations';

/** The date and stream version of the customers a batch touched ($1 ids, $2 latest instants, $3 versions). */
const DATED = `last_event_at = greatest(o.last_event_at, t.last_event_at), version = greatest(o.version, t.version)
FROM (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS t(customer_id, last_event_at, version)) t
WHERE o.customer_id = t.customer_id`;

/** Recomputes the counters of the customers a batch touched from the side tables, and dates them, in one statement. */
const REFRESH_TOTALS = `
UPDATE read_models.customer_overview o SET
  bookings_count      = (SELECT count(*) FROM read_models.customer_overview_bookings b WHERE b.customer_id = o.customer_id),
  trips_count         = (SELECT count(*) FROM read_models.customer_overview_bookings b WHERE b.customer_id = o.customer_id AND b.status IN ('departed', 'returned')),
  cancellations_count = (SELECT count(*) FROM read_models.customer_overview_bookings b WHERE b.customer_id = o.customer_id AND b.status = 'cancelled'),
  first_trip_date     = (SELECT min(departure_date) FROM read_models.customer_overview_bookings b WHERE b.customer_id = o.customer_id AND b.status IN ('departed', 'returned')),
  last_trip_date      = (SELECT max(departure_date) FROM read_models.customer_overview_bookings b WHERE b.customer_id = o.customer_id AND b.status IN ('departed', 'returned')),
  revenue             = (SELECT coalesce(jsonb_object_agg(currency, total), '{}'::jsonb) FROM (
                          SELECT currency, sum(amount_value) AS total FROM read_models.customer_overview_bookings b
                           WHERE b.customer_id = o.customer_id AND b.status <> 'cancelled' GROUP BY currency) r),
  open_complaints     = (SELECT count(*) FROM read_models.customer_overview_complaints c WHERE c.customer_id = o.customer_id AND c.status <> 'resolved'),
  total_complaints    = (SELECT count(*) FROM read_models.customer_overview_complaints c WHERE c.customer_id = o.customer_id),
  ${DATED}`;

/**
 * Events the apply passes by (customer_overview_apply's no-op case): they only date the customer. A customer whose
 * events in a batch are all such keeps the totals as they were, so they are not recomputed: a campaign launch is one
 * of them for every assigned customer.
 */
const DATED_ONLY = new Set(['InteractionLogged', 'TouchpointCompleted', 'CampaignArmAssigned']);

const DATE = `UPDATE read_models.customer_overview o SET ${DATED}`;

/** The events that change what a customer is found by. */
const PROFILE_EVENTS = new Set(['CustomerRegistered', 'CustomerProfileUpdated', 'CustomerForgotten']);

/** The blind-index terms of these customers, from their overview rows as the batch left them; none once forgotten. */
async function indexForSearch(client: PoolClient, customerIds: string[]): Promise<void> {
  const key = (await client.query<{ key: Buffer }>('SELECT key FROM privacy.search_key WHERE id = 1')).rows[0].key;
  const { rows } = await client.query<{ customer_id: string; name: string; email: string | null; phone: string | null; erased: boolean }>(
    'SELECT customer_id, name, email, phone, erased FROM read_models.customer_overview WHERE customer_id = ANY($1)',
    [customerIds],
  );
  const entries = rows.flatMap((row) => (row.erased ? [] : profileTerms(row).map((term) => [blindTerm(key, term), row.customer_id] as const)));
  await client.query('DELETE FROM read_models.customer_search WHERE customer_id = ANY($1)', [customerIds]);
  await client.query('INSERT INTO read_models.customer_search (term, customer_id) SELECT * FROM unnest($1::bytea[], $2::text[]) ON CONFLICT DO NOTHING', [
    entries.map(([term]) => term),
    entries.map(([, customerId]) => customerId),
  ]);
}

export const customerOverviewProjection: Projection = {
  name: 'customer_overview',
  version: 1,
  handles: CUSTOMER_EVENT_TYPES,
  migrations: CUSTOMER_OVERVIEW_MIGRATIONS,
  routines: CUSTOMER_OVERVIEW_ROUTINES,
  tables: ['read_models.customer_overview', 'read_models.customer_overview_bookings', 'read_models.customer_overview_complaints', 'read_models.customer_search'],
  async apply(client, events) {
    const touched = new Map<string, { at: string; version: number }>();
    const applied: { customerId: string; type: string; data: unknown; occurredAt: string }[] = [];
    for (const event of events) {
      if (!event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) continue;
      const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
      if (!DATED_ONLY.has(event.type)) applied.push({ customerId, type: event.type, data: event.data, occurredAt: event.occurredAt });
      const seen = touched.get(customerId);
      touched.set(customerId, {
        at: seen && seen.at > event.occurredAt ? seen.at : event.occurredAt,
        version: Math.max(seen?.version ?? 0, event.streamPosition),
      });
    }
    if (!touched.size) return;
    // The rules per event type live in read_models.customer_overview_apply (customer-overview.apply.sql).
    if (applied.length) await client.query('SELECT read_models.customer_overview_apply($1)', [JSON.stringify(applied)]);
    const changed = new Set(applied.map((event) => event.customerId));
    for (const [statement, ids] of [
      [REFRESH_TOTALS, [...touched.keys()].filter((id) => changed.has(id))],
      [DATE, [...touched.keys()].filter((id) => !changed.has(id))],
    ] as const) {
      if (ids.length) await client.query(statement, [ids, ids.map((id) => touched.get(id)!.at), ids.map((id) => touched.get(id)!.version)]);
    }
    const profiled = [...new Set(applied.filter((event) => PROFILE_EVENTS.has(event.type)).map((event) => event.customerId))];
    if (profiled.length) await indexForSearch(client, profiled);
  },
};
