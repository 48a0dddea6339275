import { birthdayGreetings, complaintTouchpoints, firstTripAnniversary, winBackOffers } from './customer-touchpoints';
import { consentAt, isMarketing, localDate, ms, onLocalDay, type Context, type Draft } from './schedule-context';
import { KIND_PHASE, URGENT_KINDS, type Touchpoint, type TouchpointFacts } from './touchpoint';
import type { TouchpointConfig } from './touchpoint-config';
import { riskNotices, tripTouchpoints } from './trip-touchpoints';
import { addDays, epochDay } from './zoned-time';

/**
 * Every touchpoint of the customer, computed from the facts alone (no clock): the same facts, in any order of their
 * arrays, give the same rows. Sorted by dueAt, then touchpointId.
 *
 * An open touchpoint follows all the facts: the latest profile (zone, language, channel, tags), the dates as last
 * amended. A closed one stays as it was when it closed: a completed touchpoint (TouchpointCompleted, or the
 * complaint event that closes it) is computed from the facts known at its completion, one cancelled with its booking
 * from the facts known at the cancellation. So a later amendment or a move to another time zone never shifts what
 * was already done.
 */
export function scheduleTouchpoints(facts: TouchpointFacts, config: TouchpointConfig): Touchpoint[] {
  const normalized = normalize(facts);
  const rows = [...scheduleAsKnownAt(normalized, config, Infinity, new Map()).values()];
  return rows.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : a.touchpointId < b.touchpointId ? -1 : 1));
}

type Closing = NonNullable<Draft['closedBy']> & { note?: string };

/** The schedule as the facts known at `knownMs` give it; a touchpoint closed before then is taken from its own instant. */
function scheduleAsKnownAt(all: TouchpointFacts, config: TouchpointConfig, knownMs: number, memo: Map<number, Map<string, Touchpoint>>): Map<string, Touchpoint> {
  const remembered = memo.get(knownMs);
  if (remembered) return remembered;
  const ctx = contextOf(knownMs === Infinity ? all : knownAt(all, knownMs), config);
  const completions = new Map<string, TouchpointFacts['completions'][number]>();
  for (const completion of ctx.facts.completions) if (!completions.has(completion.touchpointId)) completions.set(completion.touchpointId, completion);
  const rows = new Map<string, Touchpoint>();
  const drafts = new Map<string, Draft>();
  for (const touchpoint of draftsOf(ctx)) {
    const completion = completions.get(touchpoint.touchpointId);
    const completed: Closing | undefined =
      completion && (!touchpoint.closedBy || ms(completion.at) < touchpoint.closedBy.atMs)
        ? { atMs: ms(completion.at), by: completion.by, outcome: completion.outcome, note: completion.note }
        : touchpoint.closedBy;
    const closedMs = completed?.atMs ?? touchpoint.cancelledAtMs;
    const frozen = closedMs !== undefined && closedMs < knownMs ? scheduleAsKnownAt(all, config, closedMs, memo).get(touchpoint.touchpointId) : undefined;
    if (frozen) rows.set(frozen.touchpointId, frozen);
    else if (completed) {
      rows.set(touchpoint.touchpointId, {
        ...row(ctx, { ...touchpoint, status: 'done', statusReason: undefined }),
        completedAt: new Date(completed.atMs).toISOString(),
        completedBy: completed.by,
        outcome: completed.outcome,
        ...(completed.note !== undefined ? { note: completed.note } : {}),
      });
    } else drafts.set(touchpoint.touchpointId, touchpoint);
  }
  for (const touchpoint of frequencyCapped(ctx, [...drafts.values()], [...rows.values()])) rows.set(touchpoint.touchpointId, row(ctx, touchpoint));
  memo.set(knownMs, rows);
  return rows;
}

function draftsOf(ctx: Context): Draft[] {
  const { bookings, complaints, riskAlerts } = ctx.facts;
  return [
    ...bookings.flatMap((booking) => tripTouchpoints(ctx, booking)),
    ...riskAlerts.flatMap((alert) => bookings.flatMap((booking) => riskNotices(ctx, booking, alert))),
    ...complaints.flatMap((complaint) => complaintTouchpoints(ctx, complaint)),
    ...birthdayGreetings(ctx),
    ...firstTripAnniversary(ctx),
    ...winBackOffers(ctx),
  ];
}

/**
 * The frequency cap on marketing touchpoints, after consent: in dueAt order (then id), each open one takes its local
 * day if that day has fewer than `perDay` and every `windowDays`-day window holding it fewer than `perWindow`
 * (counting the closed ones, which keep their day); otherwise the next local day that does, at the send time. Moved,
 * it needs consent at its new time too.
 */
function frequencyCapped(ctx: Context, drafts: Draft[], closed: Touchpoint[]): Draft[] {
  const { perDay, perWindow, windowDays } = ctx.config.frequencyCap;
  // Local days as day numbers.
  const taken = closed
    .filter((touchpoint) => (touchpoint.status === 'done' || touchpoint.status === 'open') && isMarketing(ctx, touchpoint.kind))
    .map((touchpoint) => epochDay(localDate(ctx, ms(touchpoint.dueAt))));
  const fits = (date: string): boolean => {
    const day = epochDay(date);
    if (taken.filter((other) => other === day).length >= perDay) return false;
    for (let start = day - windowDays + 1; start <= day; start += 1) {
      if (taken.filter((other) => other >= start && other < start + windowDays).length >= perWindow) return false;
    }
    return true;
  };
  const capped = drafts
    .filter((touchpoint) => touchpoint.status === 'open' && isMarketing(ctx, touchpoint.kind))
    .sort((a, b) => a.dueMs - b.dueMs || (a.touchpointId < b.touchpointId ? -1 : 1));
  const moved = new Map<string, Draft>();
  for (const touchpoint of capped) {
    const wanted = localDate(ctx, touchpoint.dueMs);
    let placed = { dueMs: touchpoint.dueMs, notes: [] as string[] };
    for (let day = wanted; !fits(localDate(ctx, placed.dueMs)); ) {
      day = addDays(day, 1);
      placed = onLocalDay(ctx, touchpoint.kind, day);
    }
    if (placed.dueMs === touchpoint.dueMs) {
      taken.push(epochDay(wanted));
      continue;
    }
    const cap = `moved by the frequency cap (${perDay} a day, ${perWindow} in ${windowDays} days) from ${wanted}`;
    const next: Draft = { ...touchpoint, dueMs: placed.dueMs, notes: [...touchpoint.notes, cap] };
    if (consentAt(ctx, placed.dueMs)) taken.push(epochDay(localDate(ctx, placed.dueMs)));
    else Object.assign(next, { status: 'skipped', statusReason: 'no marketing consent' });
    moved.set(touchpoint.touchpointId, next);
  }
  return drafts.map((touchpoint) => moved.get(touchpoint.touchpointId) ?? touchpoint);
}

function row(ctx: Context, touchpoint: Draft): Touchpoint {
  const reason = [...touchpoint.notes, ...(touchpoint.statusReason ? [touchpoint.statusReason] : [])].join('; ');
  return {
    touchpointId: touchpoint.touchpointId,
    customerId: ctx.facts.customerId,
    ...(touchpoint.bookingId !== undefined ? { bookingId: touchpoint.bookingId } : {}),
    ...(touchpoint.complaintId !== undefined ? { complaintId: touchpoint.complaintId } : {}),
    ...(touchpoint.alertId !== undefined ? { alertId: touchpoint.alertId } : {}),
    kind: touchpoint.kind,
    phase: KIND_PHASE[touchpoint.kind],
    dueAt: new Date(touchpoint.dueMs).toISOString(),
    channel: ctx.channel,
    language: ctx.language,
    urgent: URGENT_KINDS.includes(touchpoint.kind),
    marketing: isMarketing(ctx, touchpoint.kind),
    status: touchpoint.status,
    contentHints: touchpoint.contentHints,
    ...(reason ? { reason } : {}),
  };
}

function contextOf(facts: TouchpointFacts, config: TouchpointConfig): Context {
  const profile = facts.profile[facts.profile.length - 1];
  if (!profile) throw new Error(`customer ${facts.customerId} has no profile`);
  return {
    facts,
    config,
    timeZone: profile.timeZone,
    language: profile.language,
    channel: profile.preferredChannel,
    tags: profile.tags,
    latestMs: Math.max(...instantsOf(facts).map(ms)),
  };
}

const instantsOf = (facts: TouchpointFacts): string[] => [
  facts.registeredAt,
  ...facts.profile.map((change) => change.at),
  ...facts.consent.map((change) => change.at),
  ...facts.bookings.flatMap((booking) => [
    booking.bookedAt,
    ...booking.amendments.map((amendment) => amendment.at),
    ...[booking.cancelledAt, booking.departedAt, booking.returnedAt].filter((at): at is string => at !== undefined),
  ]),
  ...facts.complaints.flatMap((complaint) => [complaint.filedAt, complaint.acknowledgedAt, complaint.resolvedAt].filter((at): at is string => at !== undefined)),
  ...facts.riskAlerts.map((alert) => alert.issuedAt),
  ...facts.completions.map((completion) => completion.at),
];

/**
 * The facts as known at an instant: every change at or before it. Arrays are already in their normalized order, so
 * the first profile stays first.
 */
function knownAt(facts: TouchpointFacts, atMs: number): TouchpointFacts {
  const known = (at: string | undefined): at is string => at !== undefined && ms(at) <= atMs;
  const keep = <T extends object, K extends keyof T>(value: T, keys: K[]): T => {
    const copy = { ...value };
    for (const key of keys) if (!known(copy[key] as string | undefined)) delete copy[key];
    return copy;
  };
  return {
    ...facts,
    profile: facts.profile.filter((change, index) => index === 0 || known(change.at)),
    consent: facts.consent.filter((change) => known(change.at)),
    bookings: facts.bookings
      .filter((booking) => known(booking.bookedAt))
      .map((booking) => ({ ...keep(booking, ['cancelledAt', 'departedAt', 'returnedAt']), amendments: booking.amendments.filter((amendment) => known(amendment.at)) })),
    complaints: facts.complaints
      .filter((complaint) => known(complaint.filedAt))
      .map((complaint) => {
        const copy = keep(complaint, ['acknowledgedAt', 'resolvedAt']);
        if (!copy.acknowledgedAt) delete copy.acknowledgedBy;
        if (!copy.resolvedAt) delete copy.resolvedBy;
        return copy;
      }),
    riskAlerts: facts.riskAlerts.filter((alert) => known(alert.issuedAt)),
    completions: facts.completions.filter((completion) => known(completion.at)),
  };
}

/** By instant; equal instants by their content, so the order the arrays came in never matters. */
const byInstant = <T extends { at: string }>(items: T[]): T[] =>
  [...items].sort((a, b) => ms(a.at) - ms(b.at) || (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
const byId = <T>(items: T[], id: (item: T) => string): T[] => [...items].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));

/**
 * One order for every array. Consent changes at the same instant: a withdrawal wins (it sorts last). Profile changes
 * at the same instant: ordered by content (an arbitrary but fixed choice; the log never holds two for one instant
 * from one command).
 */
function normalize(facts: TouchpointFacts): TouchpointFacts {
  return {
    ...facts,
    profile: byInstant(facts.profile),
    consent: [...facts.consent].sort((a, b) => ms(a.at) - ms(b.at) || Number(b.granted) - Number(a.granted)),
    bookings: byId(facts.bookings, (booking) => booking.bookingId).map((booking) => ({ ...booking, amendments: byInstant(booking.amendments) })),
    complaints: byId(facts.complaints, (complaint) => complaint.complaintId),
    riskAlerts: byId(facts.riskAlerts, (alert) => alert.alertId),
    completions: byInstant(facts.completions),
  };
}
