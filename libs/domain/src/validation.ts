import { InvalidInput } from './domain.errors';
import { BoundedMemo } from './bounded-memo';
import type { Money } from './customer.events';
import { LIMITS } from './limits';

/*
 * Pure input checks. Each takes the value as `unknown` because commands arrive from JSON, and throws
 * InvalidInput(field, rule) with `field` spelled as the API path (e.g. 'amount.value').
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Seconds and fractions are optional (ISO 8601 allows hh:mm); the offset is not, so an instant is never ambiguous.
const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
// Pragmatic: something@label.label with no whitespace and no empty labels; full RFC 5322 is not worth it.
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
const PHONE = /^\+?[0-9 \-()]+$/;
// Primary language subtag of 2-3 letters, then subtags; Intl.getCanonicalLocales does the real BCP-47 check.
const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const COUNTRY = /^[A-Z]{2}$/;
const CURRENCY = /^[A-Z]{3}$/;

export const RULES = {
  nonEmpty: 'must be a non-empty string',
  string: 'must be a string',
  noNul: 'must not contain the NUL character (U+0000) or a lone surrogate',
  boolean: 'must be a boolean',
  object: 'must be an object',
  date: 'must be a valid ISO 8601 date (YYYY-MM-DD)',
  instant: 'must be a valid ISO 8601 instant with offset or Z',
  dateRange: `must be from ${LIMITS.firstDate} to ${LIMITS.lastDate}`,
  instantRange: `must be from ${LIMITS.firstDate}T00:00:00Z to ${LIMITS.lastDate}T23:59:59.999Z (in UTC)`,
  timeZone: 'must be a valid IANA time zone',
  currency: 'must be an ISO 4217 currency code',
  minorUnits: 'must be a non-negative integer in minor units',
  email: 'must be a well-formed e-mail address',
  phone: 'must be a phone number of 7 to 15 digits',
  positiveInteger: 'must be a positive integer',
  language: 'must be a BCP 47 language tag such as en or de-AT',
  id: 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ . : -',
  country: 'must be an ISO 3166-1 alpha-2 country code',
  nps: 'must be an integer from 0 to 10',
  tags: 'must be an array of non-empty strings',
} as const;

function fail(field: string, rule: string): never {
  throw new InvalidInput(field, rule);
}

const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

const isRealCalendarDate = (year: number, month: number, day: number): boolean => {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const days = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= days[month - 1]!;
};

export const isIsoDate = (value: unknown): value is string => {
  if (typeof value !== 'string') return false;
  const m = ISO_DATE.exec(value);
  return m !== null && isRealCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
};

/** The instant in UTC milliseconds of a well-formed ISO 8601 instant, else undefined. */
const instantMs = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const m = ISO_INSTANT.exec(value);
  if (m === null || !isIsoDate(m[1])) return undefined;
  const [hh, mm, ss, offH, offM] = [m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
  // No leap second (60): JavaScript's Date cannot represent it and downstream code parses with Date.
  if (!(hh! <= 23 && mm! <= 59 && ss! <= 59 && offH! <= 14 && offM! <= 59)) return undefined;
  return Date.parse(value);
};

export const isIsoInstant = (value: unknown): value is string => {
  const ms = instantMs(value);
  if (ms === undefined) return false;
  // In UTC it must still be a year 0001-9999: PostgreSQL cannot read back the "+010000-..." or "0000-..." that
  // JavaScript writes for instants an offset pushed across those bounds.
  const year = new Date(ms).getUTCFullYear();
  return year >= 1 && year <= 9999;
};

let currencies: ReadonlySet<string> | undefined;
export const isCurrency = (value: unknown): value is string => {
  if (typeof value !== 'string' || !CURRENCY.test(value)) return false;
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(value);
};

/** The IANA name as the time-zone database spells it ('europe/athens' -> 'Europe/Athens'); call on a valid zone. */
// Building an Intl.DateTimeFormat costs tens of microseconds: a bulk import would spend most of its time here.
// Only valid zones are remembered; bounded, since a zone is found whatever its case (EUROPE/athens too).
const zones = new BoundedMemo<string | undefined>(1_000);
const resolveZone = (zone: string): string | undefined =>
  zones.get(zone, () => {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      return undefined;
    }
  });

export const canonicalTimeZone = (zone: string): string => resolveZone(zone) ?? zone;

// Offsets like '+01:00' are accepted by newer ICU builds but are not IANA names.
export const isTimeZone = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z]/.test(value) && resolveZone(value) !== undefined;

export const isLanguage = (value: unknown): value is string => {
  if (typeof value !== 'string' || !LANGUAGE.test(value)) return false;
  try {
    Intl.getCanonicalLocales(value);
    return true;
  } catch {
    return false;
  }
};

export const digitCount = (value: string): number => value.replace(/\D/g, '').length;

// PostgreSQL cannot store U+0000 or a lone UTF-16 surrogate in text or jsonb: refuse them here, naming the field,
// rather than fail at append.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (value: string): boolean => value.includes('\u0000') || LONE_SURROGATE.test(value);
/** Text PostgreSQL could not store; encrypted personal fields must be checked for it, the database no longer sees them. */
export const isUnstorableText = unstorable;

export function checkNonEmptyString(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') fail(field, RULES.nonEmpty);
  if (unstorable(value)) fail(field, RULES.noNul);
}

export function checkOptionalString(field: string, value: unknown): asserts value is string | undefined {
  if (value !== undefined && typeof value !== 'string') fail(field, RULES.string);
  if (value !== undefined && unstorable(value)) fail(field, RULES.noNul);
}

export function checkBoolean(field: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') fail(field, RULES.boolean);
}

export function checkObject(field: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, RULES.object);
}

const FIRST_INSTANT = Date.parse(`${LIMITS.firstDate}T00:00:00Z`);
const LAST_INSTANT = Date.parse(`${LIMITS.lastDate}T23:59:59.999Z`);

/** A date of a command: a calendar date in the accepted range (LIMITS). */
export function checkIsoDate(field: string, value: unknown): asserts value is string {
  if (!isIsoDate(value)) fail(field, RULES.date);
  if (value < LIMITS.firstDate || value > LIMITS.lastDate) fail(field, RULES.dateRange);
}

/** An instant of a command or a query: well-formed, and in UTC within the accepted range (LIMITS). */
export function checkIsoInstant(field: string, value: unknown): asserts value is string {
  const ms = instantMs(value);
  if (ms === undefined) fail(field, RULES.instant);
  if (ms < FIRST_INSTANT || ms > LAST_INSTANT) fail(field, RULES.instantRange);
}

export function checkTimeZone(field: string, value: unknown): asserts value is string {
  if (!isTimeZone(value)) fail(field, RULES.timeZone);
}

export function checkCurrency(field: string, value: unknown): asserts value is string {
  if (!isCurrency(value)) fail(field, RULES.currency);
}

export function checkMoney(field: string, value: unknown): asserts value is Money {
  checkObject(field, value);
  if (typeof value.value !== 'number' || !Number.isSafeInteger(value.value) || value.value < 0) {
    fail(`${field}.value`, RULES.minorUnits);
  }
  checkCurrency(`${field}.currency`, value.currency);
}

export function checkEmail(field: string, value: unknown): asserts value is string {
  // 254 is the longest address that fits in an SMTP path (RFC 5321 errata 1690).
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value) || unstorable(value)) fail(field, RULES.email);
}

export function checkPhone(field: string, value: unknown): asserts value is string {
  // 15 digits is the E.164 maximum; 7 is the shortest subscriber number worth dialling.
  if (typeof value !== 'string' || !PHONE.test(value)) fail(field, RULES.phone);
  const digits = digitCount(value);
  if (digits < 7 || digits > 15) fail(field, RULES.phone);
}

export function checkPositiveInteger(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail(field, RULES.positiveInteger);
}

export function checkNps(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10) fail(field, RULES.nps);
}

export function checkLanguage(field: string, value: unknown): asserts value is string {
  if (!isLanguage(value)) fail(field, RULES.language);
}

export const isId = (value: unknown): value is string => typeof value === 'string' && ID.test(value);

export function checkId(field: string, value: unknown): asserts value is string {
  if (!isId(value)) fail(field, RULES.id);
}

export function checkCountry(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !COUNTRY.test(value)) fail(field, RULES.country);
}

export function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(field, `must be one of: ${allowed.join(', ')}`);
  }
}

export function checkTags(field: string, value: unknown): asserts value is string[] {
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || t.trim() === '' || unstorable(t))) fail(field, RULES.tags);
}

/** Calendar date written in an instant, in the instant's own offset (the caller's local day). */
export const localDateOf = (instant: string): string => instant.slice(0, 10);
