import shapes from './customer-command.shapes.golden.json';
import { parseCustomerCommand, parseForgetCustomer, pathIdsOf, type UntrustedCommand } from './customer-command.parse';
import type { CustomerCommandType } from './customer.commands';
import { RULES } from './validation';

/*
 * The shape rules moved from class-validator DTOs (the HTTP edge, and the import through validateSync plus a fast
 * path of its own) into the domain parser. customer-command.shapes.golden.json holds every error list class-validator
 * gave, before the move, for each body below with each property (and nested property) replaced by each bad value,
 * removed, or joined by an unknown key: the parser must list exactly the same fields and rules, in the same order,
 * and accept exactly the bodies class-validator accepted (formats are checked after the shape, one at a time).
 * Issue 15 added limits (LIMITS: labels, tags, timeZone, language, amounts) in class-validator's words (MaxLength,
 * MaxLength each, Max): the file was then regenerated from the parser and the diff checked to add only those rules,
 * removing and reordering none. Extend it the same way: change the shape, regenerate, read the diff.
 */
const SAMPLES: [CustomerCommandType, Record<string, unknown>][] = [
  ['RegisterCustomer', { name: 'Ana', email: 'ana@example.com', phone: '+30 210 1234567', birthDate: '1990-01-01', timeZone: 'Europe/Athens', language: 'el', preferredChannel: 'email', marketingConsent: true, tags: ['family'], occurredAt: '2024-01-01T10:00:00Z' }],
  ['UpdateCustomerProfile', { name: 'Ana B', tags: [], marketingConsent: false }],
  ['BookTrip', { bookingId: 'b-1', destination: { country: 'GR', city: 'Chania' }, departureDate: '2024-07-01', returnDate: '2024-07-08', amount: { value: 1000, currency: 'EUR' }, travellers: 2, productType: 'package', channel: 'web' }],
  ['AmendBooking', { departureDate: '2024-07-02', amount: { value: 0, currency: 'EUR' } }],
  ['CancelBooking', { reason: 'illness', refund: { value: 10, currency: 'EUR' } }],
  ['RecordDeparture', { occurredAt: '2024-01-01T10:00:00.123+02:00' }],
  ['FileComplaint', { complaintId: 'c-1', bookingId: 'b-1', category: 'room', severity: 'high', channel: 'phone', description: 'Noisy' }],
  ['AcknowledgeComplaint', { note: 'on it' }],
  ['ResolveComplaint', { resolution: 'refund', compensation: { value: 5000, currency: 'EUR' } }],
  ['AnswerSurvey', { surveyId: 's-1', nps: 10, comment: 'great' }],
  ['LogInteraction', { interactionId: 'i-1', channel: 'phone', direction: 'outbound', topic: 'welcome', summary: 'fine' }],
  ['GrantVipStatus', { reason: 'key account', occurredAt: '2024-01-01T10:00:00Z' }],
  ['CompleteTouchpoint', { outcome: 'done', note: 'ok', occurredAt: '2024-01-01T10:00:00Z' }],
];

const BAD_VALUES: unknown[] = [undefined, null, '', ' ', 0, -1, 1.5, 1001, 11, 2 ** 53, 'x'.repeat(2001), [], ['a', 1], {}, { value: 1 }, true, 'yes', '2024-13-01T00:00:00Z', 'sometimes', [{}], Array(51).fill('t'), 'y'.repeat(201), '😀'.repeat(150), '2024-01-01', 5.5e300];

/** The sample, with an unknown key, empty, then each property (and nested property) replaced by each bad value or removed. */
function* variants(body: Record<string, unknown>): Generator<Record<string, unknown>> {
  yield body;
  yield { ...body, unexpected: 1 };
  yield {};
  for (const key of Object.keys(body)) {
    for (const bad of BAD_VALUES) yield { ...body, [key]: bad };
    const { [key]: _removed, ...without } = body;
    yield without;
    const nested = body[key];
    if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
      for (const inner of variants(nested as Record<string, unknown>)) yield { ...body, [key]: inner };
    }
  }
}

const golden = shapes as Record<string, string[][][]>;

const input = (type: CustomerCommandType, { occurredAt, ...body }: Record<string, unknown>): UntrustedCommand => ({
  type,
  customerId: 'c-1',
  occurredAt,
  body,
  ids: Object.fromEntries(pathIdsOf(type).map((id) => [id, 'x-1'])),
});

describe('parseCustomerCommand: the shape of a body', () => {
  it.each(SAMPLES)('lists for %s exactly the errors the HTTP edge listed, in its order', (type, body) => {
    const expected = golden[type];
    const got = [...variants(body)].map((variant) => {
      const parsed = parseCustomerCommand(input(type, variant));
      return parsed.ok ? [] : (parsed.error.errors ?? []).map((e) => [e.field, e.rule]);
    });
    expect(got).toHaveLength(expected.length);
    expect(got).toEqual(expected);
    expect(expected.filter((errors) => errors.length).length).toBeGreaterThan(5);
  });

  it.each(SAMPLES)('accepts the valid %s sample', (type, body) => {
    const parsed = parseCustomerCommand(input(type, { occurredAt: '2024-01-01T10:00:00Z', ...body }));
    expect(parsed).toMatchObject({ ok: true, command: { type, customerId: 'c-1' } });
  });

  it('heads the answer with the first broken rule, and joins them all in the message', () => {
    const parsed = parseCustomerCommand(input('BookTrip', { ...SAMPLES[2][1], travellers: 0, hotel: 'Minos' }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatchObject({ field: 'hotel', rule: 'property hotel should not exist', message: 'property hotel should not exist; travellers must not be less than 1' });
  });
});

describe('parseCustomerCommand: the order of the checks', () => {
  const trip = SAMPLES[2][1];
  const refusal = (command: UntrustedCommand) => {
    const parsed = parseCustomerCommand(command);
    return parsed.ok ? undefined : { field: parsed.error.field, rule: parsed.error.rule, listed: parsed.error.errors !== undefined };
  };

  it('refuses an unknown type', () => {
    expect(refusal({ ...input('BookTrip', trip), type: 'Teleport' })).toMatchObject({ field: 'type' });
  });

  it('checks the shape before the customer id, the customer id before path ids, path ids before occurredAt, occurredAt before formats', () => {
    const base = input('CancelBooking', { reason: 'x', refund: { value: 1, currency: 'EURO' } });
    expect(refusal({ ...base, customerId: 'bad id', body: { reason: 7 } })).toMatchObject({ field: 'reason', listed: true });
    expect(refusal({ ...base, customerId: 'bad id', ids: { bookingId: 'bad id' } })).toMatchObject({ field: 'customerId', rule: RULES.id, listed: false });
    expect(refusal({ ...base, ids: { bookingId: 'bad id' }, occurredAt: '2024-01-01' })).toMatchObject({ field: 'bookingId', rule: RULES.id });
    expect(refusal({ ...base, occurredAt: '2024-01-01' })).toMatchObject({ field: 'occurredAt', rule: RULES.instant });
    expect(refusal({ ...base, occurredAt: '2024-01-01T10:00:00Z' })).toMatchObject({ field: 'refund.currency', rule: RULES.currency });
  });

  it('refuses an id from the path given in the body as an unknown field', () => {
    expect(refusal(input('CancelBooking', { reason: 'x', bookingId: 'b-2', occurredAt: '2024-01-01T10:00:00Z' }))).toMatchObject({ field: 'bookingId', rule: 'property bookingId should not exist' });
  });

  it('refuses a body that is not an object', () => {
    expect(refusal({ ...input('BookTrip', trip), body: [trip] })).toMatchObject({ field: 'body', rule: RULES.object });
  });

  it('merges the path ids into the data of the typed command', () => {
    expect(parseCustomerCommand(input('RecordDeparture', { occurredAt: '2024-01-01T10:00:00Z' }))).toEqual({
      ok: true,
      command: { type: 'RecordDeparture', customerId: 'c-1', data: { bookingId: 'x-1' }, occurredAt: '2024-01-01T10:00:00Z' },
    });
  });
});

describe('parseForgetCustomer', () => {
  const forget = (body: unknown) => parseForgetCustomer({ customerId: 'c-1', occurredAt: '2024-01-01T10:00:00Z', body });

  it('gives a typed ForgetCustomer', () => {
    expect(forget({ reason: 'GDPR art. 17' })).toEqual({ ok: true, command: { type: 'ForgetCustomer', customerId: 'c-1', data: { reason: 'GDPR art. 17' }, occurredAt: '2024-01-01T10:00:00Z' } });
  });

  it.each([[{}], [{ reason: '' }], [{ reason: '   ' }], [{ reason: 7 }], [{ reason: 'x'.repeat(2001) }], [{ reason: 'x', occurredAt: '2024-01-01T10:00:00Z' }]])('refuses %p', (body) => {
    const parsed = forget(body);
    expect(parsed.ok).toBe(false);
  });
});

describe('parseCustomerCommand: only values every read model can hold', () => {
  const at = '2024-01-01T10:00:00Z';
  const trip = SAMPLES[2][1];
  const register = SAMPLES[0][1];
  const refusal = (type: CustomerCommandType, body: Record<string, unknown>, occurredAt = at) => {
    const parsed = parseCustomerCommand(input(type, { ...body, occurredAt }));
    return parsed.ok ? 'accepted' : { field: parsed.error.field, rule: parsed.error.rule };
  };

  it.each([
    ['a booking returning on 9999-12-31', 'BookTrip', { ...trip, returnDate: '9999-12-31' }, 'returnDate'],
    ['a trip in year 1', 'BookTrip', { ...trip, departureDate: '0001-01-01', returnDate: '0001-01-08' }, 'departureDate'],
    ['an amendment to 9999-12-31', 'AmendBooking', { returnDate: '9999-12-31' }, 'returnDate'],
    ['an amendment to 1899-12-31', 'AmendBooking', { departureDate: '1899-12-31' }, 'departureDate'],
    ['a birth date in 1899', 'RegisterCustomer', { ...register, birthDate: '1899-12-31' }, 'birthDate'],
  ] as const)('refuses %s, naming the field and the range', (_name, type, body, field) => {
    expect(refusal(type, body)).toEqual({ field, rule: RULES.dateRange });
  });

  it.each([
    ['a registration in late 9999', 'RegisterCustomer', register],
    ['a complaint in late 9999', 'FileComplaint', SAMPLES[6][1]],
    ['a return recorded in late 9999', 'RecordReturn', {}],
  ] as const)('refuses %s, naming occurredAt and the range', (_name, type, body) => {
    expect(refusal(type, body, '9999-12-31T23:59:59Z')).toEqual({ field: 'occurredAt', rule: RULES.instantRange });
  });

  it('accepts dates and instants at both ends of the range', () => {
    expect(refusal('BookTrip', { ...trip, departureDate: '1900-01-01', returnDate: '2200-12-31' }, '1900-01-01T00:00:00Z')).toBe('accepted');
    expect(refusal('RegisterCustomer', { ...register, birthDate: '1900-01-01' }, '2200-12-31T23:59:59.999Z')).toBe('accepted');
  });

  it('refuses 50 tags of 5,000 characters, and a 51st tag', () => {
    expect(refusal('RegisterCustomer', { ...register, tags: Array(50).fill('t'.repeat(5000)) })).toEqual({ field: 'tags', rule: 'each value in tags must be shorter than or equal to 100 characters' });
    expect(refusal('UpdateCustomerProfile', { tags: Array(51).fill('t') })).toEqual({ field: 'tags', rule: 'tags must contain no more than 50 elements' });
    expect(refusal('RegisterCustomer', { ...register, tags: Array(50).fill('t'.repeat(100)) })).toBe('accepted');
  });

  it.each([
    ['BookTrip', { ...trip, destination: { country: 'GR', city: 'c'.repeat(101) } }, 'destination.city', 'city must be shorter than or equal to 100 characters'],
    ['BookTrip', { ...trip, productType: 'p'.repeat(101) }, 'productType', 'productType must be shorter than or equal to 100 characters'],
    ['BookTrip', { ...trip, channel: 'w'.repeat(101) }, 'channel', 'channel must be shorter than or equal to 100 characters'],
    ['FileComplaint', { ...SAMPLES[6][1], category: 'r'.repeat(101) }, 'category', 'category must be shorter than or equal to 100 characters'],
    ['LogInteraction', { ...SAMPLES[10][1], topic: 't'.repeat(101) }, 'topic', 'topic must be shorter than or equal to 100 characters'],
    ['RegisterCustomer', { ...register, timeZone: 'Z'.repeat(65) }, 'timeZone', 'timeZone must be shorter than or equal to 64 characters'],
    ['RegisterCustomer', { ...register, language: 'en-' + 'a'.repeat(33) }, 'language', 'language must be shorter than or equal to 35 characters'],
  ] as const)('refuses a %s with a text over its limit: %p', (type, body, field, rule) => {
    expect(refusal(type, body)).toEqual({ field, rule });
  });

  it('bounds every amount so sums stay exact: 10^12 minor units pass, one more does not', () => {
    expect(refusal('BookTrip', { ...trip, amount: { value: 1e12, currency: 'EUR' } })).toBe('accepted');
    for (const [type, body, field] of [
      ['BookTrip', { ...trip, amount: { value: 2 ** 53 - 1, currency: 'EUR' } }, 'amount.value'],
      ['AmendBooking', { amount: { value: 1e12 + 1, currency: 'EUR' } }, 'amount.value'],
      ['CancelBooking', { reason: 'x', refund: { value: 1e12 + 1, currency: 'EUR' } }, 'refund.value'],
      ['ResolveComplaint', { resolution: 'x', compensation: { value: 1e12 + 1, currency: 'EUR' } }, 'compensation.value'],
    ] as const) {
      expect(refusal(type, body)).toEqual({ field, rule: 'value must not be greater than 1000000000000' });
    }
  });
});
