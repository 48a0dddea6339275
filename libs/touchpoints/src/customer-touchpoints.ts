import { datesOf, draft, hintsFor, localDate, ms, onLocalDay, withConsent, type Context, type Draft } from './schedule-context';
import type { TouchpointBooking, TouchpointFacts } from './touchpoint';
import { addMonths, HOUR_MS, isLocalDate } from './zoned-time';

/**
 * Complaint deadlines at exact instants after filing. ComplaintAcknowledged closes the acknowledgement and
 * ComplaintResolved the resolution (a resolution also closes an acknowledgement still open): done at that event's
 * instant, by its actor when the projection keeps it, else by 'system'.
 */
export function complaintTouchpoints(ctx: Context, complaint: TouchpointFacts['complaints'][number]): Draft[] {
  const filedMs = ms(complaint.filedAt);
  const resolved = complaint.resolvedAt ? { atMs: ms(complaint.resolvedAt), by: complaint.resolvedBy ?? 'system', outcome: 'done' as const } : undefined;
  const acknowledged = complaint.acknowledgedAt ? { atMs: ms(complaint.acknowledgedAt), by: complaint.acknowledgedBy ?? 'system', outcome: 'done' as const } : undefined;
  const drafts: Draft[] = [];
  for (const [kind, closedBy] of [
    ['complaint-acknowledgement', acknowledged && (!resolved || acknowledged.atMs <= resolved.atMs) ? acknowledged : resolved],
    ['complaint-resolution', resolved],
  ] as const) {
    const rule = ctx.config.rules[kind];
    if (!rule.enabled) continue;
    drafts.push(
      withConsent(
        ctx,
        draft(ctx, kind, complaint.complaintId, {
          complaintId: complaint.complaintId,
          dueMs: filedMs + rule.hoursAfterFiling * HOUR_MS,
          notes: [],
          contentHints: hintsFor(ctx, kind, [`severity: ${complaint.severity}`]),
          ...(closedBy ? { closedBy } : {}),
        }),
      ),
    );
  }
  return drafts;
}

/** An instant `months` calendar months later (the day clamped to the month's end), same UTC time of day. */
const monthsAfter = (atMs: number, months: number): number => {
  const iso = new Date(atMs).toISOString();
  return Date.parse(`${addMonths(iso.slice(0, 10), months)}${iso.slice(10)}`);
};

/**
 * A greeting on each birthday at the send time, from the registration on. The schedule is computed from the facts
 * alone and must be finite, so birthdays are scheduled up to the rule's horizon (12 months) after the customer's
 * latest fact. 29 February is greeted on 28 February in other years.
 */
export function birthdayGreetings(ctx: Context): Draft[] {
  const kind = 'birthday-greeting';
  const birthDate = ctx.facts.birthDate;
  if (!ctx.config.rules[kind].enabled || !birthDate || !isLocalDate(birthDate)) return [];
  const registeredMs = ms(ctx.facts.registeredAt);
  const horizonMs = monthsAfter(ctx.latestMs, ctx.config.rules[kind].horizonMonths);
  const drafts: Draft[] = [];
  const firstYear = Math.max(Number(localDate(ctx, registeredMs).slice(0, 4)), Number(birthDate.slice(0, 4)) + 1);
  for (let year = firstYear; ; year += 1) {
    const birthday = `${year}${birthDate.slice(4)}`;
    const placed = onLocalDay(ctx, kind, isLocalDate(birthday) ? birthday : `${year}-02-28`);
    if (placed.dueMs > horizonMs) break;
    if (placed.dueMs < registeredMs) continue;
    drafts.push(withConsent(ctx, draft(ctx, kind, String(year), { ...placed, contentHints: hintsFor(ctx, kind) })));
  }
  return drafts;
}

/** A trip counts once it has come back (TripReturned) and was not cancelled. */
const completedTrips = (bookings: TouchpointBooking[]): TouchpointBooking[] => bookings.filter((booking) => booking.returnedAt && !booking.cancelledAt);

/** Trips in the order they depart (booked dates as amended), the booking id breaking ties. */
const tripOrder = (booking: TouchpointBooking): string => `${datesOf(booking).departureDate}|${booking.bookingId}`;

/**
 * The anniversary of the first completed trip's departure (the day it started), once that trip has come back. Its id
 * is per customer ('first-trip'), so it stays the same if an earlier trip is recorded later.
 */
export function firstTripAnniversary(ctx: Context): Draft[] {
  const kind = 'first-trip-anniversary';
  const rule = ctx.config.rules[kind];
  const [first] = completedTrips(ctx.facts.bookings).sort((a, b) => (tripOrder(a) < tripOrder(b) ? -1 : 1));
  if (!rule.enabled || !first) return [];
  const day = addMonths(datesOf(first).departureDate, 12 * rule.yearsAfterDeparture);
  return [withConsent(ctx, draft(ctx, kind, 'first-trip', { bookingId: first.bookingId, ...onLocalDay(ctx, kind, day), contentHints: hintsFor(ctx, kind) }))];
}

/**
 * A win-back offer `monthsWithoutTrip` calendar months after each completed trip's return (its local date), unless a
 * later trip (departing after it) was booked before then and not cancelled by then. A later trip booked before the
 * return means the offer never came up: no row. Booked after the return, the offer had been scheduled: it stays,
 * cancelled, naming the booking.
 */
export function winBackOffers(ctx: Context): Draft[] {
  const kind = 'win-back-offer';
  if (!ctx.config.rules[kind].enabled) return [];
  const later = laterTrips(ctx.facts.bookings);
  const drafts: Draft[] = [];
  for (const trip of completedTrips(ctx.facts.bookings)) {
    const returnedMs = ms(trip.returnedAt as string);
    const placed = onLocalDay(ctx, kind, addMonths(localDate(ctx, returnedMs), ctx.config.rules[kind].monthsWithoutTrip));
    const again = later(trip, placed.dueMs);
    if (again && again.bookedMs < returnedMs) continue;
    const offer = draft(ctx, kind, trip.bookingId, { bookingId: trip.bookingId, ...placed, contentHints: hintsFor(ctx, kind) });
    if (again) {
      offer.status = 'cancelled';
      offer.statusReason = `booked again before it was due (${again.booking.bookingId})`;
    }
    drafts.push(withConsent(ctx, offer));
  }
  return drafts;
}

interface Later {
  booking: TouchpointBooking;
  order: string;
  bookedMs: number;
  cancelledMs: number;
}

/**
 * For a trip and an instant: the earliest-booked later trip (departing after it) booked before the instant and not
 * cancelled by then. Trips never cancelled are answered from a suffix minimum, so a look-up scans only the cancelled
 * ones: a customer's win-back offers were quadratic in their bookings before (issue 15).
 */
function laterTrips(bookings: TouchpointBooking[]): (trip: TouchpointBooking, beforeMs: number) => Later | undefined {
  const earlier = (a: Later, b: Later): boolean => a.bookedMs < b.bookedMs || (a.bookedMs === b.bookedMs && a.booking.bookingId < b.booking.bookingId);
  const trips: Later[] = bookings
    .map((booking) => ({ booking, order: tripOrder(booking), bookedMs: ms(booking.bookedAt), cancelledMs: booking.cancelledAt ? ms(booking.cancelledAt) : Infinity }))
    .sort((a, b) => (a.order < b.order ? -1 : 1));
  const index = new Map(trips.map((trip, i) => [trip.booking, i]));
  // keptAfter[i]: the earliest-booked trip after the i-th never cancelled.
  const keptAfter: (Later | undefined)[] = new Array(trips.length);
  for (let i = trips.length - 1, best: Later | undefined; i >= 0; i -= 1) {
    keptAfter[i] = best;
    if (trips[i].cancelledMs === Infinity && (!best || earlier(trips[i], best))) best = trips[i];
  }
  const cancelled = trips.map((trip, i) => ({ trip, i })).filter(({ trip }) => trip.cancelledMs !== Infinity);
  return (booking, beforeMs) => {
    const i = index.get(booking) as number;
    const kept = keptAfter[i];
    let found = kept && kept.bookedMs < beforeMs ? kept : undefined;
    for (const other of cancelled) {
      if (other.i > i && other.trip.bookedMs < beforeMs && other.trip.cancelledMs > beforeMs && (!found || earlier(other.trip, found))) found = other.trip;
    }
    return found;
  };
}
