/*
 * Complaint deadlines, consent, the frequency cap, lifecycle moments and determinism. Expected instants by hand:
 * Berlin CET +1 / CEST +2 (2026-03-29 to 2026-10-25, 2027-03-28 to 2027-10-31), Moscow +3, Shanghai +8.
 */
import { scheduleTouchpoints } from './schedule-touchpoints';
import { touchpointId, type Touchpoint, type TouchpointFacts } from './touchpoint';
import { DEFAULT_TOUCHPOINT_CONFIG as DEFAULTS, type TouchpointConfig } from './touchpoint-config';
import { customer, only, trip, withBookings } from './touchpoint.fixtures';

const schedule = (facts: TouchpointFacts, config: TouchpointConfig = DEFAULTS) => scheduleTouchpoints(facts, config);
const summary = (rows: Touchpoint[]) => rows.map((row) => [row.kind, row.dueAt, row.status, row.reason]);

describe('complaints', () => {
  it('acknowledgement 1 h and resolution 24 h after filing, exact, closed by the complaint events', () => {
    const facts: TouchpointFacts = {
      ...customer('c-1', 'Asia/Shanghai'),
      complaints: [
        { complaintId: 'k-2', filedAt: '2026-05-03T01:00:00.000Z', severity: 'low', resolvedAt: '2026-05-03T05:00:00.000Z' },
        { complaintId: 'k-1', filedAt: '2026-05-01T15:20:30.250Z', severity: 'high', acknowledgedAt: '2026-05-01T15:50:00.000Z', acknowledgedBy: 'agent-7' },
      ],
    };
    const rows = schedule(facts);
    expect(rows.map((row) => [row.complaintId, row.kind, row.dueAt, row.status, row.completedAt, row.completedBy])).toEqual([
      ['k-1', 'complaint-acknowledgement', '2026-05-01T16:20:30.250Z', 'done', '2026-05-01T15:50:00.000Z', 'agent-7'],
      ['k-1', 'complaint-resolution', '2026-05-02T15:20:30.250Z', 'open', undefined, undefined],
      // Resolved without an acknowledgement: the resolution closes both.
      ['k-2', 'complaint-acknowledgement', '2026-05-03T02:00:00.000Z', 'done', '2026-05-03T05:00:00.000Z', 'system'],
      ['k-2', 'complaint-resolution', '2026-05-04T01:00:00.000Z', 'done', '2026-05-03T05:00:00.000Z', 'system'],
    ]);
    expect(rows[1]).toMatchObject({ urgent: true, phase: 'complaint', marketing: false, contentHints: ['resolve the complaint', 'severity: high'] });
  });
});

describe('marketing consent', () => {
  const booked = trip('b-1', '2026-01-10T12:00:00.000Z', '2026-03-25', '2026-04-04');
  const withConsent = (...changes: [string, boolean][]) => ({
    ...withBookings(customer('c-1', 'Europe/Berlin'), booked),
    consent: [{ at: '2026-01-01T12:00:00.000Z', granted: true }, ...changes.map(([at, granted]) => ({ at, granted }))],
  });
  const postTrip = (rows: Touchpoint[]) => summary(rows.filter((row) => row.phase === 'post-trip'));

  it('withdrawn: marketing is skipped while it is withdrawn, regranted before its time it goes again; service always goes', () => {
    expect(postTrip(schedule(withConsent(['2026-04-10T12:00:00.000Z', false], ['2026-05-01T12:00:00.000Z', true])))).toEqual([
      ['welcome-home-call', '2026-04-05T08:00:00.000Z', 'open', undefined],
      ['nps-survey', '2026-04-07T08:00:00.000Z', 'open', undefined],
      ['trip-memories', '2026-04-18T08:00:00.000Z', 'skipped', 'no marketing consent'],
      ['next-trip-idea', '2026-05-04T08:00:00.000Z', 'open', undefined],
    ]);
  });

  it('counts the consent in force at the due instant: regranted a second before it goes, an hour after it does not', () => {
    const memories = (regrantedAt: string) => only(schedule(withConsent(['2026-04-10T12:00:00.000Z', false], [regrantedAt, true])), 'trip-memories').status;
    expect(memories('2026-04-18T07:59:59.000Z')).toBe('open');
    expect(memories('2026-04-18T08:00:00.000Z')).toBe('open');
    expect(memories('2026-04-18T09:00:00.000Z')).toBe('skipped');
  });

  it('lets a withdrawal win over a grant at the same instant, whatever their order', () => {
    const both = withConsent(['2026-04-10T12:00:00.000Z', true], ['2026-04-10T12:00:00.000Z', false]);
    const reversed = { ...both, consent: [...both.consent].reverse() };
    expect(only(schedule(both), 'next-trip-idea').status).toBe('skipped');
    expect(only(schedule(reversed), 'next-trip-idea').status).toBe('skipped');
  });

  it('without consent from registration on, every marketing kind is skipped', () => {
    const rows = schedule(withBookings(customer('c-2', 'Europe/Moscow', { consent: false, birthDate: '1990-05-05' }), booked));
    expect(rows.filter((row) => row.marketing).map((row) => [row.kind, row.status])).toEqual([
      ['trip-memories', 'skipped'],
      ['next-trip-idea', 'skipped'],
      ['birthday-greeting', 'skipped'],
    ]);
  });
});

describe('frequency cap (Shanghai, 10:00 = 02:00Z)', () => {
  const trips = (...returns: string[]) => returns.map((returnDate, i) => trip(`b-${i + 1}`, '2026-01-05T00:00:00.000Z', `2026-06-0${i + 1}`, returnDate));

  it('one per local day: the later one moves to the next day at its send time', () => {
    const config = { ...DEFAULTS, rules: { ...DEFAULTS.rules, 'trip-memories': { ...DEFAULTS.rules['trip-memories'], sendTime: '11:00' } } };
    const rows = schedule(withBookings(customer('c-1', 'Asia/Shanghai', { birthDate: '1980-06-19' }), ...trips('2026-06-05')), config);
    expect(summary(rows.filter((row) => row.marketing))).toEqual([
      ['birthday-greeting', '2026-06-19T02:00:00.000Z', 'open', undefined],
      ['trip-memories', '2026-06-20T03:00:00.000Z', 'open', 'moved by the frequency cap (1 a day, 3 in 7 days) from 2026-06-19'],
      ['next-trip-idea', '2026-07-05T02:00:00.000Z', 'open', undefined],
    ]);
  });

  it('three in any 7 days: a fourth waits for the first day whose every 7-day window has room', () => {
    const facts = withBookings(customer('c-2', 'Asia/Shanghai', { birthDate: '1980-06-22' }), ...trips('2026-06-05', '2026-06-06', '2026-06-07'));
    // 19, 20 and 21 June are taken; the windows holding 22 to 25 June all hold them; 26 June's start on the 20th.
    expect(summary(schedule(facts).filter((row) => row.marketing))).toEqual([
      ['trip-memories', '2026-06-19T02:00:00.000Z', 'open', undefined],
      ['trip-memories', '2026-06-20T02:00:00.000Z', 'open', undefined],
      ['trip-memories', '2026-06-21T02:00:00.000Z', 'open', undefined],
      ['birthday-greeting', '2026-06-26T02:00:00.000Z', 'open', 'moved by the frequency cap (1 a day, 3 in 7 days) from 2026-06-22'],
      ['next-trip-idea', '2026-07-05T02:00:00.000Z', 'open', undefined],
      ['next-trip-idea', '2026-07-06T02:00:00.000Z', 'open', undefined],
      ['next-trip-idea', '2026-07-07T02:00:00.000Z', 'open', undefined],
    ]);
    // Moved past a withdrawal, it needs consent at its new time.
    const withdrawn = { ...facts, consent: [...facts.consent, { at: '2026-06-24T00:00:00.000Z', granted: false }] };
    // (The withdrawal is the latest fact now, so next year's birthday is within the horizon too.)
    expect(schedule(withdrawn).find((row) => row.kind === 'birthday-greeting' && row.dueAt < '2027')).toMatchObject({
      dueAt: '2026-06-26T02:00:00.000Z',
      status: 'skipped',
      reason: 'moved by the frequency cap (1 a day, 3 in 7 days) from 2026-06-22; no marketing consent',
    });
  });

  it('does not count skipped ones, and leaves service touchpoints uncapped', () => {
    const facts = withBookings(customer('c-3', 'Asia/Shanghai', { birthDate: '1980-06-22' }), ...trips('2026-06-05', '2026-06-06', '2026-06-07'));
    const withdrawnThenBack = { ...facts, consent: [...facts.consent, { at: '2026-06-19T00:00:00.000Z', granted: false }, { at: '2026-06-19T12:00:00.000Z', granted: true }] };
    const rows = schedule(withdrawnThenBack);
    expect(only(rows, 'trip-memories', 'b-1').status).toBe('skipped');
    expect(only(rows, 'birthday-greeting')).toMatchObject({ dueAt: '2026-06-22T02:00:00.000Z', status: 'open' });
    expect(rows.filter((row) => row.kind === 'welcome-home-call').map((row) => row.dueAt)).toEqual(['2026-06-06T02:00:00.000Z', '2026-06-07T02:00:00.000Z', '2026-06-08T02:00:00.000Z']);
  });
});

describe('lifecycle moments', () => {
  it('birthdays at 10:00 local from registration on, up to 12 months after the latest fact; 29 February on the 28th', () => {
    const berlin: TouchpointFacts = {
      ...customer('c-1', 'Europe/Berlin', { birthDate: '1985-07-20', registeredAt: '2026-01-10T12:00:00.000Z' }),
      consent: [{ at: '2026-01-10T12:00:00.000Z', granted: true }, { at: '2026-09-01T12:00:00.000Z', granted: true }],
    };
    expect(schedule(berlin).map((row) => [row.touchpointId, row.dueAt, row.phase])).toEqual([
      ['tp_a3244c6005e4d60bd843', '2026-07-20T08:00:00.000Z', 'lifecycle'],
      [touchpointId('c-1', 'birthday-greeting', '2027'), '2027-07-20T08:00:00.000Z', 'lifecycle'],
    ]);
    const lateRegistration = customer('c-1', 'Europe/Berlin', { birthDate: '1985-07-20', registeredAt: '2026-08-01T12:00:00.000Z' });
    expect(schedule(lateRegistration).map((row) => row.dueAt)).toEqual(['2027-07-20T08:00:00.000Z']);
    expect(schedule(customer('c-2', 'Europe/Moscow', { birthDate: '1992-02-29' })).map((row) => row.dueAt)).toEqual(['2026-02-28T07:00:00.000Z']);
  });

  const returned = trip('b-1', '2026-01-10T12:00:00.000Z', '2026-03-25', '2026-04-04', { departedAt: '2026-03-25T07:00:00.000Z', returnedAt: '2026-04-04T16:00:00.000Z' });
  const lifecycle = (rows: Touchpoint[]) => rows.filter((row) => row.kind === 'first-trip-anniversary' || row.kind === 'win-back-offer').map((row) => [row.kind, row.bookingId, row.dueAt, row.status, row.reason]);

  it('first-trip anniversary a year after the first completed trip departed; win-back 18 months after the last return', () => {
    const earlier = trip('b-0', '2025-10-01T09:00:00.000Z', '2025-11-02', '2025-11-09', { returnedAt: '2025-11-09T15:00:00.000Z' });
    expect(lifecycle(schedule(withBookings(customer('c-3', 'Europe/Berlin'), returned)))).toEqual([
      ['first-trip-anniversary', 'b-1', '2027-03-25T09:00:00.000Z', 'open', undefined], // CET
      ['win-back-offer', 'b-1', '2027-10-04T08:00:00.000Z', 'open', undefined], // returned 4 April, CEST
    ]);
    expect(lifecycle(schedule(withBookings(customer('c-3', 'Europe/Berlin'), returned, earlier)))).toEqual([
      ['first-trip-anniversary', 'b-0', '2026-11-02T09:00:00.000Z', 'open', undefined],
      // b-0 came back on 9 November 2025 (CET); 18 months on is 9 May 2027 (CEST). b-1 was booked after that return.
      ['win-back-offer', 'b-0', '2027-05-09T08:00:00.000Z', 'cancelled', 'booked again before it was due (b-1)'],
      ['win-back-offer', 'b-1', '2027-10-04T08:00:00.000Z', 'open', undefined],
    ]);
  });

  it('win-back: cancelled when the customer books again after the return, open again if that booking is cancelled first', () => {
    const again = trip('b-2', '2026-06-01T10:00:00.000Z', '2026-12-01', '2026-12-08');
    expect(lifecycle(schedule(withBookings(customer('c-3', 'Europe/Berlin'), returned, again)))).toContainEqual(['win-back-offer', 'b-1', '2027-10-04T08:00:00.000Z', 'cancelled', 'booked again before it was due (b-2)']);
    const thenCancelled = { ...again, cancelledAt: '2026-07-01T10:00:00.000Z' };
    expect(lifecycle(schedule(withBookings(customer('c-3', 'Europe/Berlin'), returned, thenCancelled)))).toContainEqual(['win-back-offer', 'b-1', '2027-10-04T08:00:00.000Z', 'open', undefined]);
    const bookedWhileAway = { ...again, bookedAt: '2026-03-30T10:00:00.000Z' };
    expect(lifecycle(schedule(withBookings(customer('c-3', 'Europe/Berlin'), returned, bookedWhileAway))).filter(([kind]) => kind === 'win-back-offer')).toEqual([]);
  });
});

describe('determinism', () => {
  const rich = (): TouchpointFacts => ({
    ...customer('c-1', 'America/New_York', { birthDate: '1979-03-08', tags: ['culture', 'food'] }),
    profile: [
      { at: '2026-01-01T12:00:00.000Z', timeZone: 'America/New_York', language: 'en', preferredChannel: 'email', tags: ['culture'] },
      { at: '2026-02-01T12:00:00.000Z', timeZone: 'America/New_York', language: 'es', preferredChannel: 'sms', tags: ['culture', 'food'] },
    ],
    consent: [
      { at: '2026-01-01T12:00:00.000Z', granted: true },
      { at: '2026-04-01T00:00:00.000Z', granted: false },
      { at: '2026-04-20T00:00:00.000Z', granted: true },
    ],
    bookings: [
      trip('b-1', '2026-01-05T00:00:00.000Z', '2026-03-05', '2026-03-12', { returnedAt: '2026-03-12T22:00:00.000Z' }),
      trip('b-2', '2026-02-10T00:00:00.000Z', '2026-06-01', '2026-06-09', {
        amendments: [
          { at: '2026-03-01T00:00:00.000Z', departureDate: '2026-06-02' },
          { at: '2026-03-02T00:00:00.000Z', returnDate: '2026-06-12' },
        ],
      }),
      trip('b-3', '2026-02-11T00:00:00.000Z', '2026-07-01', '2026-07-05', { cancelledAt: '2026-05-01T00:00:00.000Z' }),
    ],
    complaints: [
      { complaintId: 'k-1', filedAt: '2026-03-10T00:00:00.000Z', severity: 'medium' },
      { complaintId: 'k-2', filedAt: '2026-03-11T00:00:00.000Z', severity: 'low', resolvedAt: '2026-03-11T04:00:00.000Z' },
    ],
    riskAlerts: [
      { alertId: 'a-1', issuedAt: '2026-05-20T00:00:00.000Z', country: 'ES', from: '2026-06-05', to: '2026-06-06', severity: 'medium', message: 'heat wave' },
      { alertId: 'a-2', issuedAt: '2026-05-21T00:00:00.000Z', country: 'ES', city: 'Barcelona', from: '2026-06-01', to: '2026-06-30', severity: 'high', message: 'strike' },
    ],
    completions: [
      { touchpointId: touchpointId('c-1', 'destination-guide', 'b-2'), at: '2026-05-19T15:00:00.000Z', by: 'agent-1', outcome: 'done' },
      { touchpointId: touchpointId('c-1', 'welcome-home-call', 'b-1'), at: '2026-03-14T15:00:00.000Z', by: 'agent-2', outcome: 'no-answer', note: 'voicemail' },
    ],
  });

  it('gives the same rows for the same facts, in any order of their arrays', () => {
    const facts = rich();
    const reversed: TouchpointFacts = {
      ...facts,
      profile: [...facts.profile].reverse(),
      consent: [...facts.consent].reverse(),
      bookings: [...facts.bookings].reverse().map((booking) => ({ ...booking, amendments: [...booking.amendments].reverse() })),
      complaints: [...facts.complaints].reverse(),
      riskAlerts: [...facts.riskAlerts].reverse(),
      completions: [...facts.completions].reverse(),
    };
    const rows = schedule(facts);
    expect(rows.length).toBeGreaterThan(25);
    expect(schedule(reversed)).toEqual(rows);
    expect(schedule(rich())).toEqual(rows);
    expect(new Set(rows.map((row) => row.touchpointId)).size).toBe(rows.length);
    expect(rows.every((row) => row.channel === 'sms' && row.language === 'es')).toBe(true);
    // b-2 as amended: departs 2 June, returns 12 June (10 nights, middle day 7 June), 10:00 EDT.
    expect(only(rows, 'mid-trip-check-in', 'b-2').dueAt).toBe('2026-06-07T14:00:00.000Z');
    expect(only(rows, 'welcome-home-call', 'b-1')).toMatchObject({ status: 'done', outcome: 'no-answer', note: 'voicemail', dueAt: '2026-03-13T14:00:00.000Z' });
  });

  it('gives the same rows whatever the order of the keys in the facts (a jsonb column gives them back in its own)', () => {
    // Two profile changes at one instant: which is in force is decided by their content, never by how it is spelled.
    const facts = rich();
    const at = '2026-03-01T00:00:00.000Z';
    facts.profile.push(
      { at, timeZone: 'America/New_York', language: 'fr', preferredChannel: 'email', tags: [] },
      { at, timeZone: 'Europe/Paris', language: 'de', preferredChannel: 'email', tags: [] },
    );
    const reversedKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversedKeys)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reversedKeys(inner)]))
          : value;
    const rows = schedule(facts);
    expect(schedule(reversedKeys(facts) as TouchpointFacts)).toEqual(rows);
    expect(new Set(rows.map((row) => row.language))).toEqual(new Set([rows[0].language]));
  });

  it('derives ids from the customer, kind and reference only', () => {
    expect(touchpointId('c-1', 'destination-guide', 'b-1')).toBe('tp_340108a92bbae912bf45');
    expect(touchpointId('c-1', 'birthday-greeting', '2026')).toBe('tp_a3244c6005e4d60bd843');
    const rows = schedule(rich());
    expect(rows.filter((row) => row.kind === 'risk-notice').map((row) => [row.alertId, row.bookingId, row.touchpointId])).toEqual([
      ['a-1', 'b-2', touchpointId('c-1', 'risk-notice', 'a-1|b-2')],
      ['a-2', 'b-2', touchpointId('c-1', 'risk-notice', 'a-2|b-2')],
    ]);
  });
});
