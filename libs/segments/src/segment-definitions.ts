/**
 * What a segment config holds, and the defaults the issue names: one family of rules per key of SEGMENT_FAMILIES.
 * segment-config.ts merges a file over these defaults and checks the result.
 */

/** An inclusive range of RFM scores, 1 to 5. */
export type ScoreRange = [number, number];

/** A named RFM segment; rules that can match the same scores need distinct orders (lowest first). */
export interface RfmRule {
  order: number;
  r: ScoreRange;
  f: ScoreRange;
  m: ScoreRange;
}

/** A booking matches when every condition given holds. */
export interface BookingCondition {
  productTypes?: string[];
  minTravellers?: number;
  destinationCountries?: string[];
  channels?: string[];
}

export interface DiscountStep {
  /** Revenue over the window from which this level applies, in base currency major units. */
  minRevenue: number;
  percent: number;
}

/**
 * Segment definitions. Money thresholds are in the base currency's major units; windows in calendar months back from
 * the evaluation instant. `version` is recorded with every evaluation, so history says which rules decided it.
 */
export interface SegmentConfig {
  version: string;
  currency: { base: string; rates: Record<string, number> };
  rfm: { segments: Record<string, RfmRule> };
  valueTiers: {
    tripWindowMonths: number;
    diamond: { minTrips: number; minAverageBookingValue: number };
    gold: { minTrips: number; minAverageBookingValue: number };
    potential: { maxBookings: number; maxAverageBookingValue: number };
  };
  abc: { windowMonths: number; aPercent: number; bPercent: number };
  valueLoyalty: { highScale: number; highLoyaltyMinTrips: number; highLoyaltyMinTenureMonths: number; treatments: Record<Quadrant, string> };
  vip: { candidateWhen: { abcClasses: string[]; valueTiers: string[] } };
  lifecycle: {
    loyalMinBookings: number;
    ownGapMinBookings: number;
    atRiskGapFactor: number;
    lapsedGapFactor: number;
    minAtRiskDays: number;
    minLapsedDays: number;
    defaultAtRiskDays: number;
    defaultLapsedDays: number;
  };
  discount: { windowMonths: number; steps: DiscountStep[]; vipSteps?: DiscountStep[] };
  interests: { derived: Record<string, BookingCondition[]> };
}

export const QUADRANTS = ['keep-and-reward', 'grow-loyalty', 'warm-up', 'sample-and-watch'] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export const SEGMENT_FAMILIES = ['rfm', 'valueTiers', 'abc', 'valueLoyalty', 'vip', 'lifecycle', 'discount', 'interests'] as const;

const range = (from: number, to: number): ScoreRange => [from, to];

/** The defaults the issue names. RFM ranges cover all 125 score triples, and every rule can match some triple. */
export const DEFAULT_SEGMENT_CONFIG: SegmentConfig = {
  version: 'default-1',
  // Example rates (units of the base currency per unit of each currency); replace them with your treasury's table.
  currency: { base: 'EUR', rates: { EUR: 1, USD: 0.92, GBP: 1.17, CHF: 1.05 } },
  rfm: {
    segments: {
      Champions: { order: 1, r: range(4, 5), f: range(4, 5), m: range(4, 5) },
      Loyal: { order: 2, r: range(3, 5), f: range(3, 5), m: range(1, 5) },
      'Potential Loyalist': { order: 3, r: range(4, 5), f: range(2, 2), m: range(1, 5) },
      New: { order: 4, r: range(5, 5), f: range(1, 1), m: range(1, 5) },
      Promising: { order: 5, r: range(4, 4), f: range(1, 1), m: range(1, 5) },
      'Need Attention': { order: 6, r: range(3, 3), f: range(2, 2), m: range(1, 5) },
      'About to Sleep': { order: 7, r: range(3, 3), f: range(1, 1), m: range(1, 5) },
      'At Risk': { order: 8, r: range(2, 2), f: range(2, 5), m: range(1, 5) },
      "Can't Lose Them": { order: 9, r: range(1, 1), f: range(4, 5), m: range(1, 5) },
      Hibernating: { order: 10, r: range(1, 2), f: range(1, 3), m: range(2, 5) },
      Lost: { order: 11, r: range(1, 5), f: range(1, 5), m: range(1, 5) },
    },
  },
  valueTiers: {
    tripWindowMonths: 12,
    diamond: { minTrips: 3, minAverageBookingValue: 5000 },
    gold: { minTrips: 2, minAverageBookingValue: 3000 },
    potential: { maxBookings: 1, maxAverageBookingValue: 3000 },
  },
  abc: { windowMonths: 12, aPercent: 80, bPercent: 95 },
  valueLoyalty: {
    highScale: 6000,
    highLoyaltyMinTrips: 2,
    highLoyaltyMinTenureMonths: 12,
    treatments: {
      'keep-and-reward': 'High value, high loyalty: keep and reward (recognition, priority service, early access).',
      'grow-loyalty': 'High value, low loyalty: grow towards high loyalty (follow-up after the trip, a reason to come back).',
      'warm-up': 'Low value, high loyalty: warm up (upgrades and richer packages for customers who already return).',
      'sample-and-watch': 'Low value, low loyalty: sample and watch (low-cost contact, see who responds).',
    },
  },
  vip: { candidateWhen: { abcClasses: ['A'], valueTiers: ['diamond'] } },
  lifecycle: {
    loyalMinBookings: 4,
    ownGapMinBookings: 3,
    atRiskGapFactor: 1.5,
    lapsedGapFactor: 3,
    minAtRiskDays: 90,
    minLapsedDays: 180,
    defaultAtRiskDays: 365,
    defaultLapsedDays: 730,
  },
  discount: {
    windowMonths: 12,
    steps: [
      { minRevenue: 0, percent: 0 },
      { minRevenue: 1000, percent: 3 },
      { minRevenue: 5000, percent: 5 },
      { minRevenue: 15000, percent: 7 },
      { minRevenue: 30000, percent: 10 },
    ],
  },
  interests: {
    derived: {
      family: [{ productTypes: ['family-package'] }, { minTravellers: 3 }],
      cruise: [{ productTypes: ['cruise'] }],
      'city-break': [{ productTypes: ['city-break'] }],
      'winter-sports': [{ productTypes: ['ski', 'winter-sports'] }],
      adventure: [{ productTypes: ['adventure', 'trekking', 'safari'] }],
    },
  },
};
