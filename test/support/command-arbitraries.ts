/*
 * fast-check generators of customer histories as a client would send them: every value within the accepted range
 * (LIMITS), with the edges weighted in (first and last date and instant, maximum lengths, list counts and amounts,
 * odd time zones and offsets). Test-only.
 */
import fc from 'fast-check';
import { COMPLAINT_SEVERITIES, CONTACT_CHANNELS, DIRECTIONS, LIMITS, type CustomerCommandType } from '../../libs/domain/src';

const DAY = 86_400_000;
const FIRST_MS = Date.parse(`${LIMITS.firstDate}T00:00:00Z`);
const LAST_MS = Date.parse(`${LIMITS.lastDate}T23:59:59.999Z`);

/** An edge value often, else anything in between. */
const edged = <T>(edges: T[], any: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: fc.constantFrom(...edges), weight: 1 }, { arbitrary: any, weight: 2 });

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const date = edged([LIMITS.firstDate, LIMITS.lastDate], fc.integer({ min: FIRST_MS / DAY, max: Math.floor(LAST_MS / DAY) }).map((day) => dayOf(day * DAY)));

// Offsets from -12:00 to +14:00, the odd ones included; an instant is written in one, its UTC value stays in range.
const OFFSETS = [0, 14 * 60, -12 * 60, 5 * 60 + 45, -(9 * 60 + 30), 12 * 60 + 45, 1];
const offsetText = (minutes: number): string =>
  minutes === 0 ? 'Z' : `${minutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}:${String(Math.abs(minutes) % 60).padStart(2, '0')}`;
export const instant = fc
  .tuple(edged([FIRST_MS, LAST_MS], fc.integer({ min: FIRST_MS, max: LAST_MS })), fc.constantFrom(...OFFSETS))
  .map(([utc, offset]) => `${new Date(utc + offset * 60_000).toISOString().slice(0, 23)}${offsetText(offset)}`);

const ODD_ZONES = ['Pacific/Kiritimati', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe', 'Antarctica/Troll', 'Africa/Casablanca', 'Pacific/Apia', 'Etc/GMT+12', 'Europe/Dublin', 'America/Sao_Paulo'];
const timeZone = fc.oneof(fc.constantFrom(...ODD_ZONES), fc.constantFrom(...Intl.supportedValuesOf('timeZone')));

/** Storable text (no NUL; lone surrogates cannot occur in code points) that is not blank, up to `max` characters. */
const text = (max: number): fc.Arbitrary<string> =>
  edged(
    ['x'.repeat(max), 'é'.repeat(max), '😀'.repeat(max), `"'\\;--${'ż'.repeat(max - 7)}`],
    fc.string({ unit: 'binary', minLength: 1, maxLength: max }).filter((s) => !s.includes('\u0000') && s.trim() !== ''),
  );

const id = (prefix: string, i: number, long: boolean): string => (long ? `${prefix}${i}-`.padEnd(64, 'x') : `${prefix}${i}`);

export const amount = (currencies: string[]) =>
  fc.record({ value: edged([0, 1, LIMITS.maxMinorUnits], fc.integer({ min: 0, max: LIMITS.maxMinorUnits })), currency: fc.constantFrom(...currencies) });

const tags = edged([Array.from({ length: LIMITS.tags }, (_, i) => `${i}`.padEnd(LIMITS.label, 't'))], fc.array(text(LIMITS.label), { maxLength: LIMITS.tags }));

const profile = {
  name: text(LIMITS.name),
  timeZone,
  language: fc.constantFrom('en', 'de-AT', 'el', 'zh-Hant-TW', 'pt-BR'),
  preferredChannel: fc.constantFrom(...CONTACT_CHANNELS),
  marketingConsent: fc.boolean(),
  tags,
};

/** One command of a customer, before it is addressed: `ref` picks the booking or complaint it is about among those made so far. */
export interface Step {
  type: CustomerCommandType;
  occurredAt: string;
  body: Record<string, unknown>;
  ref: number;
}

const step = (type: CustomerCommandType, body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Step> =>
  fc.record({ type: fc.constant(type), occurredAt: instant, body, ref: fc.nat() });

const dates = fc.tuple(date, date).map(([a, b]) => (a <= b ? [a, b] : [b, a]));

export const steps = (currencies: string[]): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: step('BookTrip', fc.record({ dates, destination: fc.record({ country: fc.constantFrom('GR', 'NZ', 'KI', 'US'), city: text(LIMITS.label) }), amount: amount(currencies), travellers: edged([1, 1000], fc.integer({ min: 1, max: 1000 })), productType: text(LIMITS.label), channel: text(LIMITS.label) })) },
      { weight: 1, arbitrary: step('AmendBooking', fc.record({ dates, amount: amount(currencies) }, { requiredKeys: [] })) },
      { weight: 1, arbitrary: step('CancelBooking', fc.record({ reason: text(LIMITS.text) })) },
      { weight: 2, arbitrary: step('RecordDeparture', fc.constant({})) },
      { weight: 2, arbitrary: step('RecordReturn', fc.constant({})) },
      { weight: 1, arbitrary: step('FileComplaint', fc.record({ category: text(LIMITS.label), severity: fc.constantFrom(...COMPLAINT_SEVERITIES), channel: text(LIMITS.label), description: text(LIMITS.text) })) },
      { weight: 1, arbitrary: step('ResolveComplaint', fc.record({ resolution: text(LIMITS.text) })) },
      { weight: 1, arbitrary: step('AnswerSurvey', fc.record({ nps: fc.integer({ min: 0, max: 10 }), comment: text(LIMITS.text) })) },
      { weight: 1, arbitrary: step('LogInteraction', fc.record({ channel: text(LIMITS.label), direction: fc.constantFrom(...DIRECTIONS), topic: text(LIMITS.label), summary: text(LIMITS.text) })) },
      { weight: 1, arbitrary: step('UpdateCustomerProfile', fc.record({ ...profile, birthDate: date }, { requiredKeys: ['name'] })) },
      { weight: 1, arbitrary: step('GrantVipStatus', fc.record({ reason: text(LIMITS.text) })) },
    ),
    { maxLength: 12 },
  );

export const customer = (currencies: string[]) =>
  fc.record({ long: fc.boolean(), registration: step('RegisterCustomer', fc.record({ ...profile, birthDate: date }, { requiredKeys: ['name', 'timeZone', 'language', 'preferredChannel', 'marketingConsent'] })), steps: steps(currencies) });

/** The request of a step as the API takes it: the body, with the ids of the path, for the customer's `i`-th step. */
export function request(customer: { long: boolean }, step: Step, i: number, made: { bookings: string[]; complaints: string[] }): { body: Record<string, unknown>; ids: Record<string, string> } {
  const pick = (list: string[]): string | undefined => list[step.ref % Math.max(1, list.length)];
  const booking = pick(made.bookings) ?? 'none';
  const { dates: [departureDate, returnDate] = [], ...rest } = step.body as { dates?: string[]; [field: string]: unknown };
  switch (step.type) {
    case 'BookTrip': {
      const bookingId = id('b', i, customer.long);
      made.bookings.push(bookingId);
      return { body: { ...rest, bookingId, departureDate, returnDate }, ids: {} };
    }
    case 'AmendBooking':
      return { body: { ...rest, ...(departureDate !== undefined && { departureDate, returnDate }), ...(Object.keys(step.body).length === 0 && { returnDate: LIMITS.lastDate }) }, ids: { bookingId: booking } };
    case 'CancelBooking':
    case 'RecordDeparture':
    case 'RecordReturn':
      return { body: rest, ids: { bookingId: booking } };
    case 'FileComplaint': {
      const complaintId = id('cp', i, customer.long);
      made.complaints.push(complaintId);
      return { body: { ...rest, complaintId, ...(made.bookings.length > 0 && step.ref % 2 === 0 && { bookingId: booking }) }, ids: {} };
    }
    case 'ResolveComplaint':
      return { body: rest, ids: { complaintId: pick(made.complaints) ?? 'none' } };
    case 'AnswerSurvey':
      return { body: { ...rest, surveyId: id('s', i, customer.long), ...(made.bookings.length > 0 && { bookingId: booking }) }, ids: {} };
    case 'LogInteraction':
      return { body: { ...rest, interactionId: id('i', i, customer.long) }, ids: {} };
    default: {
      // A birth date after the day of the registration (in its offset) is refused: leave it out then.
      const { birthDate, ...others } = rest;
      return { body: birthDate !== undefined && (birthDate as string) > step.occurredAt.slice(0, 10) ? others : rest, ids: {} };
    }
  }
}
