import { addDays, addMonths, daysBetween, isLocalDate, isTimeZone, localParts, zonedTime } from './zoned-time';

const iso = (ms: number): string => new Date(ms).toISOString();

describe('zonedTime', () => {
  it('reads 10:00 local in each zone, winter and summer (offsets written out by hand)', () => {
    expect(iso(zonedTime('2026-01-15', '10:00', 'Europe/Berlin'))).toBe('2026-01-15T09:00:00.000Z'); // CET +1
    expect(iso(zonedTime('2026-07-15', '10:00', 'Europe/Berlin'))).toBe('2026-07-15T08:00:00.000Z'); // CEST +2
    expect(iso(zonedTime('2026-01-15', '10:00', 'Europe/Moscow'))).toBe('2026-01-15T07:00:00.000Z'); // MSK +3 all year
    expect(iso(zonedTime('2026-07-15', '10:00', 'Europe/Moscow'))).toBe('2026-07-15T07:00:00.000Z');
    expect(iso(zonedTime('2026-01-15', '10:00', 'Asia/Shanghai'))).toBe('2026-01-15T02:00:00.000Z'); // CST +8 all year
    expect(iso(zonedTime('2026-07-15', '10:00', 'Asia/Shanghai'))).toBe('2026-07-15T02:00:00.000Z');
    expect(iso(zonedTime('2026-01-15', '10:00', 'America/New_York'))).toBe('2026-01-15T15:00:00.000Z'); // EST -5
    expect(iso(zonedTime('2026-07-15', '10:00', 'America/New_York'))).toBe('2026-07-15T14:00:00.000Z'); // EDT -4
  });

  it('moves a local time in the spring-forward gap to the end of the gap', () => {
    // Berlin 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z.
    expect(iso(zonedTime('2026-03-29', '02:30', 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(zonedTime('2026-03-29', '02:00', 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(zonedTime('2026-03-29', '03:00', 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(zonedTime('2026-03-29', '01:59', 'Europe/Berlin'))).toBe('2026-03-29T00:59:00.000Z');
    // New York 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z.
    expect(iso(zonedTime('2026-03-08', '02:15', 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
  });

  it('takes the earlier instant of a local time that happens twice', () => {
    // Berlin 2026-10-25: 03:00 CEST goes back to 02:00 CET at 01:00Z; 02:30 is 00:30Z (CEST) and 01:30Z (CET).
    expect(iso(zonedTime('2026-10-25', '02:30', 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(zonedTime('2026-10-25', '03:00', 'Europe/Berlin'))).toBe('2026-10-25T02:00:00.000Z');
    // New York 2026-11-01: 01:30 is 05:30Z (EDT) and 06:30Z (EST).
    expect(iso(zonedTime('2026-11-01', '01:30', 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('is exact on the days around a change', () => {
    expect(iso(zonedTime('2026-03-28', '10:00', 'Europe/Berlin'))).toBe('2026-03-28T09:00:00.000Z');
    expect(iso(zonedTime('2026-03-29', '10:00', 'Europe/Berlin'))).toBe('2026-03-29T08:00:00.000Z');
    expect(iso(zonedTime('2026-03-07', '23:59', 'America/New_York'))).toBe('2026-03-08T04:59:00.000Z');
    expect(iso(zonedTime('2026-03-08', '00:00', 'America/New_York'))).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(zonedTime('2026-03-09', '00:00', 'America/New_York'))).toBe('2026-03-09T04:00:00.000Z');
  });

  it('refuses an unknown zone and a malformed date or time', () => {
    expect(() => zonedTime('2026-01-15', '10:00', 'Mars/Olympus')).toThrow('unknown time zone "Mars/Olympus"');
    expect(() => zonedTime('2026-02-30', '10:00', 'Europe/Berlin')).toThrow('not a calendar date');
    expect(() => zonedTime('2026-02-03', '24:00', 'Europe/Berlin')).toThrow('not a time');
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Asia/Atlantis')).toBe(false);
    expect(isLocalDate('2028-02-29')).toBe(true);
    expect(isLocalDate('2026-02-29')).toBe(false);
  });
});

describe('localParts', () => {
  it('gives the wall clock, across midnight and the date line', () => {
    expect(localParts(Date.parse('2026-03-08T04:59:00Z'), 'America/New_York')).toMatchObject({ date: '2026-03-07', time: '23:59' });
    expect(localParts(Date.parse('2026-03-08T07:00:00Z'), 'America/New_York')).toMatchObject({ date: '2026-03-08', time: '03:00' });
    expect(localParts(Date.parse('2026-12-31T16:30:00Z'), 'Asia/Shanghai')).toMatchObject({ date: '2027-01-01', time: '00:30', hour: 0 });
    expect(localParts(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Berlin').time).toBe('02:30');
    expect(localParts(Date.parse('2026-10-25T01:30:00Z'), 'Europe/Berlin').time).toBe('02:30');
  });
});

describe('calendar arithmetic', () => {
  it('adds days and months on local dates', () => {
    expect(addDays('2026-03-01', -14)).toBe('2026-02-15');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(daysBetween('2026-03-25', '2026-04-01')).toBe(7);
    expect(addMonths('2026-08-31', 18)).toBe('2028-02-29');
    expect(addMonths('2027-08-31', 18)).toBe('2029-02-28');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2026-11-15', 2)).toBe('2027-01-15');
  });
});
