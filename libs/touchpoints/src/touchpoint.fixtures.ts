/** Hand-built customers for the schedule specs: a customer is a zone, a registration and what happened since. */
import { touchpointId, type Touchpoint, type TouchpointBooking, type TouchpointFacts, type TouchpointKind } from './touchpoint';

export interface CustomerOptions {
  registeredAt?: string;
  birthDate?: string;
  tags?: string[];
  consent?: boolean;
}

export function customer(customerId: string, timeZone: string, options: CustomerOptions = {}): TouchpointFacts {
  const registeredAt = options.registeredAt ?? '2026-01-01T12:00:00.000Z';
  return {
    customerId,
    registeredAt,
    ...(options.birthDate ? { birthDate: options.birthDate } : {}),
    profile: [{ at: registeredAt, timeZone, language: 'en', preferredChannel: 'email', tags: options.tags ?? [] }],
    consent: [{ at: registeredAt, granted: options.consent ?? true }],
    bookings: [],
    complaints: [],
    riskAlerts: [],
    completions: [],
  };
}

/** A trip to Barcelona unless told otherwise. */
export function trip(bookingId: string, bookedAt: string, departureDate: string, returnDate: string, more: Partial<TouchpointBooking> = {}): TouchpointBooking {
  return { bookingId, bookedAt, destination: { country: 'ES', city: 'Barcelona' }, departureDate, returnDate, amendments: [], ...more };
}

export const withBookings = (facts: TouchpointFacts, ...bookings: TouchpointBooking[]): TouchpointFacts => ({ ...facts, bookings: [...facts.bookings, ...bookings] });

/** kind -> dueAt of the rows (one booking's rows: kinds are unique). */
export const dueByKind = (rows: Touchpoint[]): Partial<Record<TouchpointKind, string>> => Object.fromEntries(rows.map((row) => [row.kind, row.dueAt]));

export const only = (rows: Touchpoint[], kind: TouchpointKind, bookingId?: string): Touchpoint => {
  const found = rows.filter((row) => row.kind === kind && (bookingId === undefined || row.bookingId === bookingId));
  if (found.length !== 1) throw new Error(`expected one ${kind}${bookingId ? ` of ${bookingId}` : ''}, found ${found.length}`);
  return found[0];
};

/** mulberry32: deterministic pseudo-random numbers, so a failing customer can be replayed from its seed. */
export const random = (seed: number): (() => number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const DAY_MS = 86_400_000;

/**
 * A customer who travels all the time (an agency's account): `bookings` trips a few days apart over the years, so
 * the frequency cap always has a backlog; some amended, cancelled, complained about; touchpoints completed (post-trip
 * calls, marketing ones too); consent withdrawn and granted again, a move to another time zone, risk alerts. Every
 * kind of closed touchpoint the schedule freezes is there, many times over.
 */
export function busyCustomer(bookings: number, seed = 1): TouchpointFacts {
  const next = random(seed);
  const iso = (atMs: number): string => new Date(atMs).toISOString();
  const date = (atMs: number): string => iso(atMs).slice(0, 10);
  const start = Date.parse('2010-01-01T09:00:00.000Z');
  const facts = customer(`busy-${seed}`, 'Europe/Berlin', { registeredAt: iso(start), birthDate: '1980-02-29', tags: ['family'] });
  let departure = start + 30 * DAY_MS;
  for (let n = 0; n < bookings; n++) {
    departure += Math.floor(next() * 8) * DAY_MS;
    const bookingId = `b-${String(n).padStart(5, '0')}`;
    const bookedAt = departure - (5 + Math.floor(next() * 90)) * DAY_MS - 3_600_000;
    const back = departure + (2 + Math.floor(next() * 12)) * DAY_MS;
    const booking = trip(bookingId, iso(bookedAt), date(departure), date(back), { destination: { country: next() < 0.5 ? 'GR' : 'ES', city: 'Chania' } });
    if (next() < 0.1) booking.amendments.push({ at: iso(bookedAt + 2 * DAY_MS), returnDate: date(back + DAY_MS) });
    facts.bookings.push(booking);
    if (next() < 0.08) {
      booking.cancelledAt = iso(bookedAt + 3 * DAY_MS);
      continue;
    }
    booking.departedAt = iso(departure + 8 * 3_600_000);
    booking.returnedAt = iso(back + 15 * 3_600_000);
    const returned = back + 15 * 3_600_000;
    if (next() < 0.05) {
      const complaintId = `k-${n}`;
      facts.complaints.push({ complaintId, filedAt: iso(departure + DAY_MS), severity: 'high', acknowledgedAt: iso(departure + DAY_MS + 1_800_000), acknowledgedBy: 'agent-2', ...(next() < 0.5 && { resolvedAt: iso(departure + 2 * DAY_MS) }) });
    }
    for (const [kind, chance, after] of [['welcome-home-call', 0.5, 2], ['nps-survey', 0.3, 5], ['trip-memories', 0.2, 20]] as const) {
      if (next() < chance) facts.completions.push({ touchpointId: touchpointId(facts.customerId, kind, bookingId), at: iso(returned + after * DAY_MS), by: 'agent-1', outcome: 'done' });
    }
    if (n % 400 === 150) facts.consent.push({ at: iso(departure), granted: false }, { at: iso(departure + 60 * DAY_MS), granted: true });
    if (n % 700 === 350) facts.profile.push({ ...facts.profile[facts.profile.length - 1], at: iso(departure), timeZone: facts.profile.length % 2 ? 'America/New_York' : 'Europe/Berlin' });
    if (n % 250 === 100) {
      facts.riskAlerts.push({ alertId: `ra-${n}`, issuedAt: iso(departure - 10 * DAY_MS), country: 'GR', from: date(departure - 5 * DAY_MS), to: date(departure + 40 * DAY_MS), severity: 'high', message: 'Storms' });
    }
  }
  return facts;
}
