import { InvalidInput } from './domain.errors';
import * as v from './validation';

type Check = (field: string, value: unknown) => void;

const accepts = (check: Check, value: unknown): void => {
  expect(() => check('f', value)).not.toThrow();
};

const rejects = (check: Check, value: unknown, field = 'f'): InvalidInput => {
  let thrown: unknown;
  try {
    check(field, value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidInput);
  expect(thrown).toMatchObject({ field });
  return thrown as InvalidInput;
};

describe('ISO 8601 calendar date', () => {
  it.each(['2025-03-01', '2024-02-29', '2000-02-29', '1999-12-31'])('accepts %s', (d) => accepts(v.checkIsoDate, d));
  it.each(['2025-02-30', '2025-02-29', '1900-02-29', '2025-13-01', '2025-04-31', '2025-00-10', '2025-3-1', '20250301', '2025-03-01T00:00:00Z', '', 20250301])(
    'rejects %p',
    (d) => expect(rejects(v.checkIsoDate, d).rule).toBe('must be a valid ISO 8601 date (YYYY-MM-DD)'),
  );
});

describe('ISO 8601 instant', () => {
  it.each(['2025-03-01T10:00:00Z', '2025-03-01T10:00:00.123+02:00', '2025-03-01T23:59:59.999999-05:30', '2025-03-01T10:00Z'])(
    'accepts %s',
    (i) => accepts(v.checkIsoInstant, i),
  );
  it.each(['2025-03-01T10:00:00', '2025-03-01 10:00:00Z', '2025-02-30T10:00:00Z', '2025-03-01T24:00:00Z', '2025-03-01T10:60:00Z', '2025-03-01T10:00:00+2:00', '2025-03-01', 'now'])(
    'rejects %p',
    (i) => void rejects(v.checkIsoInstant, i),
  );
});

describe('IANA time zone', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata'])('accepts %s', (z) => accepts(v.checkTimeZone, z));
  it.each(['Mars/Olympus', 'Europe/Atlantis', '+01:00', '', 'Berlin', 42])('rejects %p', (z) =>
    expect(rejects(v.checkTimeZone, z, 'timeZone').rule).toBe('must be a valid IANA time zone'),
  );
});

describe('ISO 4217 currency and money', () => {
  it.each(['EUR', 'USD', 'JPY', 'CHF'])('accepts currency %s', (c) => accepts(v.checkCurrency, c));
  it.each(['EURO', 'eur', 'EU', 'ABC', ''])('rejects currency %p', (c) =>
    expect(rejects(v.checkCurrency, c).rule).toBe('must be an ISO 4217 currency code'),
  );

  it.each([0, 1, 199_999_99, Number.MAX_SAFE_INTEGER])('accepts %p minor units', (value) => accepts(v.checkMoney, { value, currency: 'EUR' }));

  it.each([-1, 10.5, Number.MAX_SAFE_INTEGER + 1, NaN, '100'])('rejects %p minor units at amount.value', (value) => {
    const error = rejects((_f, x) => v.checkMoney('amount', x), { value, currency: 'EUR' }, 'amount.value');
    expect(error.rule).toBe('must be a non-negative integer in minor units');
  });

  it('names the nested field for a bad currency', () => {
    let thrown: unknown;
    try {
      v.checkMoney('amount', { value: 100, currency: 'EURO' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ field: 'amount.currency', rule: 'must be an ISO 4217 currency code' });
  });

  it('rejects money that is not an object', () => {
    expect(() => v.checkMoney('amount', 100)).toThrow(expect.objectContaining({ field: 'amount' }));
  });
});

describe('e-mail', () => {
  it.each(['ada@example.com', 'first.last+tag@sub.example.co.uk'])('accepts %s', (e) => accepts(v.checkEmail, e));
  it.each(['ada', 'ada@', '@example.com', 'ada@example', 'ada @example.com', 'ada@example..com', 'ada@@example.com', `${'a'.repeat(250)}@x.de`])(
    'rejects %p',
    (e) => void rejects(v.checkEmail, e),
  );
});

describe('phone', () => {
  it.each(['+49 30 1234567', '(030) 123-4567', '1234567', '+123456789012345'])('accepts %s', (p) => accepts(v.checkPhone, p));
  it.each(['123456', '+1234567890123456', '+49 30 CALL-ME', '++49 30 1234567', '49/30/1234567', ''])('rejects %p', (p) =>
    void rejects(v.checkPhone, p),
  );
});

describe('strings, integers, language, ids, country', () => {
  it('requires a non-empty string', () => {
    accepts(v.checkNonEmptyString, 'x');
    for (const bad of ['', '   ', undefined, 5]) rejects(v.checkNonEmptyString, bad);
  });

  it('requires a positive integer (travellers >= 1)', () => {
    accepts(v.checkPositiveInteger, 1);
    for (const bad of [0, -1, 1.5, '2']) rejects(v.checkPositiveInteger, bad);
  });

  it('checks NPS from 0 to 10', () => {
    for (const ok of [0, 5, 10]) accepts(v.checkNps, ok);
    for (const bad of [11, 3.5, -1]) expect(rejects(v.checkNps, bad, 'nps').rule).toBe('must be an integer from 0 to 10');
  });

  it.each(['en', 'de-AT', 'zh-Hant-TW', 'pt-BR'])('accepts language %s', (l) => accepts(v.checkLanguage, l));
  it.each(['e', 'english', 'de_AT', 'en-', ''])('rejects language %p', (l) => void rejects(v.checkLanguage, l));

  it.each(['bk-1', 'A.b_c:d-9', 'x'.repeat(64)])('accepts id %s', (id) => accepts(v.checkId, id));
  it.each(['', 'x'.repeat(65), 'a b', 'a/b', 'ä'])('rejects id %p', (id) => void rejects(v.checkId, id));

  it('checks ISO 3166-1 alpha-2 country codes', () => {
    accepts(v.checkCountry, 'DE');
    for (const bad of ['de', 'DEU', 'D', '']) rejects(v.checkCountry, bad, 'destination.country');
  });

  it('checks one-of lists and names the allowed values', () => {
    accepts((f, x) => v.checkOneOf(f, x, ['email', 'sms']), 'sms');
    const error = rejects((f, x) => v.checkOneOf(f, x, ['email', 'sms']), 'fax');
    expect(error.rule).toBe('must be one of: email, sms');
  });

  it('checks tags as an array of non-empty strings', () => {
    accepts(v.checkTags, []);
    accepts(v.checkTags, ['vip']);
    for (const bad of ['vip', [''], [1]]) rejects(v.checkTags, bad);
  });
});

describe('NUL characters', () => {
  it('are refused in free text, optional text and tags, naming the field', () => {
    expect(rejects(v.checkNonEmptyString, 'bad \u0000 byte').rule).toBe(v.RULES.noNul);
    expect(rejects(v.checkOptionalString, '\u0000').rule).toBe(v.RULES.noNul);
    rejects(v.checkTags, ['ok', 'b\u0000d']);
    accepts(v.checkNonEmptyString, 'fine');
  });
});

describe('storable text and instants', () => {
  it('refuses lone surrogates and NUL in e-mail addresses', () => {
    expect(rejects(v.checkNonEmptyString, 'A\ud800').rule).toBe(v.RULES.noNul);
    rejects(v.checkTags, ['\udc00']);
    rejects(v.checkEmail, 'a\u0000b@example.com');
    accepts(v.checkNonEmptyString, 'emoji \ud83c\udf34 ok');
  });

  it('refuses instants outside 1900-01-01T00:00:00Z to 2200-12-31T23:59:59Z, naming the range', () => {
    for (const outside of ['9999-12-31T23:00:00-14:00', '9999-12-31T23:00:00Z', '0001-01-01T00:00:00Z', '1899-12-31T23:59:59.999Z', '1900-01-01T00:30:00+01:00', '2201-01-01T00:00:00Z', '2200-12-31T23:00:00-01:00']) {
      expect(rejects(v.checkIsoInstant, outside).rule).toBe(v.RULES.instantRange);
    }
    accepts(v.checkIsoInstant, '1900-01-01T00:00:00Z');
    accepts(v.checkIsoInstant, '2200-12-31T23:59:59.999Z');
    accepts(v.checkIsoInstant, '2201-01-01T13:59:59+14:00');
  });

  it('refuses dates outside 1900-01-01 to 2200-12-31, naming the range', () => {
    for (const outside of ['9999-12-31', '0001-01-01', '1899-12-31', '2201-01-01']) expect(rejects(v.checkIsoDate, outside).rule).toBe(v.RULES.dateRange);
    accepts(v.checkIsoDate, '1900-01-01');
    accepts(v.checkIsoDate, '2200-12-31');
  });

  it('refuses control characters in phone numbers', () => {
    rejects(v.checkPhone, '+30 210\n1234567');
  });
});
