import type { Pool } from 'pg';

export interface CustomerOverview {
  customerId: string;
  name: string;
  email: string | null;
  phone: string | null;
  birthDate: string | null;
  timeZone: string;
  language: string;
  preferredChannel: string;
  marketingConsent: boolean;
  tags: string[];
  registeredAt: string;
  bookings: number;
  trips: number;
  cancellations: number;
  complaints: { open: number; total: number };
  revenue: Record<string, number>;
  firstTripDate: string | null;
  lastTripDate: string | null;
  lastNps: number | null;
  vip: boolean;
  vipSince: string | null;
  /** Forgotten (right to erasure): the personal fields read as erased, the facts still count. */
  erased: boolean;
  erasedAt: string | null;
  nextDeparture: string | null;
  lastEventAt: string;
  version: number;
}

const SELECT = `SELECT customer_id, name, email, phone, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, time_zone, language,
  preferred_channel, marketing_consent, tags, registered_at, bookings_count, trips_count, cancellations_count, open_complaints,
  total_complaints, revenue, to_char(first_trip_date, 'YYYY-MM-DD') AS first_trip_date, to_char(last_trip_date, 'YYYY-MM-DD') AS last_trip_date,
  last_nps, vip, vip_since, erased, erased_at, last_event_at, version,
  -- Time-dependent, so evaluated when asked (DESIGN section 5): the first booked trip departing on or after the
  -- as-of instant's date in the customer's own time zone.
  (SELECT to_char(min(b.departure_date), 'YYYY-MM-DD') FROM read_models.customer_overview_bookings b
    WHERE b.customer_id = o.customer_id AND b.status = 'booked'
      AND b.departure_date >= ($1::timestamptz AT TIME ZONE o.time_zone)::date) AS next_departure
  FROM read_models.customer_overview o`;

type Row = Record<string, unknown> & { registered_at: Date; last_event_at: Date; vip_since: Date | null; erased_at: Date | null };

const toOverview = (row: Row): CustomerOverview => ({
  customerId: row.customer_id as string,
  name: row.name as string,
  email: row.email as string | null,
  phone: row.phone as string | null,
  birthDate: row.birth_date as string | null,
  timeZone: row.time_zone as string,
  language: row.language as string,
  preferredChannel: row.preferred_channel as string,
  marketingConsent: row.marketing_consent as boolean,
  tags: row.tags as string[],
  registeredAt: row.registered_at.toISOString(),
  bookings: row.bookings_count as number,
  trips: row.trips_count as number,
  cancellations: row.cancellations_count as number,
  complaints: { open: row.open_complaints as number, total: row.total_complaints as number },
  revenue: Object.fromEntries(Object.entries(row.revenue as Record<string, string | number>).map(([currency, value]) => [currency, Number(value)])),
  firstTripDate: row.first_trip_date as string | null,
  lastTripDate: row.last_trip_date as string | null,
  lastNps: row.last_nps as number | null,
  vip: row.vip as boolean,
  vipSince: row.vip_since?.toISOString() ?? null,
  erased: row.erased as boolean,
  erasedAt: row.erased_at?.toISOString() ?? null,
  nextDeparture: row.next_departure as string | null,
  lastEventAt: row.last_event_at.toISOString(),
  version: Number(row.version),
});

/** `asOf`: the instant "next departure" is counted from (ISO 8601; default now). */
export async function findCustomerOverview(pool: Pool, customerId: string, asOf = new Date().toISOString()): Promise<CustomerOverview | null> {
  const { rows } = await pool.query<Row>(`${SELECT} WHERE customer_id = $2`, [asOf, customerId]);
  return rows.length ? toOverview(rows[0]) : null;
}

/** Keyset paging by customer id: `cursor` is the last id of the previous page. */
export async function listCustomerOverviews(
  pool: Pool,
  limit: number,
  cursor?: string,
  asOf = new Date().toISOString(),
): Promise<{ items: CustomerOverview[]; nextCursor: string | null }> {
  const { rows } = await pool.query<Row>(`${SELECT} WHERE ($2::text IS NULL OR customer_id > $2) ORDER BY customer_id LIMIT $3`, [asOf, cursor ?? null, limit + 1]);
  const items = rows.slice(0, limit).map(toOverview);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].customerId : null };
}
