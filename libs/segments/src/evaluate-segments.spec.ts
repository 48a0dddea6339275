/*
 * Acceptance fixture for segment evaluation: 36 hand-built customers, each placed on a boundary of some family, and
 * the segments each must be in written out by hand. Nothing expected here is computed by production code; the
 * arithmetic behind each expectation is in the comment next to the customer.
 */
import { MissingExchangeRate } from './customer-measures';
import { abcClasses, evaluateSegments, quintileScores, type CustomerScores, type SegmentEvaluation } from './evaluate-segments';
import { segmentConfig } from './segment-config';
import type { BookingFacts, CustomerFacts } from './segment-facts';

// Windows of 12 months are (2025-07-01T00:00Z, 2026-07-01T00:00Z]; 12 months of tenure means a first booking on or
// before 2025-07-01T00:00Z. Money in the default config: base EUR, USD 0.92, GBP 1.17.
const AS_OF = '2026-07-01T00:00:00Z';

/** A date alone is midnight UTC, so days to AS_OF are whole. */
const instant = (at: string): string => (at.length === 10 ? `${at}T00:00:00Z` : at);

interface BookingOptions {
  returned?: string;
  cancelled?: string;
  currency?: string;
  travellers?: number;
  product?: string;
}
type Booking = Omit<BookingFacts, 'bookingId'>;

/** `amount` in minor units of the currency; a couple on a package to Spain unless told otherwise. */
const booking = (on: string, amount: number, options: BookingOptions = {}): Booking => ({
  bookedAt: instant(on),
  departureDate: on.slice(0, 10),
  amountValue: amount,
  currency: options.currency ?? 'EUR',
  amountChanges: [],
  travellers: options.travellers ?? 2,
  productType: options.product ?? 'package',
  destinationCountry: 'ES',
  channel: 'web',
  ...(options.returned ? { returnedAt: instant(options.returned) } : {}),
  ...(options.cancelled ? { cancelledAt: instant(options.cancelled) } : {}),
});

interface CustomerOptions {
  registered?: string;
  tags?: string[];
  vip?: [at: string, granted: boolean][];
}

const customer = (customerId: string, bookings: Booking[], options: CustomerOptions = {}): CustomerFacts => ({
  customerId,
  registeredAt: instant(options.registered ?? '2023-01-01'),
  declaredTags: options.tags ?? [],
  tagChanges: [],
  vipChanges: (options.vip ?? []).map(([at, granted]) => ({ at: instant(at), granted })),
  bookings: bookings.map((b, i) => ({ bookingId: `${customerId}-b${i + 1}`, ...b })),
});

const whale = (customerId: string, amount: number, options: CustomerOptions = {}): CustomerFacts =>
  customer(customerId, [booking('2026-06-01', amount)], options);

/*
 * RFM population: the 10 customers with a completed trip (c01-c05, c11, c12, c16, c20, c21). A score is
 * 1 + floor(5 x values strictly below / 10) = 1 + floor(below / 2); equal values share the score where they start.
 * Recency (fewer days is better): 1138 (0 below) 1, 731 (1) 1, 730 (2) 2, 167 (3) 2, 158 (4) 3, 136 (two, 5) 3,
 * 108 (two, 7) 4, 0 (9) 5. Trips: 1 (four, 0 below) 1, 2 (two, 4) 3, 3 (three, 6) 4, 4 (9) 5.
 * Revenue: 800 (two, 0) 1, 2,000 (two, 2) 2, 6,000 (4) 3, 8,000 (5) 3, 10,000 (6) 4, 14,999.97 (7) 4, 15,000 (8) 5,
 * 18,000 (9) 5.
 * ABC population: every customer with revenue booked in the window. By hand: c22 2,000,000 + c32 1,500,000 + c33 600,000 + c34 500,000 + c35 80,000 + c36 80,000 = 4,760,000,
 * plus 156,379.94 from the small customers = 4,916,379.94; 80 % = 3,933,103.95, 95 % = 4,670,560.94.
 * c33 starts at 3,500,000 and ends at 4,100,000: it crosses 80 % and is A; c34 starts at 4,100,000: B.
 * c35 and c36 both have 80,000; c35 goes first by id, starts at 4,600,000 and crosses 95 %: B; c36 starts at
 * 4,680,000: C, and so does everyone smaller.
 */
const FIXTURE: CustomerFacts[] = [
  // Exactly 3 trips in 12 months, the last returned at the instant itself, average exactly 5,000.00: Diamond.
  // Gaps 92, 92: own gap 92, at risk after 138. RFM: 0 days, 3 trips, 15,000.00 -> R5 F4 M5: Champions.
  customer('c01', [
    booking('2025-08-01', 5000_00, { returned: '2025-08-15' }),
    booking('2025-11-01', 5000_00, { returned: '2025-11-15' }),
    booking('2026-02-01', 5000_00, { returned: AS_OF }),
  ]),
  // As c01 with an average of 4,999.99: Gold. Idle 136 days, at risk after 138. Discount 14,999.97: 0.03 short of 7 %.
  // RFM: 136 days, 3 trips, 14,999.97 -> R3 F4 M4: Loyal (Champions needs R4 or more).
  customer('c02', [
    booking('2025-08-01', 5000_00, { returned: '2025-08-15' }),
    booking('2025-11-01', 5000_00, { returned: '2025-11-15' }),
    booking('2026-02-01', 4999_97, { returned: '2026-02-15' }),
  ]),
  // 3 trips, one returned exactly at the window's start: 2 in the window, so Gold, not Diamond. First booked before
  // 2025-07-01 with 3 trips, scale 12,000: keep-and-reward. Gaps 123, 122: at risk after 183.75; idle 167.
  // RFM: 167 days, 3 trips, 18,000.00 -> R2 F4 M5: At Risk.
  customer('c03', [
    booking('2025-05-01', 6000_00, { returned: '2025-07-01' }),
    booking('2025-09-01', 6000_00, { returned: '2025-09-15' }),
    booking('2026-01-01', 6000_00, { returned: '2026-01-15' }),
  ]),
  // 2 trips in the window, average 1,000: Gold. First booked one day short of 12 months: low loyalty.
  // RFM: 108 days, 2 trips, 2,000.00 -> R4 F3 M2: Loyal.
  customer('c04', [booking('2025-07-02', 1000_00, { returned: '2025-07-16' }), booking('2026-03-01', 1000_00, { returned: '2026-03-15' })]),
  // 1 trip in the window, 2 bookings, average 1,000: no tier. 2 trips since 2024: warm-up. Discount exactly 1,000.00: 3 %.
  // RFM: 136 days, 2 trips, 2,000.00 -> R3 F3 M2: Loyal.
  customer('c05', [booking('2024-09-01', 1000_00, { returned: '2024-09-15' }), booking('2026-02-01', 1000_00, { returned: '2026-02-15' })]),
  // One booking of exactly 3,000.00: Gold (before Potential). Scale exactly 6,000: high value.
  customer('c06', [booking('2026-05-01', 3000_00)]),
  // One booking of 2,999.99: Potential. Scale 5,999.98: low value.
  customer('c07', [booking('2026-05-01', 2999_99)]),
  // Discount 999.99: 0 %, 0.01 short of 3 %.
  customer('c08', [booking('2026-04-01', 999_99)]),
  // Booked exactly at the window's start: outside ABC and the discount. Idle exactly 365 days: not yet at risk.
  customer('c09', [booking('2025-07-01', 2000_00)]),
  // Idle 366 days: at risk by the default.
  customer('c10', [booking('2025-06-30', 500_00)]),
  // Booked 791 days ago, returned exactly 730 days ago: at risk, not lapsed (idle counts from the trip).
  // RFM: 730 days, 1 trip, 800.00 -> R2 F1 M1: Lost (At Risk needs F2 or more, Hibernating M2).
  customer('c11', [booking('2024-05-01', 800_00, { returned: '2024-07-01' })]),
  // Returned 731 days ago: lapsed. RFM: 731 days, 1 trip, 800.00 -> R1 F1 M1: Lost (Hibernating needs M2 or more).
  customer('c12', [booking('2024-05-01', 800_00, { returned: '2024-06-30' })]),
  // A prospect with a declared interest.
  customer('c13', [], { registered: '2026-01-01', tags: ['wine'] }),
  // Registered at the instant itself: counted, a prospect.
  customer('c14', [], { registered: AS_OF }),
  // Registered one second after the instant: absent, bookings and all.
  customer('c15', [booking('2026-07-01T00:00:01Z', 9000_00)], { registered: '2026-07-01T00:00:01Z' }),
  // Won back: 1,066 days between bookings (> 730), idle 91. Average exactly 3,000 over 2 bookings: Gold.
  // Scale 3,000 x 2 travellers = 6,000: high value; 1 trip: low loyalty. RFM: 1,138 days, 1 trip, 6,000.00 -> R1 F1 M3: Hibernating.
  customer('c16', [booking('2023-05-01', 2000_00, { returned: '2023-05-20' }), booking('2026-04-01', 4000_00)]),
  // Own gaps 100, 100: at risk after 150, lapsed after 300. Idle 151: at risk (the default would wait 365).
  customer('c17', [booking('2025-07-15', 1000_00), booking('2025-10-23', 1000_00), booking('2026-01-31', 1000_00)]),
  // The same one day later: idle exactly 150, not at risk.
  customer('c18', [booking('2025-07-16', 1000_00), booking('2025-10-24', 1000_00), booking('2026-02-01', 1000_00)]),
  // Own gaps 100, 100, idle 301: lapsed. Only the last booking is in the window.
  customer('c19', [booking('2025-02-15', 1000_00), booking('2025-05-26', 1000_00), booking('2025-09-03', 1000_00)]),
  // 4 bookings: loyal. Gaps 62, 91, 90: at risk after 135, idle 108. First booked exactly 12 months ago: high loyalty.
  // The first booking sits on the window's start, so the discount sees 7,500.00. RFM: 108 days, 4 trips, 10,000.00 -> R4 F5 M4: Champions.
  customer('c20', [
    booking('2025-07-01', 2500_00, { returned: '2025-07-15' }),
    booking('2025-09-01', 2500_00, { returned: '2025-09-15' }),
    booking('2025-12-01', 2500_00, { returned: '2025-12-15' }),
    booking('2026-03-01', 2500_00, { returned: '2026-03-15' }),
  ]),
  // VIP: granted, revoked, granted again at the instant, revoked after it. One trip: RFM 158 days, 1 trip, 8,000.00 -> R3 F1 M3: About to Sleep.
  customer('c21', [booking('2026-01-10', 8000_00, { returned: '2026-01-24' })], {
    vip: [
      ['2025-01-01', true],
      ['2025-06-01', false],
      [AS_OF, true],
      ['2026-08-01', false],
    ],
  }),
  // VIP granted then revoked, class A: a candidate again.
  whale('c22', 2_000_000_00, {
    vip: [
      ['2025-01-01', true],
      ['2026-01-01', false],
    ],
  }),
  // VIP granted one second after the instant: not VIP, and no reason to be a candidate.
  customer('c23', [booking('2026-05-10', 1500_00)], { vip: [['2026-07-01T00:00:01Z', true]] }),
  // Declared family and wine; a family package (family once, as declared); a cancelled cruise derives nothing.
  customer('c24', [booking('2026-03-01', 2400_00, { product: 'family-package' }), booking('2026-04-01', 6000_00, { product: 'cruise', cancelled: '2026-04-15' })], {
    tags: ['family', 'wine'],
  }),
  // 3 travellers: family; a ski trip: winter-sports. Scale 1,800 x 3 = 5,400: low value.
  customer('c25', [booking('2026-02-01', 1800_00, { product: 'ski', travellers: 3 })]),
  // A cruise cancelled before the instant does not count; a family package cancelled after it does.
  customer('c26', [
    booking('2026-02-01', 8000_00, { product: 'cruise', cancelled: '2026-03-01' }),
    booking('2026-04-01', 1500_00, { product: 'family-package', cancelled: '2026-07-15' }),
  ]),
  // Booked at the instant itself: counts. Booked one second later: does not (no cruise interest, no 10 %).
  customer('c27', [booking(AS_OF, 1000_00), booking('2026-07-01T00:00:01Z', 50000_00, { product: 'cruise' })]),
  // 5,000.00 USD = 4,600.00 EUR: Gold, discount 3 %, 400.00 short of 5 %.
  customer('c28', [booking('2026-03-10', 5000_00, { currency: 'USD' })]),
  // 4,000.00 GBP = 4,680.00 EUR, plus 400.00 EUR: 5,080.00, so 5 % (unconverted it would be 4,400.00 and 3 %).
  customer('c29', [booking('2026-03-10', 4000_00, { currency: 'GBP' }), booking('2026-04-10', 400_00)]),
  // Exactly 30,000.00: the top step, nothing further to reach.
  customer('c30', [booking('2025-12-01', 15000_00), booking('2026-02-01', 15000_00)]),
  // 29,999.99: 7 %, 0.01 short of 10 %.
  customer('c31', [booking('2026-01-15', 29999_99)]),
  whale('c32', 1_500_000_00),
  whale('c33', 600_000_00),
  whale('c34', 500_000_00),
  whale('c35', 80_000_00),
  whale('c36', 80_000_00),
];

/** Every segment of every customer evaluated; c15 registered after the instant and is absent. */
const EXPECTED: Record<string, string[]> = {
  c01: ['abc:c', 'discount:7', 'lifecycle:repeat', 'rfm:champions', 'value-loyalty:grow-loyalty', 'value-tier:diamond', 'vip:candidate'],
  c02: ['abc:c', 'discount:5', 'lifecycle:repeat', 'rfm:loyal', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c03: ['abc:c', 'discount:5', 'lifecycle:repeat', 'rfm:at-risk', 'value-loyalty:keep-and-reward', 'value-tier:gold'],
  c04: ['abc:c', 'discount:3', 'lifecycle:repeat', 'rfm:loyal', 'value-loyalty:sample-and-watch', 'value-tier:gold'],
  c05: ['abc:c', 'discount:3', 'lifecycle:repeat', 'rfm:loyal', 'value-loyalty:warm-up'],
  c06: ['abc:c', 'discount:3', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c07: ['abc:c', 'discount:3', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c08: ['abc:c', 'discount:0', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c09: ['discount:0', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c10: ['discount:0', 'lifecycle:at-risk', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c11: ['discount:0', 'lifecycle:at-risk', 'rfm:lost', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c12: ['discount:0', 'lifecycle:lapsed', 'rfm:lost', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c13: ['discount:0', 'interest:wine', 'lifecycle:prospect'],
  c14: ['discount:0', 'lifecycle:prospect'],
  c16: ['abc:c', 'discount:3', 'lifecycle:won-back', 'rfm:hibernating', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c17: ['abc:c', 'discount:3', 'lifecycle:at-risk', 'value-loyalty:sample-and-watch'],
  c18: ['abc:c', 'discount:3', 'lifecycle:repeat', 'value-loyalty:sample-and-watch'],
  c19: ['abc:c', 'discount:3', 'lifecycle:lapsed', 'value-loyalty:sample-and-watch'],
  c20: ['abc:c', 'discount:5', 'lifecycle:loyal', 'rfm:champions', 'value-loyalty:warm-up', 'value-tier:gold'],
  c21: ['abc:c', 'discount:5', 'lifecycle:first-time', 'rfm:about-to-sleep', 'value-loyalty:grow-loyalty', 'value-tier:gold', 'vip:vip'],
  c22: ['abc:a', 'discount:10', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold', 'vip:candidate'],
  c23: ['abc:c', 'discount:3', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c24: ['abc:c', 'discount:3', 'interest:family', 'interest:wine', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c25: ['abc:c', 'discount:3', 'interest:family', 'interest:winter-sports', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c26: ['abc:c', 'discount:3', 'interest:family', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c27: ['abc:c', 'discount:3', 'lifecycle:first-time', 'value-loyalty:sample-and-watch', 'value-tier:potential'],
  c28: ['abc:c', 'discount:3', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c29: ['abc:c', 'discount:5', 'lifecycle:repeat', 'value-loyalty:sample-and-watch'],
  c30: ['abc:c', 'discount:10', 'lifecycle:repeat', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c31: ['abc:c', 'discount:7', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c32: ['abc:a', 'discount:10', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold', 'vip:candidate'],
  c33: ['abc:a', 'discount:10', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold', 'vip:candidate'],
  c34: ['abc:b', 'discount:10', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c35: ['abc:b', 'discount:10', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
  c36: ['abc:c', 'discount:10', 'lifecycle:first-time', 'value-loyalty:grow-loyalty', 'value-tier:gold'],
};

/** [days since the last trip, R, F, M]; everyone else has no RFM scores. */
const EXPECTED_RFM: Record<string, [number, number, number, number]> = {
  c01: [0, 5, 4, 5],
  c02: [136, 3, 4, 4],
  c03: [167, 2, 4, 5],
  c04: [108, 4, 3, 2],
  c05: [136, 3, 3, 2],
  c11: [730, 2, 1, 1],
  c12: [731, 1, 1, 1],
  c16: [1138, 1, 1, 3],
  c20: [108, 4, 5, 4],
  c21: [158, 3, 1, 3],
};

const segmentsByCustomer = (evaluation: SegmentEvaluation): Map<string, string[]> => {
  const segments = new Map<string, string[]>();
  for (const { customerId, segment } of evaluation.memberships) segments.set(customerId, [...(segments.get(customerId) ?? []), segment]);
  return segments;
};

const scoresOf = (evaluation: SegmentEvaluation, customerId: string): CustomerScores => {
  const scores = evaluation.scores.find((s) => s.customerId === customerId);
  if (!scores) throw new Error(`no scores for ${customerId}`);
  return scores;
};

const reasonOf = (evaluation: SegmentEvaluation, customerId: string, family: string): string | undefined =>
  evaluation.memberships.find((m) => m.customerId === customerId && m.segment.startsWith(`${family}:`))?.reason;

describe('evaluateSegments over the hand-built fixture, as of 2026-07-01 with the default config', () => {
  let evaluation: SegmentEvaluation;
  beforeAll(() => {
    evaluation = evaluateSegments(FIXTURE, AS_OF, segmentConfig());
  });

  it.each(Object.entries(EXPECTED))('puts %s in exactly its segments', (customerId, segments) => {
    expect(segmentsByCustomer(evaluation).get(customerId)?.sort()).toEqual([...segments].sort());
  });

  it('evaluates every customer registered by the instant and no one registered after it', () => {
    expect(FIXTURE.length).toBeGreaterThanOrEqual(30);
    expect(evaluation.scores.map((s) => s.customerId)).toEqual(Object.keys(EXPECTED).sort());
    expect([...segmentsByCustomer(evaluation).keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('records the instant, the config version and the base currency', () => {
    expect(evaluation).toMatchObject({ asOf: '2026-07-01T00:00:00.000Z', configVersion: 'default-1', currency: 'EUR' });
  });

  it('scores recency, frequency and monetary value in quintiles over the customers with a completed trip', () => {
    const rfm = Object.fromEntries(
      evaluation.scores.filter((s) => s.r !== null).map((s) => [s.customerId, [s.recencyDays, s.r, s.f, s.m]]),
    );
    expect(rfm).toEqual(EXPECTED_RFM);
    expect(scoresOf(evaluation, 'c06')).toMatchObject({ recencyDays: null, r: null, f: null, m: null });
  });

  it('gives the customer who crosses a cut the higher class, and breaks equal revenue by customer id', () => {
    const abc = Object.fromEntries(['c22', 'c32', 'c33', 'c34', 'c35', 'c36', 'c01', 'c09'].map((id) => [id, scoresOf(evaluation, id).abcClass]));
    expect(abc).toEqual({ c22: 'A', c32: 'A', c33: 'A', c34: 'B', c35: 'B', c36: 'C', c01: 'C', c09: null });
    expect(scoresOf(evaluation, 'c20').abcRevenue).toBe(7500_00);
  });

  it('counts trips and money as of the instant: cancellations before it and bookings after it are left out', () => {
    expect(scoresOf(evaluation, 'c26')).toMatchObject({ bookings: 1, revenue: 1500_00 });
    expect(scoresOf(evaluation, 'c27')).toMatchObject({ bookings: 1, revenue: 1000_00 });
    expect(scoresOf(evaluation, 'c03')).toMatchObject({ trips: 3, bookings: 3 });
  });

  it('converts other currencies into euro cents', () => {
    expect(scoresOf(evaluation, 'c28')).toMatchObject({ revenue: 4600_00, discountRevenue: 4600_00 });
    expect(scoresOf(evaluation, 'c29')).toMatchObject({ revenue: 5080_00, discountRevenue: 5080_00 });
  });

  it('tells each customer the spend that reaches the next discount level', () => {
    const steps = Object.fromEntries(
      ['c02', 'c05', 'c08', 'c09', 'c28', 'c30', 'c31'].map((id) => {
        const s = scoresOf(evaluation, id);
        return [id, [s.discountRevenue, s.discountPercent, s.nextDiscountPercent, s.spendToNextDiscount]];
      }),
    );
    expect(steps).toEqual({
      c02: [14999_97, 5, 7, 3],
      c05: [1000_00, 3, 5, 4000_00],
      c08: [999_99, 0, 3, 1],
      c09: [0, 0, 3, 1000_00],
      c28: [4600_00, 3, 5, 400_00],
      c30: [30000_00, 10, null, null],
      c31: [29999_99, 7, 10, 1],
    });
    expect(reasonOf(evaluation, 'c02', 'discount')).toBe('revenue 14,999.97 EUR in the last 12 months; 0.03 EUR more reaches 7 %');
    expect(reasonOf(evaluation, 'c28', 'discount')).toBe('revenue 4,600.00 EUR in the last 12 months; 400.00 EUR more reaches 5 %');
    expect(reasonOf(evaluation, 'c30', 'discount')).toBe('revenue 30,000.00 EUR in the last 12 months');
  });

  it('states the thresholds a lifecycle stage was decided by', () => {
    expect(reasonOf(evaluation, 'c17', 'lifecycle')).toBe('151 days since the last booking or trip; own typical gap 100 days: at risk after 150, lapsed after 300 days');
    expect(reasonOf(evaluation, 'c10', 'lifecycle')).toBe('366 days since the last booking or trip; default at risk after 365, lapsed after 730 days');
    // Away from the return on 2023-05-20, not from the booking on 2023-05-01.
    expect(reasonOf(evaluation, 'c16', 'lifecycle')).toContain('booked again after 1047 days away');
  });

  it('names the booking an interest was derived from', () => {
    expect(reasonOf(evaluation, 'c26', 'interest')).toBe('booking c26-b2 (family-package, 2 travellers, ES)');
    expect(reasonOf(evaluation, 'c24', 'interest')).toBe('declared in the profile');
  });

  it('gives the same output whatever order the customers come in', () => {
    for (const seed of [1, 7, 42]) {
      expect(evaluateSegments(shuffled(FIXTURE, seed), AS_OF, segmentConfig())).toEqual(evaluation);
    }
  });
});

/** A fixed permutation per seed (Fisher-Yates over the Park-Miller generator), so a failure reproduces. */
function shuffled<T>(items: T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 48_271) % 2_147_483_647;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

describe('evaluateSegments with other configs and inputs', () => {
  it('refuses a booking in a currency the config has no rate for', () => {
    const yen = customer('y01', [booking('2026-03-01', 500_000, { currency: 'JPY' })]);
    expect(() => evaluateSegments([yen], AS_OF, segmentConfig())).toThrow(MissingExchangeRate);
    expect(() => evaluateSegments([yen], AS_OF, segmentConfig())).toThrow('currency.rates.JPY');
  });

  it('applies the VIP discount steps to VIPs only', () => {
    const config = segmentConfig({
      version: 'vip-steps',
      discount: {
        vipSteps: [
          { minRevenue: 0, percent: 5 },
          { minRevenue: 1000, percent: 8 },
          { minRevenue: 10000, percent: 12 },
        ],
      },
    });
    const vip: CustomerOptions = { vip: [['2025-01-01', true]] };
    const evaluation = evaluateSegments(
      [
        customer('v01', [booking('2026-03-01', 1000_00)], vip),
        customer('v02', [booking('2026-03-01', 999_99)], vip),
        customer('v03', [booking('2026-03-01', 1000_00)]),
        customer('v04', [booking('2026-03-01', 1000_00)], { vip: [['2025-01-01', true], ['2026-01-01', false]] }),
      ],
      AS_OF,
      config,
    );
    const discount = Object.fromEntries(evaluation.scores.map((s) => [s.customerId, [s.discountPercent, s.spendToNextDiscount]]));
    expect(discount).toEqual({ v01: [8, 9000_00], v02: [5, 1], v03: [3, 4000_00], v04: [3, 4000_00] });
    expect(reasonOf(evaluation, 'v01', 'discount')).toBe('revenue 1,000.00 EUR in the last 12 months (VIP steps); 9,000.00 EUR more reaches 12 %');
  });

  it('keeps Potential up to its own bound inclusive when Gold starts higher', () => {
    const config = segmentConfig({ version: 'gold-4000', valueTiers: { gold: { minAverageBookingValue: 4000 } } });
    const evaluation = evaluateSegments(
      [customer('p01', [booking('2026-03-01', 3000_00)]), customer('p02', [booking('2026-03-01', 3000_01)]), customer('p03', [booking('2026-03-01', 4000_00)])],
      AS_OF,
      config,
    );
    const tiers = evaluation.memberships.filter((m) => m.segment.startsWith('value-tier:')).map((m) => [m.customerId, m.segment]);
    expect(tiers).toEqual([
      ['p01', 'value-tier:potential'],
      ['p03', 'value-tier:gold'],
    ]);
  });

  it('judges a return after a lapse by the gaps before it: with 3 bookings the long gap does not raise its own bar', () => {
    // Gaps 100 and 1,237 days: their median 668.5 would set lapsed at 2,005 days, above the gap itself. Before the
    // latest booking there were 2 bookings, too few for an own gap: the default 730 days holds, and 1,133 days quiet
    // since the return on 2022-04-25 is more.
    const returning = customer('w02', [
      booking('2022-01-01', 1000_00, { returned: '2022-01-15' }),
      booking('2022-04-11', 1000_00, { returned: '2022-04-25' }),
      booking('2025-06-01', 1000_00),
    ]);
    const [stage] = evaluateSegments([returning], AS_OF, segmentConfig()).memberships.filter((m) => m.segment.startsWith('lifecycle:'));
    expect(stage).toMatchObject({ segment: 'lifecycle:won-back', reason: 'booked again after 1133 days away; lapsed after 730 days before that booking' });
  });

  it('calls a customer whose every booking was cancelled a prospect, and says so', () => {
    const cancelled = customer('x01', [booking('2026-02-01', 900_00, { cancelled: '2026-02-10' })]);
    const [stage] = evaluateSegments([cancelled], AS_OF, segmentConfig()).memberships.filter((m) => m.segment.startsWith('lifecycle:'));
    expect(stage).toMatchObject({ segment: 'lifecycle:prospect', reason: 'registered, 1 booking made and cancelled' });
    expect(reasonOf(evaluateSegments([customer('x02', [])], AS_OF, segmentConfig()), 'x02', 'lifecycle')).toBe('registered, never booked');
  });

  it('keys a free-text declared tag by its slug, once', () => {
    const tagged = customer('t01', [], { tags: ['City Break', 'city-break', 'golf', '!!!'] });
    const interests = evaluateSegments([tagged], AS_OF, segmentConfig()).memberships.filter((m) => m.segment.startsWith('interest:'));
    expect(interests.map((m) => [m.segment, m.reason])).toEqual([
      ['interest:city-break', 'declared in the profile as "City Break"'],
      ['interest:golf', 'declared in the profile'],
    ]);
  });

  it('does not call a customer won back who was travelling, not away: the gap is measured from the last trip', () => {
    // A world cruise booked two years ahead, back on 2025-05-01; the next booking 75 days later. 775 days lie
    // between the bookings, but the customer was never quiet for more than 730 days.
    const cruiser = customer('w01', [booking('2023-06-01', 20000_00, { product: 'cruise', returned: '2025-05-01' }), booking('2025-07-15', 3000_00)]);
    const stages = evaluateSegments([cruiser], AS_OF, segmentConfig()).memberships.filter((m) => m.segment.startsWith('lifecycle:'));
    expect(stages.map((m) => m.segment)).toEqual(['lifecycle:repeat']);
  });
});

describe('evaluateSegments sees amendments and tag changes as of their instant', () => {
  // Booked 2026-03-01 at 900.00, amended to 1,200.00 on 2026-05-01; tags golf at registration, beach from 2026-04-01.
  const amended: CustomerFacts = {
    ...customer('a01', [{ ...booking('2026-03-01', 900_00), amountChanges: [{ at: '2026-05-01T09:00:00Z', value: 1200_00, currency: 'EUR' }] }], { tags: ['golf'] }),
    tagChanges: [{ at: '2026-04-01T09:00:00Z', tags: ['beach'] }],
  };
  const of = (asOf: string, family: string): string[] =>
    evaluateSegments([amended], asOf, segmentConfig())
      .memberships.filter((m) => m.segment.startsWith(`${family}:`))
      .map((m) => m.segment);

  it('uses the amount as booked and the registered tags before the changes', () => {
    expect(of('2026-03-15T00:00:00Z', 'discount')).toEqual(['discount:0']);
    expect(of('2026-03-15T00:00:00Z', 'interest')).toEqual(['interest:golf']);
  });

  it('uses the amended amount and the new tags from their instants on', () => {
    expect(of('2026-04-15T00:00:00Z', 'interest')).toEqual(['interest:beach']);
    expect(of('2026-04-15T00:00:00Z', 'discount')).toEqual(['discount:0']);
    expect(of('2026-05-01T09:00:00Z', 'discount')).toEqual(['discount:3']);
  });
});

describe('abcClasses', () => {
  it('puts a customer whose revenue before it is exactly at a cut in the lower class', () => {
    const classes = abcClasses(
      [
        { customerId: 'a', revenue: 80 },
        { customerId: 'b', revenue: 15 },
        { customerId: 'c', revenue: 5 },
        { customerId: 'd', revenue: 0 },
      ],
      80,
      95,
    );
    expect(Object.fromEntries(classes)).toEqual({ a: 'A', b: 'B', c: 'C' });
  });
});

describe('quintileScores', () => {
  it('scores ten distinct values two to a quintile, whatever their order', () => {
    expect(quintileScores([10, 1, 9, 2, 8, 3, 7, 4, 6, 5])).toEqual([5, 1, 5, 1, 4, 2, 4, 2, 3, 3]);
  });

  it('gives equal values the score where their run starts: 1 for a population of equals', () => {
    expect(quintileScores([7, 7, 7])).toEqual([1, 1, 1]);
    expect(quintileScores([1, 2, 2, 2, 2, 2, 2, 2, 2, 3])).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 5]);
  });

  it('keeps score 1 for the many one-trip customers and skips the scores their run covers', () => {
    expect(quintileScores([1, 1, 1, 1, 1, 1, 2, 2, 3, 4])).toEqual([1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
  });
});
