import { types } from 'pg';
import { isoInstant } from './iso-instant';

/** The way events' instants were read before: pg's Date, printed again (what isoInstant must give, cheaper). */
const throughDate = (text: string): string => (types.getTypeParser(types.builtins.TIMESTAMPTZ) as (text: string) => Date)(text).toISOString();

describe('isoInstant: a timestamptz as PostgreSQL prints it, as the ISO text of the instant', () => {
  it.each([
    ['2019-01-05 09:00:00+00', '2019-01-05T09:00:00.000Z'],
    ['2019-01-05 09:00:00.5+00', '2019-01-05T09:00:00.500Z'],
    ['2019-01-05 09:00:00.12+00', '2019-01-05T09:00:00.120Z'],
    ['2019-01-05 09:00:00.123+00', '2019-01-05T09:00:00.123Z'],
    ['2019-01-05 09:00:00.1239+00', '2019-01-05T09:00:00.123Z'],
    ['2019-01-05 09:00:00.999999+00', '2019-01-05T09:00:00.999Z'],
    ['0099-12-31 23:59:59.000001+00', '0099-12-31T23:59:59.000Z'],
    // Not in a UTC session, or not a four-digit year: through a Date, as before.
    ['2019-01-05 11:00:00.25+02', '2019-01-05T09:00:00.250Z'],
    ['2019-01-05 14:30:00+05:30', '2019-01-05T09:00:00.000Z'],
    ['2019-01-04 23:00:00-10', '2019-01-05T09:00:00.000Z'],
    ['10000-01-01 00:00:00+00', '+010000-01-01T00:00:00.000Z'],
    ['0044-03-15 12:00:00+00 BC', '-000043-03-15T12:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(isoInstant(text)).toBe(iso);
    expect(throughDate(text)).toBe(iso);
  });

  it('gives what a Date gives for every millisecond and fraction length', () => {
    const differing: string[] = [];
    for (let ms = 0; ms < 1000; ms++) {
      for (const micro of ['', '0', '5', '9', '00', '49', '999']) {
        for (const digits of [String(ms).padStart(3, '0') + micro, String(ms).padStart(3, '0').replace(/0+$/, '')]) {
          const text = `2026-12-05 23:59:59${digits ? `.${digits}` : ''}+00`;
          if (isoInstant(text) !== throughDate(text)) differing.push(text);
        }
      }
    }
    expect(differing).toEqual([]);
  });
});
