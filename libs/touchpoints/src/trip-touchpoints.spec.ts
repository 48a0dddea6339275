/*
 * Trip care, risk notices and what happens to them when a booking is amended, cancelled or a touchpoint completed.
 * Every expected instant is worked out by hand from the zone's offset on that day (written next to it):
 * Berlin CET +1 / CEST +2 (from 2026-03-29 01:00Z), New York EST -5 / EDT -4 (from 2026-03-08 07:00Z),
 * Moscow +3 and Shanghai +8 all year.
 */
import { scheduleTouchpoints } from './schedule-touchpoints';
import { customer, dueByKind, only, trip, withBookings } from './touchpoint.fixtures';
import { DEFAULT_TOUCHPOINT_CONFIG as DEFAULTS } from './touchpoint-config';
import type { TouchpointFacts } from './touchpoint';

const schedule = (facts: TouchpointFacts) => scheduleTouchpoints(facts, DEFAULTS);
const summaryOf = (rows: ReturnType<typeof schedule>, ...kinds: string[]) => rows.filter((row) => kinds.includes(row.kind)).map((row) => [row.kind, row.dueAt, row.status]);

describe('trip care', () => {
  it('Berlin, a trip across the spring change: 10:00 local is 09:00Z before 29 March and 08:00Z after', () => {
    const rows = schedule(withBookings(customer('c-1', 'Europe/Berlin'), trip('b-1', '2026-01-10T12:00:00.000Z', '2026-03-25', '2026-04-04')));
    expect(dueByKind(rows)).toEqual({
      'destination-guide': '2026-03-11T09:00:00.000Z', // 14 days before, CET
      'departure-reminder': '2026-03-22T09:00:00.000Z', // 3 days before, CET
      'arrival-check-in': '2026-03-26T09:00:00.000Z', // day after departure, CET
      'mid-trip-check-in': '2026-03-30T08:00:00.000Z', // 10 nights: departure + 5, CEST
      'welcome-home-call': '2026-04-05T08:00:00.000Z',
      'nps-survey': '2026-04-07T08:00:00.000Z',
      'trip-memories': '2026-04-18T08:00:00.000Z',
      'next-trip-idea': '2026-05-04T08:00:00.000Z',
    });
    expect(rows.map((row) => row.kind)).toEqual([
      'destination-guide',
      'departure-reminder',
      'arrival-check-in',
      'mid-trip-check-in',
      'welcome-home-call',
      'nps-survey',
      'trip-memories',
      'next-trip-idea',
    ]);
    expect(rows.every((row) => row.status === 'open' && row.channel === 'email' && row.language === 'en' && !row.urgent && row.bookingId === 'b-1')).toBe(true);
    expect(rows.map((row) => [row.phase, row.marketing])).toEqual([
      ['pre-trip', false],
      ['pre-trip', false],
      ['during-trip', false],
      ['during-trip', false],
      ['post-trip', false],
      ['post-trip', false],
      ['post-trip', true],
      ['post-trip', true],
    ]);
    expect(only(rows, 'destination-guide')).toMatchObject({ touchpointId: 'tp_340108a92bbae912bf45', customerId: 'c-1' });
  });

  it('New York, a 7-night trip whose middle day is the spring change (10:00 EDT = 14:00Z)', () => {
    const rows = schedule(withBookings(customer('c-2', 'America/New_York'), trip('b-1', '2026-01-05T00:00:00.000Z', '2026-03-05', '2026-03-12')));
    expect(dueByKind(rows)).toEqual({
      'destination-guide': '2026-02-19T15:00:00.000Z', // EST
      'departure-reminder': '2026-03-02T15:00:00.000Z',
      'arrival-check-in': '2026-03-06T15:00:00.000Z',
      'mid-trip-check-in': '2026-03-08T14:00:00.000Z', // 7 nights: departure + 3 = the change day, EDT
      'welcome-home-call': '2026-03-13T14:00:00.000Z',
      'nps-survey': '2026-03-15T14:00:00.000Z',
      'trip-memories': '2026-03-26T14:00:00.000Z',
      'next-trip-idea': '2026-04-11T14:00:00.000Z',
    });
  });

  it('Shanghai, a 6-night trip has no mid-trip check-in; interest tags add content hints', () => {
    const facts = withBookings(customer('c-3', 'Asia/Shanghai', { tags: ['photography', 'Family'] }), trip('b-1', '2026-01-05T00:00:00.000Z', '2026-05-01', '2026-05-07'));
    const rows = schedule(facts);
    expect(dueByKind(rows)).toEqual({
      'destination-guide': '2026-04-17T02:00:00.000Z', // 10:00 +8
      'departure-reminder': '2026-04-28T02:00:00.000Z',
      'arrival-check-in': '2026-05-02T02:00:00.000Z',
      'welcome-home-call': '2026-05-08T02:00:00.000Z',
      'nps-survey': '2026-05-10T02:00:00.000Z',
      'trip-memories': '2026-05-21T02:00:00.000Z',
      'next-trip-idea': '2026-06-06T02:00:00.000Z',
    });
    // In the config's order of tags (family before photography), whatever order the customer gave them.
    expect(only(rows, 'destination-guide').contentHints).toEqual(['destination guide', 'child-friendly activities', 'child-friendly restaurants', 'sunrise spots']);
    expect(only(rows, 'departure-reminder').contentHints).toEqual(['documents', 'weather', 'transfer']);
  });

  it('Moscow, booked 5 days before departure: the guide is skipped (booked too late) with its instant, the reminder still goes', () => {
    const rows = schedule(
      withBookings(
        customer('c-4', 'Europe/Moscow'),
        trip('b-1', '2026-06-05T08:00:00.000Z', '2026-06-10', '2026-06-13'),
        // Booked at 11:00 local on the reminder's own day: 10:00 has passed.
        trip('b-2', '2026-06-07T08:00:00.000Z', '2026-06-10', '2026-06-13'),
      ),
    );
    expect(only(rows, 'destination-guide', 'b-1')).toMatchObject({ dueAt: '2026-05-27T07:00:00.000Z', status: 'skipped', reason: 'booked too late' });
    expect(only(rows, 'departure-reminder', 'b-1')).toMatchObject({ dueAt: '2026-06-07T07:00:00.000Z', status: 'open' });
    expect(only(rows, 'departure-reminder', 'b-2')).toMatchObject({ dueAt: '2026-06-07T07:00:00.000Z', status: 'skipped', reason: 'booked too late' });
    expect(only(rows, 'arrival-check-in', 'b-2')).toMatchObject({ dueAt: '2026-06-11T07:00:00.000Z', status: 'open' });
  });

  it('post-trip care follows the recorded return; check-ins after an early return are skipped', () => {
    const early = trip('b-1', '2026-01-05T00:00:00.000Z', '2026-07-01', '2026-07-15', { departedAt: '2026-07-01T06:00:00.000Z', returnedAt: '2026-07-03T19:30:00.000Z' });
    const rows = schedule(withBookings(customer('c-5', 'Europe/Berlin'), early));
    expect(only(rows, 'arrival-check-in')).toMatchObject({ dueAt: '2026-07-02T08:00:00.000Z', status: 'open' });
    expect(only(rows, 'mid-trip-check-in')).toMatchObject({ dueAt: '2026-07-08T08:00:00.000Z', status: 'skipped', reason: 'the trip ended before it was due' });
    expect(only(rows, 'welcome-home-call').dueAt).toBe('2026-07-04T08:00:00.000Z'); // returned 3 July 21:30 local
    expect(only(rows, 'next-trip-idea').dueAt).toBe('2026-08-02T08:00:00.000Z');
    // Came back after local midnight in New York (returnedAt 2026-07-16T04:30Z is 00:30 EDT on the 16th).
    const late = trip('b-2', '2026-01-05T00:00:00.000Z', '2026-07-01', '2026-07-15', { returnedAt: '2026-07-16T04:30:00.000Z' });
    expect(only(schedule(withBookings(customer('c-6', 'America/New_York'), late)), 'welcome-home-call').dueAt).toBe('2026-07-17T14:00:00.000Z');
  });
});

describe('quiet hours', () => {
  const config = (rules: Record<string, { sendTime: string }>) => ({ ...DEFAULTS, rules: { ...DEFAULTS.rules, ...Object.fromEntries(Object.entries(rules).map(([kind, rule]) => [kind, { ...DEFAULTS.rules[kind as 'nps-survey'], ...rule }])) } });

  it('move a non-urgent touchpoint to 09:00 local, the next day when it falls before midnight', () => {
    const facts = withBookings(customer('c-7', 'Europe/Berlin'), trip('b-1', '2026-01-10T12:00:00.000Z', '2026-03-25', '2026-04-04'));
    const rows = scheduleTouchpoints(facts, config({ 'departure-reminder': { sendTime: '22:30' }, 'welcome-home-call': { sendTime: '07:30' } }));
    // 3 days before departure is 22 March; 22:30 is quiet, so 23 March 09:00 CET.
    expect(only(rows, 'departure-reminder')).toMatchObject({ dueAt: '2026-03-23T08:00:00.000Z', reason: 'quiet hours 21:00-09:00: moved from 22:30 to 09:00 local', status: 'open' });
    // 5 April 07:30 is quiet; 09:00 CEST the same day.
    expect(only(rows, 'welcome-home-call')).toMatchObject({ dueAt: '2026-04-05T07:00:00.000Z', reason: 'quiet hours 21:00-09:00: moved from 07:30 to 09:00 local' });
    expect(only(rows, 'nps-survey').reason).toBeUndefined();
  });

  it('do not hold back urgent touchpoints: a complaint filed at 23:20 in Shanghai is acknowledged within the hour', () => {
    const facts: TouchpointFacts = { ...customer('c-8', 'Asia/Shanghai'), complaints: [{ complaintId: 'k-1', filedAt: '2026-05-01T15:20:00.000Z', severity: 'high' }] };
    expect(only(schedule(facts), 'complaint-acknowledgement')).toMatchObject({ dueAt: '2026-05-01T16:20:00.000Z', urgent: true, status: 'open' });
  });
});

describe('amendments, cancellations and completions', () => {
  const booked = trip('b-1', '2026-01-10T12:00:00.000Z', '2026-03-25', '2026-04-04');
  const guideDone = { touchpointId: 'tp_340108a92bbae912bf45', at: '2026-03-11T10:00:00.000Z', by: 'agent-7', outcome: 'done' as const, note: 'sent the Barcelona guide' };

  it('a completion closes the touchpoint with who, when, outcome and note; no answer is closed too', () => {
    const facts = { ...withBookings(customer('c-1', 'Europe/Berlin'), booked), completions: [guideDone] };
    const rows = schedule(facts);
    expect(only(rows, 'destination-guide')).toEqual({
      touchpointId: 'tp_340108a92bbae912bf45',
      customerId: 'c-1',
      bookingId: 'b-1',
      kind: 'destination-guide',
      phase: 'pre-trip',
      dueAt: '2026-03-11T09:00:00.000Z',
      channel: 'email',
      language: 'en',
      urgent: false,
      marketing: false,
      status: 'done',
      contentHints: ['destination guide'],
      completedAt: '2026-03-11T10:00:00.000Z',
      completedBy: 'agent-7',
      outcome: 'done',
      note: 'sent the Barcelona guide',
    });
    const reminder = only(rows, 'departure-reminder').touchpointId;
    const unanswered = schedule({ ...facts, completions: [guideDone, { touchpointId: reminder, at: '2026-03-22T09:30:00.000Z', by: 'agent-2', outcome: 'no-answer' }] });
    expect(only(unanswered, 'departure-reminder')).toMatchObject({ status: 'done', outcome: 'no-answer', completedBy: 'agent-2', completedAt: '2026-03-22T09:30:00.000Z' });
  });

  it('an amendment moves every open touchpoint of the booking, keeping ids; the completed guide stays', () => {
    const before = schedule({ ...withBookings(customer('c-1', 'Europe/Berlin'), booked), completions: [guideDone] });
    const amended = { ...booked, amendments: [{ at: '2026-03-15T12:00:00.000Z', departureDate: '2026-04-01', returnDate: '2026-04-08' }] };
    const after = schedule({ ...withBookings(customer('c-1', 'Europe/Berlin'), amended), completions: [guideDone] });
    expect(dueByKind(after)).toEqual({
      'destination-guide': '2026-03-11T09:00:00.000Z', // done: as it was
      'departure-reminder': '2026-03-29T08:00:00.000Z', // the change day itself, CEST
      'arrival-check-in': '2026-04-02T08:00:00.000Z',
      'mid-trip-check-in': '2026-04-04T08:00:00.000Z', // 7 nights: departure + 3
      'welcome-home-call': '2026-04-09T08:00:00.000Z',
      'nps-survey': '2026-04-11T08:00:00.000Z',
      'trip-memories': '2026-04-22T08:00:00.000Z',
      'next-trip-idea': '2026-05-08T08:00:00.000Z',
    });
    expect(only(after, 'destination-guide').status).toBe('done');
    expect(after.map((row) => row.touchpointId).sort()).toEqual(before.map((row) => row.touchpointId).sort());
  });

  it('the worked example of docs/touchpoints.md: completed, amended, consent withdrawn and given again', () => {
    const amended = { ...booked, amendments: [{ at: '2026-03-15T12:00:00.000Z', departureDate: '2026-04-01', returnDate: '2026-04-08' }] };
    const facts = {
      ...withBookings(customer('c-1', 'Europe/Berlin'), amended),
      completions: [guideDone],
      consent: [
        { at: '2026-01-01T12:00:00.000Z', granted: true },
        { at: '2026-04-10T12:00:00.000Z', granted: false },
        { at: '2026-05-01T12:00:00.000Z', granted: true },
      ],
    };
    expect(summaryOf(schedule(facts), 'destination-guide', 'trip-memories', 'next-trip-idea')).toEqual([
      ['destination-guide', '2026-03-11T09:00:00.000Z', 'done'],
      ['trip-memories', '2026-04-22T08:00:00.000Z', 'skipped'],
      ['next-trip-idea', '2026-05-08T08:00:00.000Z', 'open'],
    ]);
  });

  it('an amendment that brings the departure closer skips what it leaves in the past (amended too late)', () => {
    const amended = { ...booked, amendments: [{ at: '2026-03-20T12:00:00.000Z', departureDate: '2026-03-22' }] };
    const rows = schedule(withBookings(customer('c-1', 'Europe/Berlin'), amended));
    expect(only(rows, 'destination-guide')).toMatchObject({ dueAt: '2026-03-08T09:00:00.000Z', status: 'skipped', reason: 'amended too late' });
    expect(only(rows, 'departure-reminder')).toMatchObject({ dueAt: '2026-03-19T09:00:00.000Z', status: 'skipped', reason: 'amended too late' });
    // 13 nights from 22 March: departure + 6 = 28 March, still CET.
    expect(only(rows, 'mid-trip-check-in')).toMatchObject({ dueAt: '2026-03-28T09:00:00.000Z', status: 'open' });
  });

  it('a cancellation cancels what is open and due after it, keeps what was done, and adds a follow-up the next local day', () => {
    const rows0 = schedule(withBookings(customer('c-4', 'Europe/Moscow'), trip('b-1', '2026-05-01T09:00:00.000Z', '2026-07-20', '2026-07-27')));
    const guide = only(rows0, 'destination-guide');
    expect(guide.dueAt).toBe('2026-07-06T07:00:00.000Z');
    // Cancelled at 01:30 Moscow time on 11 July.
    const cancelled = trip('b-1', '2026-05-01T09:00:00.000Z', '2026-07-20', '2026-07-27', { cancelledAt: '2026-07-10T22:30:00.000Z' });
    const facts = { ...withBookings(customer('c-4', 'Europe/Moscow'), cancelled), completions: [{ touchpointId: guide.touchpointId, at: '2026-07-06T08:00:00.000Z', by: 'agent-1', outcome: 'done' as const }] };
    const rows = schedule(facts);
    expect(only(rows, 'destination-guide')).toMatchObject({ status: 'done', dueAt: '2026-07-06T07:00:00.000Z' });
    const others = rows.filter((row) => row.kind !== 'destination-guide' && row.kind !== 'cancellation-follow-up');
    expect(others.map((row) => [row.kind, row.status, row.reason])).toEqual([
      ['departure-reminder', 'cancelled', 'booking cancelled'],
      ['arrival-check-in', 'cancelled', 'booking cancelled'],
      ['mid-trip-check-in', 'cancelled', 'booking cancelled'],
      ['welcome-home-call', 'cancelled', 'booking cancelled'],
      ['nps-survey', 'cancelled', 'booking cancelled'],
      ['trip-memories', 'cancelled', 'booking cancelled'],
      ['next-trip-idea', 'cancelled', 'booking cancelled'],
    ]);
    expect(only(rows, 'departure-reminder').dueAt).toBe('2026-07-17T07:00:00.000Z');
    expect(only(rows, 'cancellation-follow-up')).toMatchObject({ dueAt: '2026-07-12T07:00:00.000Z', status: 'open', phase: 'lifecycle', bookingId: 'b-1', marketing: false });
    // Cancelled rows stay as they were at the cancellation when the customer later moves to Shanghai; the open
    // follow-up follows the new zone (12 July 10:00 +8).
    const movedAway = { ...facts, profile: [...facts.profile, { at: '2026-07-11T00:00:00.000Z', timeZone: 'Asia/Shanghai', language: 'ru', preferredChannel: 'sms', tags: [] }] };
    const after = schedule(movedAway);
    expect(only(after, 'departure-reminder')).toMatchObject({ dueAt: '2026-07-17T07:00:00.000Z', status: 'cancelled', channel: 'email' });
    expect(only(after, 'cancellation-follow-up')).toMatchObject({ dueAt: '2026-07-12T02:00:00.000Z', channel: 'sms', language: 'ru' });
  });

  it('a touchpoint of a cancelled booking due before the cancellation stays open (it was due)', () => {
    const cancelled = trip('b-1', '2026-05-01T09:00:00.000Z', '2026-07-20', '2026-07-27', { cancelledAt: '2026-07-18T12:00:00.000Z' });
    const rows = schedule(withBookings(customer('c-4', 'Europe/Moscow'), cancelled));
    expect(summaryOf(rows, 'destination-guide', 'departure-reminder', 'arrival-check-in')).toEqual([
      ['destination-guide', '2026-07-06T07:00:00.000Z', 'open'],
      ['departure-reminder', '2026-07-17T07:00:00.000Z', 'open'],
      ['arrival-check-in', '2026-07-21T07:00:00.000Z', 'cancelled'],
    ]);
  });

  it('a done touchpoint stays as it was when the customer moves to another zone; open ones follow the new zone', () => {
    const moved: TouchpointFacts = {
      ...withBookings(customer('c-1', 'Europe/Berlin'), booked),
      completions: [guideDone],
      profile: [
        { at: '2026-01-01T12:00:00.000Z', timeZone: 'Europe/Berlin', language: 'en', preferredChannel: 'email', tags: [] },
        { at: '2026-03-12T12:00:00.000Z', timeZone: 'America/New_York', language: 'en', preferredChannel: 'phone', tags: [] },
      ],
    };
    const rows = schedule(moved);
    expect(only(rows, 'destination-guide')).toMatchObject({ dueAt: '2026-03-11T09:00:00.000Z', channel: 'email', status: 'done' });
    expect(only(rows, 'departure-reminder')).toMatchObject({ dueAt: '2026-03-22T14:00:00.000Z', channel: 'phone' }); // 10:00 EDT
  });
});

describe('risk notices', () => {
  const alert = (alertId: string, issuedAt: string, more: Partial<TouchpointFacts['riskAlerts'][number]> = {}) => ({
    alertId,
    issuedAt,
    country: 'es',
    from: '2026-08-12',
    to: '2026-08-14',
    severity: 'high',
    message: 'general strike',
    ...more,
  });
  const facts = (...alerts: TouchpointFacts['riskAlerts']): TouchpointFacts => ({
    ...withBookings(
      customer('c-9', 'Europe/Berlin'),
      trip('b-1', '2026-05-01T10:00:00.000Z', '2026-08-10', '2026-08-17'),
      trip('b-2', '2026-08-05T10:00:00.000Z', '2026-08-13', '2026-08-15'),
      trip('b-3', '2026-05-01T10:00:00.000Z', '2026-09-10', '2026-09-17'),
    ),
    riskAlerts: alerts,
  });
  const notices = (rows: ReturnType<typeof schedule>) => rows.filter((row) => row.kind === 'risk-notice');

  it('is due at once for every booking whose trip overlaps the period, urgent, with rebooking offered', () => {
    const rows = notices(schedule(facts(alert('a-1', '2026-08-01T06:00:00.000Z', { city: 'BARCELONA ' }))));
    expect(rows.map((row) => [row.bookingId, row.dueAt, row.status, row.reason])).toEqual([
      ['b-1', '2026-08-01T06:00:00.000Z', 'open', undefined], // already booked: at the alert
      ['b-2', '2026-08-05T10:00:00.000Z', 'open', undefined], // booked after the alert: at the booking
    ]);
    expect(rows[0]).toMatchObject({ alertId: 'a-1', urgent: true, phase: 'risk', marketing: false, contentHints: ['rebooking offered', 'severity: high', 'general strike'] });
  });

  it('says when it comes later than 48 h before departure (00:00 local), and leaves other places alone', () => {
    const rows = notices(schedule(facts(alert('a-2', '2026-08-09T12:00:00.000Z'), alert('a-3', '2026-08-01T00:00:00.000Z', { country: 'FR' }), alert('a-4', '2026-08-01T00:00:00.000Z', { city: 'Madrid' }))));
    // b-1 departs 10 August 00:00 CEST = 9 August 22:00Z; 48 h before is 7 August 22:00Z. (Equal instants: by id.)
    expect(rows.map((row) => [row.bookingId, row.dueAt, row.reason]).sort()).toEqual([
      ['b-1', '2026-08-09T12:00:00.000Z', 'late: less than 48 h before departure'],
      ['b-2', '2026-08-09T12:00:00.000Z', undefined], // departs 13 August
    ]);
  });

  it('follows amendments: into the period at the amendment, out of it cancelled', () => {
    const base = facts(alert('a-1', '2026-08-01T06:00:00.000Z'));
    base.bookings[2] = { ...base.bookings[2], amendments: [{ at: '2026-08-03T09:00:00.000Z', departureDate: '2026-08-11', returnDate: '2026-08-18' }] };
    base.bookings[1] = { ...base.bookings[1], amendments: [{ at: '2026-08-06T09:00:00.000Z', departureDate: '2026-08-20', returnDate: '2026-08-22' }] };
    const rows = notices(schedule(base));
    expect(rows.map((row) => [row.bookingId, row.dueAt, row.status, row.reason])).toEqual([
      ['b-1', '2026-08-01T06:00:00.000Z', 'open', undefined],
      ['b-3', '2026-08-03T09:00:00.000Z', 'open', undefined],
      ['b-2', '2026-08-05T10:00:00.000Z', 'cancelled', 'the booking was amended out of the alert period'],
    ]);
  });
});
