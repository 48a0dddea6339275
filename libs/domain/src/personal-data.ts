import type { CustomerEventType } from './customer.events';

/**
 * The personal data inside customer events (issue 7): what is encrypted with the customer's data key in the log,
 * masked for analysts, recorded in the read-access log when returned, and erased when the customer is forgotten.
 * Keyed by stored event type: the field names are the same in every schema version of a type.
 */
export const PERSONAL_EVENT_FIELDS: Readonly<Partial<Record<CustomerEventType, readonly string[]>>> = {
  CustomerRegistered: ['name', 'email', 'phone', 'birthDate'],
  CustomerProfileUpdated: ['name', 'email', 'phone', 'birthDate'],
  BookingCancelled: ['reason'],
  ComplaintFiled: ['description'],
  ComplaintAcknowledged: ['note'],
  ComplaintResolved: ['resolution'],
  SurveyAnswered: ['comment'],
  InteractionLogged: ['summary'],
  TouchpointCompleted: ['note'],
  VipStatusGranted: ['reason'],
  VipStatusRevoked: ['reason'],
};

/** The profile fields that identify a person, as read models and API responses name them. */
export const PERSONAL_PROFILE_FIELDS: readonly string[] = ['name', 'email', 'phone', 'birthDate'];

/** What a forgotten customer's free text and name read as, everywhere. */
export const ERASED = '[erased]';

/**
 * Fields that have no sensible placeholder (an address, a number, a date): once the key is gone they are absent,
 * as if never given. Every other personal field reads as ERASED.
 */
export const ERASED_BY_OMISSION: readonly string[] = ['email', 'phone', 'birthDate'];

/** The personal field names of a stored event type (none for types without personal data). */
export const personalFieldsOf = (type: string): readonly string[] => PERSONAL_EVENT_FIELDS[type as CustomerEventType] ?? [];

/** How the personal fields `names` read once erased: ERASED each, except those erased by omission (absent). */
export const erasedValues = (names: readonly string[]): Record<string, string> =>
  Object.fromEntries(names.filter((name) => !ERASED_BY_OMISSION.includes(name)).map((name) => [name, ERASED]));

/** A copy of `value` whose personal fields `names` that it holds are erased. */
export function erasePersonal<T extends object>(value: T, names: readonly string[]): T {
  const present = names.filter((name) => (value as Record<string, unknown>)[name] !== undefined);
  if (!present.length) return value;
  const copy = { ...value } as Record<string, unknown>;
  for (const name of present) delete copy[name];
  return { ...copy, ...erasedValues(present) } as T;
}
