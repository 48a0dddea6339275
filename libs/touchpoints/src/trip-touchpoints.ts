import { datesOf, draft, hintsFor, localDate, ms, onLocalDay, withConsent, type Context, type Draft } from './schedule-context';
import type { TouchpointBooking, TouchpointFacts, TouchpointKind } from './touchpoint';
import { addDays, daysBetween, HOUR_MS, zonedTime } from './zoned-time';

type TripKind = Extract<TouchpointKind, 'destination-guide' | 'departure-reminder' | 'arrival-check-in' | 'mid-trip-check-in' | 'welcome-home-call' | 'nps-survey' | 'trip-memories' | 'next-trip-idea'>;

/**
 * Care around one booking. Pre- and during-trip touchpoints follow the booked (amended) dates; post-trip ones follow
 * the day the trip actually came back (TripReturned, as a local date) once it is recorded, the booked return date
 * before that.
 */
export function tripTouchpoints(ctx: Context, booking: TouchpointBooking): Draft[] {
  const rules = ctx.config.rules;
  const dates = datesOf(booking);
  const returnDay = booking.returnedAt ? localDate(ctx, ms(booking.returnedAt)) : dates.returnDate;
  const nights = daysBetween(dates.departureDate, dates.returnDate);
  const bothSetMs = Math.max(dates.departureSetMs, dates.returnSetMs);
  const planned: [TripKind, string | undefined, number][] = [
    ['destination-guide', addDays(dates.departureDate, -rules['destination-guide'].daysBeforeDeparture), dates.departureSetMs],
    ['departure-reminder', addDays(dates.departureDate, -rules['departure-reminder'].daysBeforeDeparture), dates.departureSetMs],
    ['arrival-check-in', addDays(dates.departureDate, rules['arrival-check-in'].daysAfterDeparture), dates.departureSetMs],
    ['mid-trip-check-in', nights >= rules['mid-trip-check-in'].minNights ? addDays(dates.departureDate, Math.floor(nights / 2)) : undefined, bothSetMs],
    ['welcome-home-call', addDays(returnDay, rules['welcome-home-call'].daysAfterReturn), dates.returnSetMs],
    ['nps-survey', addDays(returnDay, rules['nps-survey'].daysAfterReturn), dates.returnSetMs],
    ['trip-memories', addDays(returnDay, rules['trip-memories'].daysAfterReturn), dates.returnSetMs],
    ['next-trip-idea', addDays(returnDay, rules['next-trip-idea'].daysAfterReturn), dates.returnSetMs],
  ];
  const drafts: Draft[] = [];
  for (const [kind, day, datesSetMs] of planned) {
    if (!day || !rules[kind].enabled) continue;
    const touchpoint = draft(ctx, kind, booking.bookingId, { bookingId: booking.bookingId, ...onLocalDay(ctx, kind, day), contentHints: hintsFor(ctx, kind) });
    // Never scheduled before the dates it follows were known: skipped, keeping the instant it would have had.
    if (touchpoint.dueMs < datesSetMs) {
      touchpoint.status = 'skipped';
      touchpoint.statusReason = datesSetMs === ms(booking.bookedAt) ? 'booked too late' : 'amended too late';
    } else if ((kind === 'arrival-check-in' || kind === 'mid-trip-check-in') && booking.returnedAt && touchpoint.dueMs > ms(booking.returnedAt)) {
      touchpoint.status = 'skipped';
      touchpoint.statusReason = 'the trip ended before it was due';
    }
    drafts.push(cancelledWith(booking, withConsent(ctx, touchpoint)));
  }
  if (booking.cancelledAt && rules['cancellation-follow-up'].enabled) {
    const kind = 'cancellation-follow-up';
    const day = addDays(localDate(ctx, ms(booking.cancelledAt)), rules[kind].daysAfterCancellation);
    drafts.push(withConsent(ctx, draft(ctx, kind, booking.bookingId, { bookingId: booking.bookingId, ...onLocalDay(ctx, kind, day), contentHints: hintsFor(ctx, kind) })));
  }
  return drafts;
}

/** A touchpoint of a cancelled booking still open and due after the cancellation is cancelled with it. */
function cancelledWith(booking: TouchpointBooking, touchpoint: Draft): Draft {
  if (!booking.cancelledAt || touchpoint.status !== 'open' || touchpoint.dueMs <= ms(booking.cancelledAt)) return touchpoint;
  return { ...touchpoint, status: 'cancelled', statusReason: 'booking cancelled', cancelledAtMs: ms(booking.cancelledAt) };
}

const same = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Risk notices: a booking is concerned by an alert when it goes to the alert's country (and city, when the alert
 * names one; both case-insensitive) and the trip's dates overlap the alert's [from, to] (calendar dates, inclusive):
 * a traveller already there is warned too, not only those departing within the period. The notice is due at once:
 * when the alert was issued, or when the booking came to be concerned (booked or amended into the period) if later.
 * It is never due before then; when that is less than the rule's hours before departure (00:00 local of the
 * departure day), the reason says the notice is late.
 */
export function riskNotices(ctx: Context, booking: TouchpointBooking, alert: TouchpointFacts['riskAlerts'][number]): Draft[] {
  const rule = ctx.config.rules['risk-notice'];
  if (!rule.enabled || !same(alert.country, booking.destination.country) || (alert.city && !same(alert.city, booking.destination.city))) return [];
  const from = alert.from.slice(0, 10);
  const to = alert.to.slice(0, 10);
  const overlaps = (untilMs: number): boolean => {
    const dates = datesOf(booking, untilMs);
    return dates.departureDate <= to && dates.returnDate >= from;
  };
  const issuedMs = Math.max(ms(alert.issuedAt), ms(booking.bookedAt));
  const instants = [issuedMs, ...booking.amendments.map((amendment) => ms(amendment.at)).filter((atMs) => atMs > issuedMs)];
  const concernedMs = instants.find(overlaps);
  if (concernedMs === undefined) return [];
  if (booking.cancelledAt && ms(booking.cancelledAt) <= concernedMs) return [];
  if (booking.returnedAt && ms(booking.returnedAt) <= concernedMs) return [];
  const dates = datesOf(booking);
  const deadlineMs = zonedTime(dates.departureDate, '00:00', ctx.timeZone) - rule.hoursBeforeDeparture * HOUR_MS;
  const touchpoint = draft(ctx, 'risk-notice', `${alert.alertId}|${booking.bookingId}`, {
    bookingId: booking.bookingId,
    alertId: alert.alertId,
    dueMs: concernedMs,
    notes: [],
    contentHints: hintsFor(ctx, 'risk-notice', [`severity: ${alert.severity}`, alert.message]),
  });
  if (!overlaps(Infinity)) {
    touchpoint.status = 'cancelled';
    touchpoint.statusReason = 'the booking was amended out of the alert period';
  } else if (concernedMs > deadlineMs) {
    touchpoint.notes.push(`late: less than ${rule.hoursBeforeDeparture} h before departure`);
  }
  return [cancelledWith(booking, touchpoint)];
}
