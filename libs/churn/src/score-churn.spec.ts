import { BaseCurrency, segmentConfig } from '../../segments/src';
import { churnConfig } from './churn-config';
import { scoreCustomer, type ChurnFacts, type ChurnModel } from './score-churn';

const config = churnConfig();
const money = new BaseCurrency(segmentConfig().currency);
/** BG/NBD on CDNOW, alpha in months (4.414 weeks). */
const MODEL: ChurnModel = { fitId: 1, model: 'bgnbd', unit: 'month', params: { r: 0.243, alpha: 1.014, a: 0.793, b: 2.426 }, gammaGamma: null };
const AS_OF = Date.parse('2026-07-01T00:00:00Z');
const HOUR = 3_600_000;

/** Returned trips (ISO instants) of 1,000.00 EUR each; no complaints, surveys or contacts unless given. */
const facts = (returns: string[], extra: Partial<ChurnFacts> = {}): ChurnFacts => ({
  customerId: 'c1',
  bookings: returns.map((at, i) => ({ bookingId: `b${i + 1}`, amountValue: 1000_00, currency: 'EUR', returnedAt: at })),
  complaints: [],
  surveys: [],
  contacts: returns.map((at) => new Date(Date.parse(at) + 24 * HOUR).toISOString()),
  ...extra,
});
const score = (f: ChurnFacts, at = AS_OF) => scoreCustomer(f, MODEL, at, config, money);
const signalsOf = (f: ChurnFacts, at = AS_OF) => score(f, at)!.reasons.filter((r) => r.signal !== 'dropout').map((r) => `${r.signal} +${r.points}: ${r.text}`);

describe('scoreCustomer', () => {
  const regular = ['2025-09-01T12:00:00Z', '2025-12-01T12:00:00Z', '2026-03-01T12:00:00Z', '2026-06-01T12:00:00Z'];

  it('scores only customers with a completed trip by the instant; a cancelled trip is no purchase', () => {
    expect(score(facts([]))).toBeNull();
    expect(score(facts(['2026-07-02T12:00:00Z']))).toBeNull();
    const cancelled = facts(['2026-05-01T12:00:00Z']);
    cancelled.bookings[0].cancelledAt = '2026-05-02T12:00:00Z';
    expect(score(cancelled)).toBeNull();
  });

  it('turns P(alive) into dropout points and says how long since the last trip against the usual gap', () => {
    const s = score(facts(regular))!;
    expect(s).toMatchObject({ trips: 4, lastTripAt: '2026-06-01T12:00:00.000Z', band: 'low' });
    expect(s.pAlive).toBeGreaterThan(0.8);
    expect(s.reasons).toEqual([{ signal: 'dropout', points: Math.round(70 * (1 - s.pAlive)), text: expect.stringMatching(/: no trip for 30 days, usually travels every 3 months$/) }]);
    expect(s.expectedTrips).toBeGreaterThan(0);
    // No Gamma-Gamma fit: the customer's own mean trip value.
    expect(s.expectedValue).toBe(1000);
    expect(s.clv).toBeGreaterThan(0);
    const lapsed = score(facts(regular), Date.parse('2028-07-01T00:00:00Z'))!;
    expect(lapsed.pAlive).toBeLessThan(s.pAlive);
    expect(lapsed.reasons[0].text).toMatch(/no trip for 25 months, usually travels every 3 months$/);
  });

  it('counts a complaint overdue only after its deadline, and unresolved until resolved', () => {
    const filed = new Date(AS_OF - 24 * HOUR).toISOString();
    const onTime = facts(regular, { complaints: [{ complaintId: 'C-1', filedAt: filed, severity: 'high' }] });
    expect(signalsOf(onTime)).toEqual(['unresolvedComplaint +10: 1 complaint unresolved: C-1']);
    expect(signalsOf(onTime, AS_OF + 1)).toEqual([
      'overdueComplaint +25: complaint C-1 (high) open 24 hours, deadline 24 h',
      'unresolvedComplaint +10: 1 complaint unresolved: C-1',
    ]);
    const resolved = facts(regular, { complaints: [{ complaintId: 'C-1', filedAt: '2026-06-01T00:00:00Z', severity: 'low', resolvedAt: '2026-06-30T00:00:00Z' }] });
    expect(signalsOf(resolved)).toEqual([]);
    expect(signalsOf(resolved, Date.parse('2026-06-29T00:00:00Z'))).toEqual(['overdueComplaint +25: complaint C-1 (low) open 28 days, deadline 168 h', 'unresolvedComplaint +10: 1 complaint unresolved: C-1']);
  });

  it('flags a detractor by the last answer by the instant: 6 is one, 7 is not', () => {
    const surveys = [
      { answeredAt: '2026-05-01T00:00:00Z', nps: 2 },
      { answeredAt: '2026-06-10T00:00:00Z', nps: 6 },
      { answeredAt: '2026-06-20T00:00:00Z', nps: 7 },
    ];
    expect(signalsOf(facts(regular, { surveys }))).toEqual([]);
    expect(signalsOf(facts(regular, { surveys }), Date.parse('2026-06-15T00:00:00Z'))).toEqual(['detractor +15: last NPS 6 on 2026-06-10 (a detractor: 6 or below)']);
  });

  it('flags no contact within 7 days after the last return, once the 7 days have passed', () => {
    const silent = facts(regular, { contacts: [] });
    expect(signalsOf(silent)).toEqual(['noContactAfterReturn +10: no contact within 7 days after the return on 2026-06-01']);
    expect(signalsOf(silent, Date.parse('2026-06-08T11:00:00Z'))).toEqual([]);
    expect(signalsOf(facts(regular, { contacts: ['2026-06-08T12:00:00Z'] }))).toEqual([]);
    expect(signalsOf(facts(regular, { contacts: ['2026-06-08T12:00:01Z'] }))).toHaveLength(1);
  });

  it('flags a cancellation in the last 90 days', () => {
    const f = facts(regular);
    f.bookings.push({ bookingId: 'b9', amountValue: 500_00, currency: 'EUR', cancelledAt: '2026-04-02T00:00:01Z' });
    expect(signalsOf(f)).toEqual(['recentCancellation +10: booking b9 cancelled 89 days ago']);
    // Exactly 90 days before the instant is outside: the window is (instant - 90 days, instant].
    expect(signalsOf(f, Date.parse('2026-07-01T00:00:01Z'))).toEqual([]);
  });

  it('adds the points, caps the score at 100 and bands it', () => {
    const worst = facts(['2023-01-01T12:00:00Z', '2023-02-01T12:00:00Z', '2023-03-01T12:00:00Z'], {
      contacts: [],
      complaints: [{ complaintId: 'C-9', filedAt: '2026-01-01T00:00:00Z', severity: 'critical' }],
      surveys: [{ answeredAt: '2026-02-01T00:00:00Z', nps: 0 }],
    });
    worst.bookings.push({ bookingId: 'b2', amountValue: 1, currency: 'EUR', cancelledAt: '2026-06-01T00:00:00Z' });
    const s = score(worst)!;
    expect(s.reasons.map((r) => r.signal)).toEqual(['dropout', 'overdueComplaint', 'unresolvedComplaint', 'detractor', 'noContactAfterReturn', 'recentCancellation']);
    expect(s.reasons.reduce((sum, r) => sum + r.points, 0)).toBeGreaterThan(100);
    expect(s).toMatchObject({ risk: 100, band: 'high' });
    const medium = score(facts(regular, { complaints: [{ complaintId: 'C-2', filedAt: '2026-06-01T00:00:00Z', severity: 'medium' }] }))!;
    expect(medium.risk).toBeGreaterThanOrEqual(35);
    expect(medium.band).toBe('medium');
  });
});
