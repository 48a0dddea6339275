import { ERASED, type CustomerEvent } from '../../libs/domain/src';

/**
 * A customer's overview row as `row_to_json` reads it: dates and instants stay the ISO text PostgreSQL gave, so they
 * go back unchanged; bigint counts and amounts as JSON numbers (amounts are at most 10^12 minor units).
 */
export interface OverviewRow {
  customer_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  birth_date: string | null;
  time_zone: string;
  language: string;
  preferred_channel: string;
  marketing_consent: boolean;
  tags: unknown[];
  registered_at: string;
  bookings_count: number;
  trips_count: number;
  cancellations_count: number;
  open_complaints: number;
  total_complaints: number;
  /** Written as JSON text: sums of bigint amounts may pass 2^53. */
  revenue: unknown;
  first_trip_date: string | null;
  last_trip_date: string | null;
  last_nps: number | null;
  last_nps_at: string | null;
  last_event_at: string;
  version: number | string;
  vip: boolean;
  vip_since: string | null;
  erased: boolean;
  erased_at: string | null;
}

export interface BookingRow {
  customer_id: string;
  booking_id: string;
  status: string;
  departure_date: string;
  return_date: string;
  amount_value: number | string;
  currency: string;
}

export interface ComplaintRow {
  customer_id: string;
  complaint_id: string;
  status: string;
}

/**
 * One customer's rows while a batch is folded into them: as loaded, then changed event by event. The answer to a
 * survey is a candidate only: the one given last in the world wins, against the stored one too (compared by
 * PostgreSQL, which has the stored instant exactly).
 */
export interface CustomerRows {
  row: OverviewRow | null;
  bookings: Map<string, BookingRow>;
  complaints: Map<string, ComplaintRow>;
  /** Bookings and complaints to write back. */
  changed: Set<BookingRow | ComplaintRow>;
  survey?: { nps: number; at: string };
}

const BOOKING_STATUS = { BookingCancelled: 'cancelled', TripDeparted: 'departed', TripReturned: 'returned' } as const;
const COMPLAINT_STATUS = { ComplaintFiled: 'open', ComplaintAcknowledged: 'acknowledged', ComplaintResolved: 'resolved' } as const;

/**
 * The overview's rules per event type, in log order. An event for a customer without a row (not registered yet in
 * this read model) changes only the bookings and complaints, as the statements per event once did (an UPDATE of no
 * row). Values go to PostgreSQL as the event holds them and are cast there: an event it cannot take fails the batch.
 */
export function evolveOverview(rows: CustomerRows, customerId: string, event: CustomerEvent): void {
  const { row } = rows;
  switch (event.type) {
    case 'CustomerRegistered': {
      if (row) return;
      const d = event.data;
      rows.row = {
        customer_id: customerId,
        name: d.name,
        email: d.email ?? null,
        phone: d.phone ?? null,
        birth_date: d.birthDate ?? null,
        time_zone: d.timeZone,
        language: d.language,
        preferred_channel: d.preferredChannel,
        marketing_consent: d.marketingConsent,
        tags: d.tags ?? [],
        registered_at: event.occurredAt,
        bookings_count: 0,
        trips_count: 0,
        cancellations_count: 0,
        open_complaints: 0,
        total_complaints: 0,
        revenue: {},
        first_trip_date: null,
        last_trip_date: null,
        last_nps: null,
        last_nps_at: null,
        last_event_at: event.occurredAt,
        version: 0,
        vip: false,
        vip_since: null,
        erased: false,
        erased_at: null,
      };
      return;
    }
    case 'CustomerProfileUpdated': {
      if (!row) return;
      const d = event.data as Record<string, unknown>;
      const set = <K extends keyof OverviewRow>(column: K, field: string): void => {
        if (field in d) row[column] = (d[field] ?? null) as OverviewRow[K];
      };
      set('name', 'name');
      set('email', 'email');
      set('phone', 'phone');
      set('birth_date', 'birthDate');
      set('time_zone', 'timeZone');
      set('language', 'language');
      set('preferred_channel', 'preferredChannel');
      if ('tags' in d) row.tags = (d.tags as unknown[] | null) ?? [];
      return;
    }
    case 'MarketingConsentChanged':
      if (row) row.marketing_consent = event.data.granted;
      return;
    case 'TripBooked': {
      const d = event.data;
      if (rows.bookings.has(d.bookingId)) return;
      const booking: BookingRow = {
        customer_id: customerId,
        booking_id: d.bookingId,
        status: 'booked',
        departure_date: d.departureDate,
        return_date: d.returnDate,
        amount_value: d.amount?.value,
        currency: d.amount?.currency,
      };
      rows.bookings.set(d.bookingId, booking);
      rows.changed.add(booking);
      return;
    }
    case 'BookingAmended': {
      const d = event.data;
      const booking = rows.bookings.get(d.bookingId);
      if (!booking) return;
      booking.departure_date = d.departureDate ?? booking.departure_date;
      booking.return_date = d.returnDate ?? booking.return_date;
      booking.amount_value = d.amount?.value ?? booking.amount_value;
      booking.currency = d.amount?.currency ?? booking.currency;
      rows.changed.add(booking);
      return;
    }
    case 'BookingCancelled':
    case 'TripDeparted':
    case 'TripReturned': {
      const booking = rows.bookings.get(event.data.bookingId);
      if (!booking) return;
      booking.status = BOOKING_STATUS[event.type];
      rows.changed.add(booking);
      return;
    }
    case 'ComplaintFiled':
    case 'ComplaintAcknowledged':
    case 'ComplaintResolved': {
      const { complaintId } = event.data;
      const complaint = rows.complaints.get(complaintId) ?? { customer_id: customerId, complaint_id: complaintId, status: '' };
      complaint.status = COMPLAINT_STATUS[event.type];
      rows.complaints.set(complaintId, complaint);
      rows.changed.add(complaint);
      return;
    }
    case 'SurveyAnswered':
      // Ties go to the later event, as an update "where stored <= given" in log order did.
      if (row && (!rows.survey || Date.parse(rows.survey.at) <= Date.parse(event.occurredAt))) rows.survey = { nps: event.data.nps, at: event.occurredAt };
      return;
    case 'VipStatusGranted':
      if (row) Object.assign(row, { vip: true, vip_since: event.occurredAt });
      return;
    case 'VipStatusRevoked':
      if (row) Object.assign(row, { vip: false, vip_since: null });
      return;
    case 'CustomerForgotten':
      // The profile as every reader of the log sees it from now on, so a rebuild, which reads the earlier events
      // already erased, gives this same row. Counts, revenue, dates and scores stay: they are not personal.
      if (row) Object.assign(row, { name: ERASED, email: null, phone: null, birth_date: null, erased: true, erased_at: event.occurredAt });
      return;
    case 'InteractionLogged':
    case 'TouchpointCompleted':
    case 'CampaignArmAssigned':
      return;
    default: {
      const unknown: never = event;
      throw new Error(`customer_overview cannot apply ${(unknown as { type: string }).type}`);
    }
  }
}

/**
 * The lifetime counts of a customer's bookings and complaints, into its row. Revenue is the current amounts of
 * bookings not cancelled, per currency, as JSON text (BigInt sums); dates are ISO text, which orders as dates do.
 */
export function withTotals(rows: CustomerRows): OverviewRow | null {
  const { row } = rows;
  if (!row) return null;
  const bookings = [...rows.bookings.values()];
  const trips = bookings.filter((booking) => booking.status === 'departed' || booking.status === 'returned');
  const revenue = new Map<string, bigint>();
  for (const booking of bookings) {
    if (booking.status !== 'cancelled') revenue.set(booking.currency, (revenue.get(booking.currency) ?? 0n) + BigInt(booking.amount_value));
  }
  const dates = trips.map((booking) => booking.departure_date).sort();
  const complaints = [...rows.complaints.values()];
  return Object.assign(row, {
    bookings_count: bookings.length,
    trips_count: trips.length,
    cancellations_count: bookings.filter((booking) => booking.status === 'cancelled').length,
    first_trip_date: dates[0] ?? null,
    last_trip_date: dates[dates.length - 1] ?? null,
    revenue: `{${[...revenue].map(([currency, total]) => `${JSON.stringify(currency)}:${total}`).join(',')}}`,
    open_complaints: complaints.filter((complaint) => complaint.status !== 'resolved').length,
    total_complaints: complaints.length,
  });
}
