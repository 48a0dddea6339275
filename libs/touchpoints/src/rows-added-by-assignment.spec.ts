import { rowsAddedByAssignment } from './schedule-touchpoints';
import { touchpointId, type CustomerTouchpointFacts, type Touchpoint, type TouchpointCampaign } from './touchpoint';
import { DEFAULT_TOUCHPOINT_CONFIG, touchpointConfig, type TouchpointConfig } from './touchpoint-config';
import { scheduleCustomer } from './touchpoint-facts';
import { customer, random, trip } from './touchpoint.fixtures';

const DAY = 86_400_000;
const iso = (atMs: number): string => new Date(atMs).toISOString();
const byId = (rows: Touchpoint[]): Touchpoint[] => [...rows].sort((a, b) => (a.touchpointId < b.touchpointId ? -1 : 1));
/** What the projection reads from the table for the rule: the latest due instant of the customer's open and done marketing rows. */
const marketingDue = (rows: Touchpoint[]): string | undefined =>
  rows
    .filter((row) => row.marketing && (row.status === 'open' || row.status === 'done'))
    .map((row) => row.dueAt)
    .sort()
    .at(-1);
const assignment = (campaignId: string, arm: TouchpointCampaign['arm'], assignedMs: number, fromMs: number, days: number): TouchpointCampaign => ({
  campaignId,
  arm,
  assignedAt: iso(assignedMs),
  channel: 'sms',
  contentHints: ['deal'],
  sendWindow: { from: iso(fromMs), until: iso(fromMs + days * DAY) },
});
const withAssignment = (facts: CustomerTouchpointFacts, added: TouchpointCampaign): CustomerTouchpointFacts => ({ ...facts, campaigns: [...(facts.campaigns ?? []), added] });

/** A customer with 0-4 trips over 2025-2026, some completed, cancelled, with a birth date, without consent, forgotten, in an earlier campaign. */
function someone(seed: number): CustomerTouchpointFacts {
  const next = random(seed);
  const at = (from: number, days: number): number => from + Math.floor(next() * days) * DAY + Math.floor(next() * 24) * 3_600_000;
  const registered = at(Date.parse('2024-06-01T00:00:00.000Z'), 300);
  const zone = ['Europe/Athens', 'America/New_York', 'Asia/Tokyo', 'Europe/London'][seed % 4];
  const facts: CustomerTouchpointFacts = customer(`c-${seed}`, zone, { registeredAt: iso(registered), consent: next() > 0.15, ...(next() < 0.2 && { birthDate: '1985-07-14' }) });
  for (let n = 0, trips = Math.floor(next() * 5); n < trips; n++) {
    const booked = at(registered, 500);
    const departure = at(booked, 60);
    const back = departure + (1 + Math.floor(next() * 10)) * DAY;
    const booking = trip(`b-${n}`, iso(booked), iso(departure).slice(0, 10), iso(back).slice(0, 10));
    if (next() < 0.15) booking.cancelledAt = iso(booked + DAY);
    else if (next() < 0.7) {
      booking.departedAt = iso(departure + 3_600_000);
      booking.returnedAt = iso(back + 3_600_000);
      if (next() < 0.4) facts.completions.push({ touchpointId: touchpointId(facts.customerId, 'trip-memories', booking.bookingId), at: iso(back + 20 * DAY), by: 'agent', outcome: 'done' });
    }
    facts.bookings.push(booking);
  }
  if (next() < 0.2) facts.campaigns = [assignment('earlier', 'treatment', at(registered, 400), at(registered, 400), 7)];
  if (next() < 0.05) facts.forgottenAt = iso(at(registered, 600));
  return facts;
}

/** The latest instant among a customer's facts, roughly (enough for where the specs put the assignment). */
const latest = (facts: CustomerTouchpointFacts): number =>
  Math.max(...[facts.registeredAt, ...facts.completions.map((c) => c.at), ...facts.bookings.flatMap((b) => [b.bookedAt, b.cancelledAt, b.returnedAt]), ...(facts.campaigns ?? []).map((c) => c.assignedAt), facts.forgottenAt].filter((x): x is string => !!x).map(Date.parse));

describe('rowsAddedByAssignment: the rows an assignment adds without computing the whole schedule', () => {
  const check = (config: TouchpointConfig, seeds: number): { added: number; whole: number } => {
    const taken = { added: 0, whole: 0 };
    for (let seed = 1; seed <= seeds; seed++) {
      const next = random(seed * 31);
      const before = someone(seed);
      // Mostly after every fact, sometimes at the latest one or before it; the send window opens around it.
      const assignedMs = latest(before) + (next() < 0.1 ? -Math.floor(next() * 3) * DAY : Math.floor(next() * 90) * DAY + 60_000);
      const after = withAssignment(before, assignment('new', next() < 0.8 ? 'treatment' : 'control', assignedMs, assignedMs + Math.floor((next() - 0.3) * 20) * DAY, 1 + Math.floor(next() * 10)));
      const was = scheduleCustomer(before, [], config);
      const added = rowsAddedByAssignment(after, [], 'new', config, marketingDue(was));
      if (!added) {
        taken.whole += 1;
        continue;
      }
      taken.added += 1;
      expect({ seed, rows: byId([...was, ...added]) }).toEqual({ seed, rows: byId(scheduleCustomer(after, [], config)) });
    }
    return taken;
  };

  it('gives exactly the whole schedule\'s new rows whenever it answers, on 600 random customers with the default cap', () => {
    const taken = check(DEFAULT_TOUCHPOINT_CONFIG, 600);
    // Both ways are taken often enough for the comparison to mean something.
    expect(taken.added).toBeGreaterThan(200);
    expect(taken.whole).toBeGreaterThan(100);
  });

  it('and with a tight cap (1 a day, 1 in 30 days), where the send meets the cap far more often', () => {
    const taken = check(touchpointConfig({ version: 'tight-cap', frequencyCap: { perDay: 1, perWindow: 1, windowDays: 30 } }), 600);
    expect(taken.added).toBeGreaterThan(100);
    expect(taken.whole).toBeGreaterThan(100);
  });

  const ana = { ...customer('c-ana', 'Europe/Athens', { registeredAt: '2024-03-01T10:00:00.000Z' }), bookings: [trip('b1', '2025-03-01T10:00:00.000Z', '2025-04-01', '2025-04-08')] };
  const launch = Date.parse('2026-03-02T09:00:00.000Z');

  it('adds the one send of a treated customer, none for a control one', () => {
    expect(rowsAddedByAssignment(withAssignment(ana, assignment('cmp', 'treatment', launch, launch, 7)), [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, marketingDue(scheduleCustomer(ana, [], DEFAULT_TOUCHPOINT_CONFIG)))).toEqual([
      expect.objectContaining({ touchpointId: touchpointId('c-ana', 'campaign', 'cmp'), kind: 'campaign', dueAt: '2026-03-02T09:00:00.000Z', status: 'open', channel: 'sms' }),
    ]);
    expect(rowsAddedByAssignment(withAssignment(ana, assignment('cmp', 'control', launch, launch, 7)), [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, undefined)).toEqual([]);
  });

  it('leaves it to the whole schedule near another marketing row, with a birth date, when forgotten, or when the assignment is not the latest fact', () => {
    const treated = withAssignment(ana, assignment('cmp', 'treatment', launch, launch, 7));
    expect(rowsAddedByAssignment(treated, [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, iso(launch - 5 * DAY))).toBeUndefined();
    expect(rowsAddedByAssignment(treated, [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, iso(launch + 30 * DAY))).toBeUndefined();
    expect(rowsAddedByAssignment(treated, [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, iso(launch - 9 * DAY))).toHaveLength(1);
    expect(rowsAddedByAssignment({ ...treated, birthDate: '1990-01-01' }, [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, undefined)).toBeUndefined();
    expect(rowsAddedByAssignment({ ...treated, forgottenAt: iso(launch - DAY) }, [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, undefined)).toBeUndefined();
    const late = { ...treated, bookings: [...treated.bookings, trip('b2', iso(launch + 60_000), '2026-05-01', '2026-05-08')] };
    expect(rowsAddedByAssignment(late, [], 'cmp', DEFAULT_TOUCHPOINT_CONFIG, undefined)).toBeUndefined();
  });
});
