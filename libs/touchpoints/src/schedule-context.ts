import { insideQuietHours, sendTimeOf, type TouchpointConfig } from './touchpoint-config';
import { touchpointId, URGENT_KINDS, type CompletionOutcome, type TouchpointBooking, type TouchpointFacts, type TouchpointKind, type TouchpointStatus } from './touchpoint';
import { addDays, localParts, zonedTime } from './zoned-time';
import { BoundedMemo } from '../../domain/src';
import { createHash } from 'node:crypto';

/**
 * A touchpoint while it is being scheduled, instants in ms. `notes` say why its time moved or is late (quiet hours,
 * frequency cap, a late risk notice) and stay whatever the status; `statusReason` says why it is skipped or cancelled.
 */
export interface Draft {
  touchpointId: string;
  kind: TouchpointKind;
  bookingId?: string;
  complaintId?: string;
  alertId?: string;
  campaignId?: string;
  /** The channel when the touchpoint names its own (a campaign's); otherwise the customer's preferred one. */
  channel?: string;
  /** The latest instant it may be due (a campaign's send window): moved past it by the frequency cap, it is skipped. */
  notAfterMs?: number;
  dueMs: number;
  notes: string[];
  status: TouchpointStatus;
  statusReason?: string;
  contentHints: string[];
  /** Closed by a domain event rather than TouchpointCompleted (complaint acknowledged / resolved). */
  closedBy?: { atMs: number; by: string; outcome: CompletionOutcome };
  /** Set on a touchpoint cancelled with its booking: the cancellation instant. */
  cancelledAtMs?: number;
}

/** Everything the rules read: the facts as known at one instant, the profile then in force, the config. */
export interface Context {
  facts: TouchpointFacts;
  config: TouchpointConfig;
  timeZone: string;
  language: string;
  channel: string;
  tags: string[];
  /** The latest instant among the facts (the birthday horizon counts from it). */
  latestMs: number;
}

const parsed = new BoundedMemo<number>(10_000);

/** An ISO instant in ms (memoized: a schedule reads the same few instants many times). */
export const ms = (iso: string): number =>
  parsed.get(iso, () => {
    const value = Date.parse(iso);
    if (Number.isNaN(value)) throw new RangeError(`not an ISO 8601 instant: ${JSON.stringify(iso)}`);
    return value;
  });

export const isMarketing = (ctx: Context, kind: TouchpointKind): boolean => ctx.config.marketingKinds.includes(kind);

const printed = new BoundedMemo<string, number>(10_000);

/**
 * An instant in ms as ISO text (memoized: the rows of many customers fall due at the same few local hours; printing
 * a Date for each row was 14 % of a bulk build's schedule threads).
 */
export const isoOf = (atMs: number): string => printed.get(atMs, () => new Date(atMs).toISOString());

/** The local date of an instant in the customer's zone. */
export const localDate = (ctx: Context, atMs: number): string => localParts(atMs, ctx.timeZone).date;

/**
 * The instant of a day-based touchpoint: its send time on `date` in the customer's zone, moved to the end of the
 * quiet hours when inside them (the next day when the window crosses midnight and the time is before midnight).
 */
export function onLocalDay(ctx: Context, kind: TouchpointKind, date: string): { dueMs: number; notes: string[] } {
  const time = sendTimeOf(ctx.config, kind);
  const quiet = ctx.config.quietHours;
  if (URGENT_KINDS.includes(kind) || !insideQuietHours(time, quiet)) return { dueMs: zonedTime(date, time, ctx.timeZone), notes: [] };
  const day = quiet.start > quiet.end && time >= quiet.start ? addDays(date, 1) : date;
  return { dueMs: zonedTime(day, quiet.end, ctx.timeZone), notes: [`quiet hours ${quiet.start}-${quiet.end}: moved from ${time} to ${quiet.end} local`] };
}

/** Marketing consent in force at an instant: the last change at or before it (none: no consent). */
export function consentAt(ctx: Context, atMs: number): boolean {
  let granted = false;
  for (const change of ctx.facts.consent) if (ms(change.at) <= atMs) granted = change.granted;
  return granted;
}

const tagHints = new WeakMap<TouchpointConfig['interestHints'], BoundedMemo<string[]>>();

/**
 * The hints of the interest tags a customer has (the config's tags, matched without case), memoized per config and
 * set of tags: a schedule asks for them for most of its drafts, and matching them each time was 5 % of a bulk build's
 * schedule threads.
 */
function hintsOfTags(interestHints: TouchpointConfig['interestHints'], tags: string[]): string[] {
  let memo = tagHints.get(interestHints);
  if (!memo) tagHints.set(interestHints, (memo = new BoundedMemo<string[]>(1_000)));
  return memo.get(JSON.stringify(tags), () => {
    const own = new Set(tags.map((tag) => tag.toLowerCase()));
    return Object.entries(interestHints).flatMap(([tag, hints]) => (own.has(tag.toLowerCase()) ? hints : []));
  });
}

/** Rule hints, then the hints of the customer's interest tags in the config's order, without repeats. */
export function hintsFor(ctx: Context, kind: TouchpointKind, extra: string[] = []): string[] {
  const rule = ctx.config.rules[kind];
  const fromTags = rule.interestHints && ctx.tags.length ? hintsOfTags(ctx.config.interestHints, ctx.tags) : [];
  if (!fromTags.length && !extra.length) return [...rule.contentHints];
  return [...new Set([...rule.contentHints, ...extra, ...fromTags])];
}

export const draft = (ctx: Context, kind: TouchpointKind, ref: string, fields: Omit<Draft, 'touchpointId' | 'kind' | 'status'> & { status?: TouchpointStatus }): Draft => ({
  touchpointId: touchpointId(ctx.facts.customerId, kind, ref),
  kind,
  status: 'open',
  ...fields,
});

/** Skipped without marketing consent at its due time; service kinds always go. */
export function withConsent(ctx: Context, touchpoint: Draft): Draft {
  if (touchpoint.status !== 'open' || !isMarketing(ctx, touchpoint.kind) || consentAt(ctx, touchpoint.dueMs)) return touchpoint;
  return { ...touchpoint, status: 'skipped', statusReason: 'no marketing consent' };
}

/**
 * Whether the keyed hash puts a touchpoint of the kind in its control group: the first 32 bits of
 * sha256(`${holdoutKey}|${kind}|${customerId}|${touchpointId}`) as a fraction of 2^32, below the kind's share. From
 * the config and the ids alone, so a rebuild holds out the same touchpoints.
 */
export function isHeldOut(config: TouchpointConfig, kind: TouchpointKind, customerId: string, id: string): boolean {
  const share = config.rules[kind].holdoutShare ?? 0;
  if (!(share > 0)) return false;
  const hash = createHash('sha256').update(`${config.holdoutKey}|${kind}|${customerId}|${id}`).digest();
  return hash.readUInt32BE(0) / 2 ** 32 < share;
}

/**
 * Open touchpoints of a kind with a holdout share, picked by the hash, become 'held-out'. After consent (a touchpoint
 * that could not have been made is in neither group) and before the frequency cap (a held-out one takes no slot).
 */
export const withHoldouts = (ctx: Context, drafts: Draft[]): Draft[] =>
  drafts.map((touchpoint) =>
    touchpoint.status === 'open' && isHeldOut(ctx.config, touchpoint.kind, ctx.facts.customerId, touchpoint.touchpointId)
      ? { ...touchpoint, status: 'held-out', statusReason: `control group (holdout ${ctx.config.rules[touchpoint.kind].holdoutShare})` }
      : touchpoint,
  );

/** A booking's dates as amended up to now (the facts are already cut at the instant of the view). */
export interface BookingDates {
  departureDate: string;
  returnDate: string;
  /** When the departure date, and when the return date, last took their value (booking or amendment). */
  departureSetMs: number;
  returnSetMs: number;
}

export function datesOf(booking: TouchpointBooking, untilMs = Infinity): BookingDates {
  const dates = { departureDate: booking.departureDate, returnDate: booking.returnDate, departureSetMs: ms(booking.bookedAt), returnSetMs: ms(booking.bookedAt) };
  for (const amendment of booking.amendments) {
    const atMs = ms(amendment.at);
    if (atMs > untilMs) break;
    if (amendment.departureDate !== undefined && amendment.departureDate !== dates.departureDate) {
      dates.departureDate = amendment.departureDate;
      dates.departureSetMs = atMs;
    }
    if (amendment.returnDate !== undefined && amendment.returnDate !== dates.returnDate) {
      dates.returnDate = amendment.returnDate;
      dates.returnSetMs = atMs;
    }
  }
  return dates;
}
