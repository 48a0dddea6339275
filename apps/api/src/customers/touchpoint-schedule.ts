import type { Pool } from 'pg';
import { ERASED, type ScheduledTouchpoint } from '../../../../libs/domain/src';
import type { RecordedEvent } from '../../../../libs/event-store/src';
import { isoInstantSql } from '../../../../libs/projection-engine/src';
import { scheduleTouchpoints, type TouchpointConfig, type TouchpointFacts } from '../../../../libs/touchpoints/src';

/*
 * The customer's touchpoint schedule on the write side, so that completing a touchpoint is decided where
 * TouchpointCompleted is appended, for the API and the import alike: computed with libs/touchpoints from the
 * customer's own stream (read for the decision anyway, so a cancellation a moment ago counts), the touchpoint config,
 * and the risk alerts of the countries the customer books.
 *
 * Risk alerts are other streams: they are read from the touchpoints projection's copy (touchpoint_risk_alerts), one
 * small query only for a completion. A risk notice exists on the read side only once its alert is projected too, so
 * both sides agree; what a completion must never miss (the customer's own events) comes from the stream.
 */

/** An event of the customer's stream with the id of the actor who recorded it (completions and closed complaints name them). */
export interface StreamEvent {
  type: string;
  data: Record<string, unknown>;
  occurredAt: string;
  actor: string;
}

export const streamEventOf = (event: RecordedEvent): StreamEvent => ({ type: event.type, data: event.data, occurredAt: event.occurredAt, actor: event.metadata.actor.id });

type Facts = Omit<TouchpointFacts, 'riskAlerts'> & { forgottenAt?: string };

/** One event folded into the facts, exactly as projections/touchpoints folds it (its read model must give the same schedule). */
function reduce(facts: Facts | undefined, customerId: string, { type, data, occurredAt: at, actor }: StreamEvent): Facts | undefined {
  if (type === 'CustomerRegistered') {
    return {
      customerId,
      registeredAt: at,
      ...(typeof data.birthDate === 'string' && { birthDate: data.birthDate }),
      profile: [{ at, timeZone: data.timeZone as string, language: data.language as string, preferredChannel: data.preferredChannel as string, tags: (data.tags as string[]) ?? [] }],
      consent: [{ at, granted: data.marketingConsent === true }],
      bookings: [],
      complaints: [],
      completions: [],
    };
  }
  if (!facts) return facts;
  const booking = facts.bookings.find((b) => b.bookingId === data.bookingId);
  const complaint = facts.complaints.find((c) => c.complaintId === data.complaintId);
  switch (type) {
    case 'CustomerProfileUpdated': {
      const last = facts.profile[facts.profile.length - 1];
      const pick = (key: 'timeZone' | 'language' | 'preferredChannel'): string => (typeof data[key] === 'string' ? (data[key] as string) : last[key]);
      facts.profile.push({ at, timeZone: pick('timeZone'), language: pick('language'), preferredChannel: pick('preferredChannel'), tags: Array.isArray(data.tags) ? (data.tags as string[]) : last.tags });
      if (typeof data.birthDate === 'string') facts.birthDate = data.birthDate;
      break;
    }
    case 'MarketingConsentChanged':
      facts.consent.push({ at, granted: data.granted === true });
      break;
    case 'TripBooked':
      facts.bookings.push({
        bookingId: data.bookingId as string,
        bookedAt: at,
        destination: data.destination as { country: string; city: string },
        departureDate: data.departureDate as string,
        returnDate: data.returnDate as string,
        amendments: [],
      });
      break;
    case 'BookingAmended':
      if (data.departureDate !== undefined || data.returnDate !== undefined) {
        booking?.amendments.push({ at, ...(typeof data.departureDate === 'string' && { departureDate: data.departureDate }), ...(typeof data.returnDate === 'string' && { returnDate: data.returnDate }) });
      }
      break;
    case 'BookingCancelled':
      if (booking) booking.cancelledAt = at;
      break;
    case 'TripDeparted':
      if (booking) booking.departedAt = at;
      break;
    case 'TripReturned':
      if (booking) booking.returnedAt = at;
      break;
    case 'ComplaintFiled':
      facts.complaints.push({ complaintId: data.complaintId as string, filedAt: at, severity: data.severity as string });
      break;
    case 'ComplaintAcknowledged':
      if (complaint) Object.assign(complaint, { acknowledgedAt: at, acknowledgedBy: actor });
      break;
    case 'ComplaintResolved':
      if (complaint) Object.assign(complaint, { resolvedAt: at, resolvedBy: actor });
      break;
    case 'TouchpointCompleted':
      facts.completions.push({
        touchpointId: data.touchpointId as string,
        at,
        by: actor,
        outcome: data.outcome as TouchpointFacts['completions'][number]['outcome'],
        ...(typeof data.note === 'string' && { note: data.note }),
      });
      break;
    case 'CustomerForgotten':
      delete facts.birthDate;
      for (const completion of facts.completions) if (completion.note !== undefined) completion.note = ERASED;
      facts.forgottenAt = at;
      break;
  }
  return facts;
}

export const touchpointFactsOf = (customerId: string, events: readonly StreamEvent[]): Facts | undefined =>
  events.reduce<Facts | undefined>((facts, event) => reduce(facts, customerId, event), undefined);

export class TouchpointSchedules {
  constructor(
    private readonly readModels: Pool,
    private readonly config: TouchpointConfig,
  ) {}

  /** The customer's touchpoints by id, as the touchpoints read model will show them once it has read `events`. */
  async of(customerId: string, events: readonly StreamEvent[]): Promise<ReadonlyMap<string, ScheduledTouchpoint>> {
    const facts = touchpointFactsOf(customerId, events);
    if (!facts) return new Map();
    const { forgottenAt, ...known } = facts;
    const rows = scheduleTouchpoints({ ...known, riskAlerts: await this.alertsFor(known) }, this.config);
    return new Map(
      rows.map((row) => {
        // A forgotten customer cannot be contacted: the read model cancels every open touchpoint.
        const status = forgottenAt !== undefined && row.status === 'open' ? 'cancelled' : row.status;
        return [row.touchpointId, { status, reason: row.reason, completedAt: row.completedAt, completedBy: row.completedBy }];
      }),
    );
  }

  private async alertsFor(facts: Omit<Facts, 'forgottenAt'>): Promise<TouchpointFacts['riskAlerts']> {
    const countries = [...new Set(facts.bookings.map((b) => b.destination.country))];
    if (!countries.length) return [];
    const { rows } = await this.readModels.query(
      `SELECT alert_id, ${isoInstantSql('issued_at')} AS issued_at, country, city, to_char(from_date, 'YYYY-MM-DD') AS from_date, to_char(to_date, 'YYYY-MM-DD') AS to_date, severity, message
         FROM read_models.touchpoint_risk_alerts WHERE country = ANY($1) ORDER BY issued_at, alert_id`,
      [countries],
    );
    return rows.map((row) => ({
      alertId: row.alert_id,
      issuedAt: row.issued_at,
      country: row.country,
      ...(row.city && { city: row.city }),
      from: row.from_date,
      to: row.to_date,
      severity: row.severity,
      message: row.message,
    }));
  }
}
