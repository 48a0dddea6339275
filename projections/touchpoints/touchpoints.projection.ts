import type { PoolClient } from 'pg';
import { CUSTOMER_STREAM_PREFIX, ERASED, type CustomerEvent, type CustomerEventType, type DestinationRiskAlertIssued, type RiskAlert } from '../../libs/domain/src';
import { type RecordedEvent } from '../../libs/event-store/src';
import { copyInto, copyLines } from '../../libs/postgres/src';
import { isoInstantSql, type Projection } from '../../libs/projection-engine/src';
import { scheduleTouchpoints, type Touchpoint, type TouchpointConfig, type TouchpointFacts } from '../../libs/touchpoints/src';
import { TOUCHPOINT_MIGRATIONS } from './touchpoints.migrations';

const CUSTOMER_EVENTS = [
  'CustomerRegistered',
  'CustomerProfileUpdated',
  'MarketingConsentChanged',
  'TripBooked',
  'BookingAmended',
  'BookingCancelled',
  'TripDeparted',
  'TripReturned',
  'ComplaintFiled',
  'ComplaintAcknowledged',
  'ComplaintResolved',
  'TouchpointCompleted',
  'CustomerForgotten',
] as const satisfies readonly CustomerEventType[];

/** A stored customer event of a type the schedule reads: the envelope, with the data its type declares. */
type CustomerFactEvent = RecordedEvent & Extract<CustomerEvent, { type: (typeof CUSTOMER_EVENTS)[number] }>;
/** What `apply` is given: the projector passes only the types in `handles`, read in their current schema. */
type HandledEvent = CustomerFactEvent | (RecordedEvent & DestinationRiskAlertIssued);

/** `forgottenAt`: the customer was forgotten (CustomerForgotten). */
type Facts = Omit<TouchpointFacts, 'riskAlerts'> & { forgottenAt?: string };

/** One customer event folded into the customer's facts: every change kept with its instant. */
function reduce(facts: Facts | undefined, customerId: string, event: CustomerFactEvent): Facts | undefined {
  const at = event.occurredAt;
  if (event.type === 'CustomerRegistered') {
    const { data } = event;
    return {
      customerId,
      registeredAt: at,
      ...(typeof data.birthDate === 'string' && { birthDate: data.birthDate }),
      profile: [{ at, timeZone: data.timeZone, language: data.language, preferredChannel: data.preferredChannel, tags: data.tags ?? [] }],
      consent: [{ at, granted: data.marketingConsent === true }],
      bookings: [],
      complaints: [],
      completions: [],
    };
  }
  // The decider refuses anything before registration; a stream that breaks that rule has nothing to schedule.
  if (!facts) return facts;
  const booking = (bookingId: string): Facts['bookings'][number] | undefined => facts.bookings.find((b) => b.bookingId === bookingId);
  const complaint = (complaintId: string): Facts['complaints'][number] | undefined => facts.complaints.find((c) => c.complaintId === complaintId);
  switch (event.type) {
    case 'CustomerProfileUpdated': {
      const { data } = event;
      const last = facts.profile[facts.profile.length - 1];
      const pick = (key: 'timeZone' | 'language' | 'preferredChannel'): string => {
        const value = data[key];
        return typeof value === 'string' ? value : last[key];
      };
      facts.profile.push({ at, timeZone: pick('timeZone'), language: pick('language'), preferredChannel: pick('preferredChannel'), tags: Array.isArray(data.tags) ? data.tags : last.tags });
      if (typeof data.birthDate === 'string') facts.birthDate = data.birthDate;
      break;
    }
    case 'MarketingConsentChanged':
      facts.consent.push({ at, granted: event.data.granted === true });
      break;
    case 'TripBooked': {
      const { bookingId, destination, departureDate, returnDate } = event.data;
      facts.bookings.push({ bookingId, bookedAt: at, destination, departureDate, returnDate, amendments: [] });
      break;
    }
    case 'BookingAmended': {
      const { data } = event;
      if (data.departureDate !== undefined || data.returnDate !== undefined) {
        booking(data.bookingId)?.amendments.push({ at, ...(typeof data.departureDate === 'string' && { departureDate: data.departureDate }), ...(typeof data.returnDate === 'string' && { returnDate: data.returnDate }) });
      }
      break;
    }
    case 'BookingCancelled':
      Object.assign(booking(event.data.bookingId) ?? {}, { cancelledAt: at });
      break;
    case 'TripDeparted':
      Object.assign(booking(event.data.bookingId) ?? {}, { departedAt: at });
      break;
    case 'TripReturned':
      Object.assign(booking(event.data.bookingId) ?? {}, { returnedAt: at });
      break;
    case 'ComplaintFiled':
      facts.complaints.push({ complaintId: event.data.complaintId, filedAt: at, severity: event.data.severity });
      break;
    case 'ComplaintAcknowledged':
      Object.assign(complaint(event.data.complaintId) ?? {}, { acknowledgedAt: at, acknowledgedBy: event.metadata.actor.id });
      break;
    case 'ComplaintResolved':
      Object.assign(complaint(event.data.complaintId) ?? {}, { resolvedAt: at, resolvedBy: event.metadata.actor.id });
      break;
    case 'TouchpointCompleted': {
      const { touchpointId, outcome, note } = event.data;
      facts.completions.push({ touchpointId, at, by: event.metadata.actor.id, outcome, ...(typeof note === 'string' && { note }) });
      break;
    }
    case 'CustomerForgotten':
      // The facts as a rebuild, reading the events erased, folds them: no birth date (erased by omission), notes
      // read ERASED. Without a birth date there are no birthday greetings, past ones included: their due dates
      // would tell the birthday.
      delete facts.birthDate;
      for (const completion of facts.completions) if (completion.note !== undefined) completion.note = ERASED;
      facts.forgottenAt = at;
      break;
  }
  return facts;
}

/**
 * A forgotten customer cannot be contacted (no name, address or number is left): every open touchpoint is
 * cancelled, whenever it was due; done and skipped ones stay as they were, so what happened still counts.
 */
const afterForgetting = (rows: Touchpoint[]): Touchpoint[] =>
  rows.map((row) => (row.status === 'open' ? { ...row, status: 'cancelled', reason: [row.reason, 'customer forgotten'].filter(Boolean).join('; ') } : row));


/** The alerts for the countries the customers book, by customer. */
async function alertsFor(client: PoolClient, customers: Facts[]): Promise<Map<string, TouchpointFacts['riskAlerts']>> {
  const countries = [...new Set(customers.flatMap((c) => c.bookings.map((b) => b.destination.country)))];
  const { rows } = await client.query(
    `SELECT alert_id, ${isoInstantSql('issued_at')} AS issued_at, country, city, to_char(from_date, 'YYYY-MM-DD') AS from_date, to_char(to_date, 'YYYY-MM-DD') AS to_date, severity, message
       FROM read_models.touchpoint_risk_alerts WHERE country = ANY($1) ORDER BY issued_at, alert_id`,
    [countries],
  );
  const byCountry = new Map<string, TouchpointFacts['riskAlerts']>();
  for (const row of rows) {
    const alert = { alertId: row.alert_id, issuedAt: row.issued_at, country: row.country, ...(row.city && { city: row.city }), from: row.from_date, to: row.to_date, severity: row.severity, message: row.message };
    byCountry.set(row.country, [...(byCountry.get(row.country) ?? []), alert]);
  }
  return new Map(customers.map((c) => [c.customerId, [...new Set(c.bookings.map((b) => b.destination.country))].flatMap((country) => byCountry.get(country) ?? [])]));
}

/**
 * The touchpoint schedule (issue 6): facts per customer folded from the events, and the customer's rows of
 * `touchpoints` recomputed from them (libs/touchpoints) whenever they change, or when a risk alert concerns one of
 * their bookings. The rows follow from the events and the config alone: a rebuild gives the same ids, instants and
 * statuses. After changing the config, rebuild it (`npm run projections -- rebuild touchpoints`).
 */
export const touchpointsProjection = (config: TouchpointConfig): Projection => ({
  name: 'touchpoints',
  version: 1,
  handles: [...CUSTOMER_EVENTS, 'DestinationRiskAlertIssued'],
  migrations: TOUCHPOINT_MIGRATIONS,
  tables: ['read_models.touchpoints', 'read_models.touchpoint_facts', 'read_models.touchpoint_risk_alerts'],
  async apply(client, events) {
    const customerIds = [...new Set(events.filter((e) => e.streamId.startsWith(CUSTOMER_STREAM_PREFIX)).map((e) => e.streamId.slice(CUSTOMER_STREAM_PREFIX.length)))];
    const facts = new Map<string, Facts>();
    const stored = await client.query<{ customer_id: string; facts: Facts }>('SELECT customer_id, facts FROM read_models.touchpoint_facts WHERE customer_id = ANY($1)', [customerIds]);
    for (const row of stored.rows) facts.set(row.customer_id, row.facts);
    const alerts: (RiskAlert & { issuedAt: string })[] = [];
    for (const event of events as HandledEvent[]) {
      // Risk alerts have their own streams (risk-alert-<id>), which hold nothing else.
      if (event.type === 'DestinationRiskAlertIssued') {
        alerts.push({ ...event.data, issuedAt: event.occurredAt });
        continue;
      }
      const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
      const next = reduce(facts.get(customerId), customerId, event);
      if (next) facts.set(customerId, next);
    }
    if (facts.size) {
      const inBatch = new Set(customerIds);
      const changed = [...facts.values()].filter((f) => inBatch.has(f.customerId));
      await client.query(
        `INSERT INTO read_models.touchpoint_facts (customer_id, facts) SELECT * FROM unnest($1::text[], $2::jsonb[])
         ON CONFLICT (customer_id) DO UPDATE SET facts = excluded.facts`,
        [changed.map((f) => f.customerId), changed.map((f) => JSON.stringify(f))],
      );
    }
    for (const alert of alerts) {
      await client.query(
        `INSERT INTO read_models.touchpoint_risk_alerts (alert_id, issued_at, country, city, from_date, to_date, severity, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [alert.alertId, alert.issuedAt, alert.country, alert.city ?? null, alert.from, alert.to, alert.severity, alert.message],
      );
      // The customers with a booking to that country whose trip, as booked or as amended, may overlap the period:
      // the schedule decides exactly. Trips long over or far ahead are not recomputed.
      const concerned = await client.query<{ customer_id: string; facts: Facts }>(
        `SELECT customer_id, facts FROM read_models.touchpoint_facts
          WHERE jsonb_path_exists(facts, '$.bookings[*] ? (@.destination.country == $c && ((@.departureDate <= $to && @.returnDate >= $from) || exists(@.amendments[*])))',
                                  jsonb_build_object('c', $1::text, 'from', $2::text, 'to', $3::text))`,
        [alert.country, alert.from, alert.to],
      );
      for (const row of concerned.rows) if (!facts.has(row.customer_id)) facts.set(row.customer_id, row.facts);
    }
    const customers = [...facts.values()];
    if (!customers.length) return;
    const alertsByCustomer = await alertsFor(client, customers);
    const rows = customers.flatMap(({ forgottenAt, ...f }) => {
      const scheduled = scheduleTouchpoints({ ...f, riskAlerts: alertsByCustomer.get(f.customerId) ?? [] }, config);
      return forgottenAt === undefined ? scheduled : afterForgetting(scheduled);
    });
    await client.query('DELETE FROM read_models.touchpoints WHERE customer_id = ANY($1)', [customers.map((f) => f.customerId)]);
    await copyInto(
      client,
      `COPY read_models.touchpoints (touchpoint_id, customer_id, booking_id, complaint_id, alert_id, kind, phase, due_at, channel, language, urgent, marketing,
         status, content_hints, reason, completed_at, completed_by, outcome, note) FROM STDIN`,
      copyLines(rows, (t) => [
        t.touchpointId,
        t.customerId,
        t.bookingId ?? null,
        t.complaintId ?? null,
        t.alertId ?? null,
        t.kind,
        t.phase,
        t.dueAt,
        t.channel,
        t.language,
        t.urgent,
        t.marketing,
        t.status,
        `{${t.contentHints.map((h) => `"${h.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`,
        t.reason ?? null,
        t.completedAt ?? null,
        t.completedBy ?? null,
        t.outcome ?? null,
        t.note ?? null,
      ]),
    );
  },
});
