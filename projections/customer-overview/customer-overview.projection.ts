import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../libs/event-store/src';
import { CUSTOMER_EVENT_TYPES, CUSTOMER_STREAM_PREFIX, type CustomerEvent } from '../../libs/domain/src/customer.events';
import type { Projection } from '../../libs/projection-engine/src';
import { CUSTOMER_OVERVIEW_MIGRATIONS } from './customer-overview.migrations';

const PROFILE_COLUMNS = {
  name: 'name',
  email: 'email',
  phone: 'phone',
  birthDate: 'birth_date',
  timeZone: 'time_zone',
  language: 'language',
  preferredChannel: 'preferred_channel',
  tags: 'tags',
} as const;

/** Writes one event into the overview row or its booking/complaint side tables. */
async function applyEvent(client: PoolClient, customerId: string, recorded: RecordedEvent): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as CustomerEvent;
  switch (event.type) {
    case 'CustomerRegistered': {
      const d = event.data;
      await client.query(
        `INSERT INTO read_models.customer_overview
           (customer_id, name, email, phone, birth_date, time_zone, language, preferred_channel, marketing_consent, tags, registered_at, last_event_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 0)
         ON CONFLICT (customer_id) DO NOTHING`,
        [customerId, d.name, d.email ?? null, d.phone ?? null, d.birthDate ?? null, d.timeZone, d.language, d.preferredChannel, d.marketingConsent, d.tags ?? [], recorded.occurredAt],
      );
      return;
    }
    case 'CustomerProfileUpdated': {
      const entries = Object.entries(PROFILE_COLUMNS).filter(([field]) => field in event.data);
      if (!entries.length) return;
      const sets = entries.map(([, column], i) => `${column} = $${i + 2}`).join(', ');
      const values = entries.map(([field]) => (event.data as Record<string, unknown>)[field] ?? null);
      await client.query(`UPDATE read_models.customer_overview SET ${sets} WHERE customer_id = $1`, [customerId, ...values]);
      return;
    }
    case 'MarketingConsentChanged':
      await client.query('UPDATE read_models.customer_overview SET marketing_consent = $2 WHERE customer_id = $1', [customerId, event.data.granted]);
      return;
    case 'TripBooked': {
      const d = event.data;
      await client.query(
        `INSERT INTO read_models.customer_overview_bookings (customer_id, booking_id, status, departure_date, return_date, amount_value, currency)
         VALUES ($1, $2, 'booked', $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [customerId, d.bookingId, d.departureDate, d.returnDate, d.amount.value, d.amount.currency],
      );
      return;
    }
    case 'BookingAmended': {
      const d = event.data;
      await client.query(
        `UPDATE read_models.customer_overview_bookings
            SET departure_date = coalesce($3, departure_date), return_date = coalesce($4, return_date),
                amount_value = coalesce($5, amount_value), currency = coalesce($6, currency)
          WHERE customer_id = $1 AND booking_id = $2`,
        [customerId, d.bookingId, d.departureDate ?? null, d.returnDate ?? null, d.amount?.value ?? null, d.amount?.currency ?? null],
      );
      return;
    }
    case 'BookingCancelled':
    case 'TripDeparted':
    case 'TripReturned': {
      const status = { BookingCancelled: 'cancelled', TripDeparted: 'departed', TripReturned: 'returned' }[event.type];
      await client.query('UPDATE read_models.customer_overview_bookings SET status = $3 WHERE customer_id = $1 AND booking_id = $2', [
        customerId,
        event.data.bookingId,
        status,
      ]);
      return;
    }
    case 'ComplaintFiled':
    case 'ComplaintAcknowledged':
    case 'ComplaintResolved': {
      const status = { ComplaintFiled: 'open', ComplaintAcknowledged: 'acknowledged', ComplaintResolved: 'resolved' }[event.type];
      await client.query(
        `INSERT INTO read_models.customer_overview_complaints (customer_id, complaint_id, status) VALUES ($1, $2, $3)
         ON CONFLICT (customer_id, complaint_id) DO UPDATE SET status = EXCLUDED.status`,
        [customerId, event.data.complaintId, status],
      );
      return;
    }
    case 'SurveyAnswered':
      // The answer given last in the world wins: an imported older survey does not replace a newer one.
      await client.query('UPDATE read_models.customer_overview SET last_nps = $2, last_nps_at = $3 WHERE customer_id = $1 AND (last_nps_at IS NULL OR last_nps_at <= $3)', [
        customerId,
        event.data.nps,
        recorded.occurredAt,
      ]);
      return;
    case 'InteractionLogged':
      return;
    default: {
      const unhandled: never = event;
      throw new Error(`customer_overview cannot apply ${(unhandled as { type: string }).type}`);
    }
  }
}

/** Recomputes the counters of the customers a batch touched from the side tables, in one statement. */
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
  last_event_at       = greatest(o.last_event_at, t.last_event_at),
  version             = greatest(o.version, t.version)
FROM (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS t(customer_id, last_event_at, version)) t
WHERE o.customer_id = t.customer_id`;

export const customerOverviewProjection: Projection = {
  name: 'customer_overview',
  version: 1,
  handles: CUSTOMER_EVENT_TYPES,
  migrations: CUSTOMER_OVERVIEW_MIGRATIONS,
  tables: ['read_models.customer_overview', 'read_models.customer_overview_bookings', 'read_models.customer_overview_complaints'],
  async apply(client, events) {
    const touched = new Map<string, { at: string; version: number }>();
    for (const event of events) {
      if (!event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) continue;
      const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
      await applyEvent(client, customerId, event);
      const seen = touched.get(customerId);
      touched.set(customerId, {
        at: seen && seen.at > event.occurredAt ? seen.at : event.occurredAt,
        version: Math.max(seen?.version ?? 0, event.streamPosition),
      });
    }
    if (!touched.size) return;
    const ids = [...touched.keys()];
    await client.query(REFRESH_TOTALS, [ids, ids.map((id) => touched.get(id)!.at), ids.map((id) => touched.get(id)!.version)]);
  },
};
