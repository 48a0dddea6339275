import { campaignTouchpoints } from './campaign-touchpoints';
import { birthdayGreetings, complaintTouchpoints, firstTripAnniversary, winBackOffers } from './customer-touchpoints';
import { consentAt, isMarketing, isoOf, localDate, ms, onLocalDay, withHoldouts, type Context, type Draft } from './schedule-context';
import { KIND_PHASE, URGENT_KINDS, type CustomerTouchpointFacts, type Touchpoint, type TouchpointBooking, type TouchpointFacts, type TouchpointKind } from './touchpoint';
import type { TouchpointConfig } from './touchpoint-config';
import { riskNotices, tripTouchpoints } from './trip-touchpoints';
import { dateOfEpochDay, epochDay } from './zoned-time';
import { byAssignment, byConsent, byInstant, knownAt, latestInstantMs, normalize } from './facts-in-order';

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
  const all = normalize(facts);
  const run: Run = { all, config, completions: new Map(), views: new Map(), scopes: new Map() };
  // The first completion of each touchpoint (completions are in instant order): the one that closed it.
  for (const completion of all.completions) if (!run.completions.has(completion.touchpointId)) run.completions.set(completion.touchpointId, completion);
  const rows = [...scheduleAsKnownAt(run, Infinity).values()];
  return rows.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : a.touchpointId < b.touchpointId ? -1 : 1));
}

/**
 * The rows a customer's newest fact, an assignment to `campaignId`, adds to their schedule, when it provably adds
 * only those and changes no other row: then the schedule of `facts` is the schedule without the assignment plus
 * these rows (none for the control arm, the campaign's one for treatment). Undefined when that cannot be shown
 * cheaply, and the whole schedule must be computed: the assignment is not strictly the latest fact (a touchpoint
 * frozen at a later instant would see it), the customer has a birth date (the latest fact sets the birthday horizon),
 * was forgotten, or was assigned to the campaign before; or the send may meet the frequency cap, that is an open or
 * done marketing row (the latest is `latestMarketingDueAt`, the customer's as the table holds them) due less than the
 * cap's window (plus a day for the time zones) before it or at any time after. A launch to 100,000 customers went
 * through whole schedules, twice each, for 65 s (issue 18).
 */
export function rowsAddedByAssignment(
  facts: CustomerTouchpointFacts,
  riskAlerts: TouchpointFacts['riskAlerts'],
  campaignId: string,
  config: TouchpointConfig,
  latestMarketingDueAt: string | undefined,
): Touchpoint[] | undefined {
  if (facts.forgottenAt !== undefined || facts.birthDate !== undefined) return undefined;
  const campaigns = facts.campaigns ?? [];
  const assigned = campaigns.filter((assignment) => assignment.campaignId === campaignId);
  if (assigned.length !== 1) return undefined;
  const assignedMs = ms(assigned[0].assignedAt);
  // A send reads the profile in force, the consent and the campaigns, so only those are put in order; the other facts
  // count only through their latest instant. The views are built field by field: spreading the parsed facts (three
  // copies) and normalising every array was most of this function's time in a launch to 100,000 customers.
  const { customerId, registeredAt, profile, consent, bookings, complaints, completions } = facts;
  const others = campaigns.filter((assignment) => assignment !== assigned[0]);
  const latestOtherMs = latestInstantMs({ customerId, registeredAt, profile, consent, bookings, complaints, riskAlerts, completions, campaigns: others });
  if (latestOtherMs >= assignedMs) return undefined;
  const ordered = { customerId, registeredAt, profile: byInstant(profile), consent: byConsent(consent), bookings, complaints, riskAlerts, completions, campaigns: byAssignment(campaigns) };
  const ctx = contextOf(ordered, config, Math.max(latestOtherMs, assignedMs));
  const sends = campaignTouchpoints(ctx).filter((touchpoint) => touchpoint.campaignId === campaignId);
  const clearOfMs = (config.frequencyCap.windowDays + 1) * 86_400_000;
  if (latestMarketingDueAt !== undefined && sends.some((send) => send.status === 'open' && ms(latestMarketingDueAt) > send.dueMs - clearOfMs)) return undefined;
  return sends.map((send) => row(ctx, send));
}

type Closing = NonNullable<Draft['closedBy']> & { note?: string };

/** One schedule's computation: the facts, and the views at earlier instants it has already computed. */
interface Run {
  all: TouchpointFacts;
  config: TouchpointConfig;
  completions: Map<string, TouchpointFacts['completions'][number]>;
  /** Whole schedules as known at an instant. */
  views: Map<number, Map<string, Touchpoint>>;
  /** The drafts of one booking, complaint or (alert, booking) as known at an instant, by `${instant}|${scope}`. */
  scopes: Map<string, { ctx: Context; drafts: Map<string, Draft> }>;
  /** The facts by id, built on the first frozen touchpoint. */
  byId?: { bookings: Map<string, TouchpointBooking>; complaints: Map<string, TouchpointFacts['complaints'][number]>; riskAlerts: Map<string, TouchpointFacts['riskAlerts'][number]> };
}

/** The schedule as the facts known at `knownMs` give it; a touchpoint closed before then is taken from its own instant. */
function scheduleAsKnownAt(run: Run, knownMs: number): Map<string, Touchpoint> {
  const remembered = run.views.get(knownMs);
  if (remembered) return remembered;
  const ctx = contextOf(knownMs === Infinity ? run.all : knownAt(run.all, knownMs), run.config);
  const rows = new Map<string, Touchpoint>();
  const drafts = new Map<string, Draft>();
  for (const touchpoint of draftsOf(ctx)) {
    const closed = closedRow(run, ctx, knownMs, touchpoint);
    if (closed) rows.set(touchpoint.touchpointId, closed);
    else drafts.set(touchpoint.touchpointId, touchpoint);
  }
  for (const touchpoint of frequencyCapped(ctx, [...drafts.values()], [...rows.values()])) rows.set(touchpoint.touchpointId, row(ctx, touchpoint));
  run.views.set(knownMs, rows);
  return rows;
}

/** The row of a touchpoint closed by `knownMs` (completed, or cancelled with its booking); undefined while open. */
function closedRow(run: Run, ctx: Context, knownMs: number, touchpoint: Draft): Touchpoint | undefined {
  const first = run.completions.get(touchpoint.touchpointId);
  const completion = first && ms(first.at) <= knownMs ? first : undefined;
  const completed: Closing | undefined =
    completion && (!touchpoint.closedBy || ms(completion.at) < touchpoint.closedBy.atMs)
      ? { atMs: ms(completion.at), by: completion.by, outcome: completion.outcome, note: completion.note }
      : touchpoint.closedBy;
  const closedMs = completed?.atMs ?? touchpoint.cancelledAtMs;
  const frozen = closedMs !== undefined && closedMs < knownMs ? frozenRow(run, closedMs, touchpoint) : undefined;
  if (frozen || !completed) return frozen;
  return {
    ...row(ctx, { ...touchpoint, status: 'done', statusReason: undefined }),
    completedAt: isoOf(completed.atMs),
    completedBy: completed.by,
    outcome: completed.outcome,
    ...(completed.note !== undefined ? { note: completed.note } : {}),
  };
}

/**
 * The touchpoint as the whole schedule known at `atMs` gives it, computed from its own booking, complaint or alert
 * alone where that is the same thing: a touchpoint of one booking depends only on that booking, the profile and the
 * consent, unless it is an open marketing one (the frequency cap reads every other). Recomputing the whole schedule
 * at every instant something closed made a customer's schedule cubic in their bookings (800 took 31 s, issue 15).
 */
function frozenRow(run: Run, atMs: number, touchpoint: Draft): Touchpoint | undefined {
  const scope = scopeOf(run, touchpoint);
  if (!scope) return scheduleAsKnownAt(run, atMs).get(touchpoint.touchpointId);
  const key = `${atMs}|${scope.key}`;
  let view = run.scopes.get(key);
  if (!view) {
    const ctx = contextOf(knownAt({ ...run.all, bookings: scope.bookings, complaints: scope.complaints, riskAlerts: scope.riskAlerts, completions: [] }, atMs), run.config);
    view = { ctx, drafts: new Map(entityDrafts(ctx).map((draft) => [draft.touchpointId, draft])) };
    run.scopes.set(key, view);
  }
  const then = view.drafts.get(touchpoint.touchpointId);
  if (!then) return undefined;
  const closed = closedRow(run, view.ctx, atMs, then);
  if (closed) return closed;
  if (then.status === 'open' && isMarketing(view.ctx, then.kind)) return scheduleAsKnownAt(run, atMs).get(touchpoint.touchpointId);
  return row(view.ctx, then);
}

/** The facts a touchpoint of one booking, complaint or (alert, booking) is drawn from; undefined for lifecycle moments, which read them all. */
function scopeOf(run: Run, touchpoint: Draft): { key: string } & Pick<TouchpointFacts, 'bookings' | 'complaints' | 'riskAlerts'> | undefined {
  const { bookingId, complaintId, alertId, kind } = touchpoint;
  if (kind === 'birthday-greeting' || kind === 'first-trip-anniversary' || kind === 'win-back-offer' || kind === 'campaign') return undefined;
  const { bookings, complaints, riskAlerts } = (run.byId ??= {
    bookings: new Map(run.all.bookings.map((booking) => [booking.bookingId, booking])),
    complaints: new Map(run.all.complaints.map((complaint) => [complaint.complaintId, complaint])),
    riskAlerts: new Map(run.all.riskAlerts.map((alert) => [alert.alertId, alert])),
  });
  const pick = <T>(items: Map<string, T>, id: string | undefined): T[] => {
    const item = id === undefined ? undefined : items.get(id);
    return item ? [item] : [];
  };
  return {
    key: `${bookingId ?? ''}|${complaintId ?? ''}|${alertId ?? ''}`,
    bookings: pick(bookings, bookingId),
    complaints: pick(complaints, complaintId),
    riskAlerts: pick(riskAlerts, alertId),
  };
}

/** Touchpoints of bookings, risk alerts and complaints: each drawn from its own facts. */
function entityDrafts(ctx: Context): Draft[] {
  const { bookings, complaints, riskAlerts } = ctx.facts;
  return withHoldouts(ctx, [
    ...bookings.flatMap((booking) => tripTouchpoints(ctx, booking)),
    ...riskAlerts.flatMap((alert) => bookings.flatMap((booking) => riskNotices(ctx, booking, alert))),
    ...complaints.flatMap((complaint) => complaintTouchpoints(ctx, complaint)),
  ]);
}

const draftsOf = (ctx: Context): Draft[] => [
  ...entityDrafts(ctx),
  ...withHoldouts(ctx, [...birthdayGreetings(ctx), ...firstTripAnniversary(ctx), ...winBackOffers(ctx)]),
  ...campaignTouchpoints(ctx),
];

/**
 * The frequency cap on marketing touchpoints, after consent: in dueAt order (then id), each open one takes its local
 * day if that day has fewer than `perDay` and every `windowDays`-day window holding it fewer than `perWindow`
 * (counting the closed ones, which keep their day); otherwise the next local day that does, at the send time. Moved,
 * it needs consent at its new time too.
 */
function frequencyCapped(ctx: Context, drafts: Draft[], closed: Touchpoint[]): Draft[] {
  const { perDay, perWindow, windowDays } = ctx.config.frequencyCap;
  // Marketing touchpoints by local day number.
  const taken = new Map<number, number>();
  const take = (day: number): void => void taken.set(day, (taken.get(day) ?? 0) + 1);
  const on = (day: number): number => taken.get(day) ?? 0;
  for (const touchpoint of closed) {
    if ((touchpoint.status === 'done' || touchpoint.status === 'open') && isMarketing(ctx, touchpoint.kind)) take(epochDay(localDate(ctx, ms(touchpoint.dueAt))));
  }
  const fits = (date: string): boolean => {
    const day = epochDay(date);
    if (on(day) >= perDay) return false;
    // The windows holding `day` start from day - windowDays + 1 to day: slide one across.
    let inWindow = 0;
    for (let other = day - windowDays + 1; other <= day; other += 1) inWindow += on(other);
    for (let start = day - windowDays + 1; ; start += 1) {
      if (inWindow >= perWindow) return false;
      if (start === day) return true;
      inWindow += on(start + windowDays) - on(start);
    }
  };
  const capped = drafts
    .filter((touchpoint) => touchpoint.status === 'open' && isMarketing(ctx, touchpoint.kind))
    .sort((a, b) => a.dueMs - b.dueMs || (a.touchpointId < b.touchpointId ? -1 : 1));
  // Days only fill up, and touchpoints come in date order: the days a kind found full stay full for the next one of
  // that kind, so its search starts after them (without this a backlog made the cap quadratic).
  const full = new Map<TouchpointKind, { from: number; to: number }>();
  const moved = new Map<string, Draft>();
  for (const touchpoint of capped) {
    const wanted = localDate(ctx, touchpoint.dueMs);
    if (fits(wanted)) {
      take(epochDay(wanted));
      continue;
    }
    const first = epochDay(wanted) + 1;
    const known = full.get(touchpoint.kind);
    const resumes = known !== undefined && known.from <= first && first <= known.to;
    let day = resumes ? Math.max(first, known.to) : first;
    let placed = onLocalDay(ctx, touchpoint.kind, dateOfEpochDay(day));
    while (!fits(localDate(ctx, placed.dueMs))) placed = onLocalDay(ctx, touchpoint.kind, dateOfEpochDay((day += 1)));
    full.set(touchpoint.kind, { from: resumes ? known.from : first, to: day });
    const cap = `moved by the frequency cap (${perDay} a day, ${perWindow} in ${windowDays} days) from ${wanted}`;
    const next: Draft = { ...touchpoint, dueMs: placed.dueMs, notes: [...touchpoint.notes, cap] };
    // Past its deadline (a campaign's send window) it is not sent at all, and takes no day.
    if (touchpoint.notAfterMs !== undefined && placed.dueMs > touchpoint.notAfterMs) Object.assign(next, { status: 'skipped', statusReason: `send window closed at ${new Date(touchpoint.notAfterMs).toISOString()}` });
    else if (consentAt(ctx, placed.dueMs)) take(epochDay(localDate(ctx, placed.dueMs)));
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
    ...(touchpoint.campaignId !== undefined ? { campaignId: touchpoint.campaignId } : {}),
    kind: touchpoint.kind,
    phase: KIND_PHASE[touchpoint.kind],
    dueAt: isoOf(touchpoint.dueMs),
    channel: touchpoint.channel ?? ctx.channel,
    language: ctx.language,
    urgent: URGENT_KINDS.includes(touchpoint.kind),
    marketing: isMarketing(ctx, touchpoint.kind),
    status: touchpoint.status,
    contentHints: touchpoint.contentHints,
    ...(reason ? { reason } : {}),
  };
}

function contextOf(facts: TouchpointFacts, config: TouchpointConfig, latestMs = latestInstantMs(facts)): Context {
  const profile = facts.profile[facts.profile.length - 1];
  if (!profile) throw new Error(`customer ${facts.customerId} has no profile`);
  return {
    facts,
    config,
    timeZone: profile.timeZone,
    language: profile.language,
    channel: profile.preferredChannel,
    tags: profile.tags,
    latestMs,
  };
}
