import { canonicalJson } from '../../event-store/src/idempotency';
import { ms } from './schedule-context';
import type { TouchpointCampaign, TouchpointFacts } from './touchpoint';

/*
 * A customer's facts as the schedule reads them: put in one order (the same facts in any order of their arrays give
 * the same schedule), cut at an instant, and their latest instant.
 */

/** The latest instant among the facts, in ms (-Infinity for none): one pass, no list of them made. */
export function latestInstantMs(facts: TouchpointFacts): number {
  let latest = -Infinity;
  const see = (at: string | undefined): void => {
    if (at !== undefined) latest = Math.max(latest, ms(at));
  };
  see(facts.registeredAt);
  for (const change of facts.profile) see(change.at);
  for (const change of facts.consent) see(change.at);
  for (const booking of facts.bookings) {
    see(booking.bookedAt);
    for (const amendment of booking.amendments) see(amendment.at);
    see(booking.cancelledAt);
    see(booking.departedAt);
    see(booking.returnedAt);
  }
  for (const complaint of facts.complaints) {
    see(complaint.filedAt);
    see(complaint.acknowledgedAt);
    see(complaint.resolvedAt);
  }
  for (const alert of facts.riskAlerts) see(alert.issuedAt);
  for (const completion of facts.completions) see(completion.at);
  for (const assignment of facts.campaigns ?? []) see(assignment.assignedAt);
  return latest;
}

/**
 * The facts as known at an instant: every change at or before it. Arrays are already in their normalized order, so
 * the first profile stays first.
 */
export function knownAt(facts: TouchpointFacts, atMs: number): TouchpointFacts {
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
    ...(facts.campaigns && { campaigns: facts.campaigns.filter((assignment) => known(assignment.assignedAt)) }),
  };
}

/**
 * By instant; equal instants by their content, so neither the order the arrays came in nor the order of the keys
 * (a jsonb column gives them back in its own) ever matters: the projection diffs two schedules of one customer.
 */
export const byInstant = <T extends { at: string }>(items: T[]): T[] =>
  [...items].sort((a, b) => {
    if (ms(a.at) !== ms(b.at)) return ms(a.at) - ms(b.at);
    const [x, y] = [canonicalJson(a), canonicalJson(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
const byId = <T>(items: T[], id: (item: T) => string): T[] => [...items].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));

/** Consent changes by instant; at the same instant a withdrawal wins (it sorts last). */
export const byConsent = (changes: TouchpointFacts['consent']): TouchpointFacts['consent'] => [...changes].sort((a, b) => ms(a.at) - ms(b.at) || Number(b.granted) - Number(a.granted));
/** Campaign assignments by instant, then campaign. */
export const byAssignment = (campaigns: TouchpointCampaign[]): TouchpointCampaign[] =>
  [...campaigns].sort((a, b) => ms(a.assignedAt) - ms(b.assignedAt) || (a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0));

/**
 * One order for every array. Profile changes at the same instant: ordered by content (an arbitrary but fixed choice;
 * the log never holds two for one instant from one command).
 */
export function normalize(facts: TouchpointFacts): TouchpointFacts {
  return {
    ...facts,
    profile: byInstant(facts.profile),
    consent: byConsent(facts.consent),
    bookings: byId(facts.bookings, (booking) => booking.bookingId).map((booking) => ({ ...booking, amendments: byInstant(booking.amendments) })),
    complaints: byId(facts.complaints, (complaint) => complaint.complaintId),
    riskAlerts: byId(facts.riskAlerts, (alert) => alert.alertId),
    completions: byInstant(facts.completions),
    ...(facts.campaigns && { campaigns: byAssignment(facts.campaigns) }),
  };
}
