/** Hand-built customers for the schedule specs: a customer is a zone, a registration and what happened since. */
import type { Touchpoint, TouchpointBooking, TouchpointFacts, TouchpointKind } from './touchpoint';

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
