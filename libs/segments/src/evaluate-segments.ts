import { BaseCurrency, daysBetween, measure, median, monthsBefore, windowsOf, type CustomerMeasures } from './customer-measures';
import type { CustomerFacts } from './segment-facts';
import { QUADRANTS, type BookingCondition, type DiscountStep, type SegmentConfig } from './segment-config';

export interface Membership {
  customerId: string;
  segment: string;
  /** Why, in words a person can check against the customer's history. */
  reason: string;
}

/** Per-customer figures behind the memberships; money in base currency minor units. */
export interface CustomerScores {
  customerId: string;
  recencyDays: number | null;
  trips: number;
  bookings: number;
  revenue: number;
  r: number | null;
  f: number | null;
  m: number | null;
  abcRevenue: number;
  abcClass: string | null;
  discountRevenue: number;
  discountPercent: number;
  nextDiscountPercent: number | null;
  spendToNextDiscount: number | null;
}

export interface SegmentEvaluation {
  asOf: string;
  configVersion: string;
  currency: string;
  /** Sorted by customer, then segment. */
  memberships: Membership[];
  scores: CustomerScores[];
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * Days the customer was quiet before the last booking: since the booking before it or the latest trip return before
 * it, whichever is later (someone on a long cruise booked two years ahead was travelling, not away).
 */
const awayBeforeLast = (c: CustomerMeasures): number => {
  const last = c.bookedAt[c.bookedAt.length - 1];
  return daysBetween(Math.max(c.bookedAt[c.bookedAt.length - 2], ...c.returnedAt.filter((at) => at < last)), last);
};

/** `Can't Lose Them` -> `cant-lose-them`. */
export const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * Quintile scores 1..5 by the share of customers with a strictly lower value: score = 1 + floor(5 * lower / n). Equal
 * values always share a score (the one where their run starts), the result never depends on the order customers come
 * in, and the lowest value always scores 1: where most customers have one trip, they all have F 1 (so New and
 * Promising keep their members) and the score above is skipped instead.
 */
export function quintileScores(values: number[]): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = values.length;
  /** Values strictly below: the index of the first value not below. */
  const lowerThan = (value: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return values.map((value) => 1 + Math.floor((5 * lowerThan(value)) / n));
}

/**
 * ABC classes by cumulative revenue, largest first (equal revenue: customer id ascending). A customer belongs to
 * the class in which its cumulative share starts, so the one who crosses a cut-off takes the higher class.
 */
export function abcClasses(customers: { customerId: string; revenue: number }[], aPercent: number, bPercent: number): Map<string, string> {
  const ranked = customers.filter((c) => c.revenue > 0).sort((x, y) => y.revenue - x.revenue || (x.customerId < y.customerId ? -1 : 1));
  const total = ranked.reduce((sum, c) => sum + c.revenue, 0);
  const classes = new Map<string, string>();
  let before = 0;
  for (const { customerId, revenue } of ranked) {
    classes.set(customerId, before * 100 < aPercent * total ? 'A' : before * 100 < bPercent * total ? 'B' : 'C');
    before += revenue;
  }
  return classes;
}

const matchesCondition = (booking: CustomerMeasures['bookings'][number], condition: BookingCondition): boolean =>
  (!condition.productTypes || condition.productTypes.includes(booking.productType)) &&
  (condition.minTravellers === undefined || booking.travellers >= condition.minTravellers) &&
  (!condition.destinationCountries || condition.destinationCountries.includes(booking.destinationCountry)) &&
  (!condition.channels || condition.channels.includes(booking.channel));

const stepOf = (steps: DiscountStep[], revenue: number, money: BaseCurrency): { level: DiscountStep; next?: DiscountStep } => {
  let index = 0;
  while (index + 1 < steps.length && money.threshold(steps[index + 1].minRevenue) <= revenue) index++;
  return { level: steps[index], next: steps[index + 1] };
};

/** Every family for every customer registered by `asOf`; the same facts, instant and config always give the same rows. */
export function evaluateSegments(facts: Iterable<CustomerFacts>, asOfIso: string, config: SegmentConfig): SegmentEvaluation {
  const asOf = Date.parse(asOfIso);
  const money = new BaseCurrency(config.currency);
  const windows = windowsOf(asOf, config);
  const customers: CustomerMeasures[] = [];
  for (const customer of facts) {
    const measures = measure(customer, windows, money);
    if (measures) customers.push(measures);
  }
  customers.sort((x, y) => (x.customerId < y.customerId ? -1 : x.customerId > y.customerId ? 1 : 0));

  // Population families: RFM over customers with a completed trip, ABC over revenue in the window.
  const active = customers.filter((c) => c.trips > 0);
  const recency = new Map(active.map((c) => [c.customerId, daysBetween(c.lastTripAt!, asOf)]));
  const [r, f, m] = [
    quintileScores(active.map((c) => -recency.get(c.customerId)!)),
    quintileScores(active.map((c) => c.trips)),
    quintileScores(active.map((c) => c.revenue)),
  ];
  const rfm = new Map(active.map((c, i) => [c.customerId, { r: r[i], f: f[i], m: m[i] }]));
  const rfmRules = Object.entries(config.rfm.segments).sort(([, a], [, b]) => a.order - b.order);
  const abc = abcClasses(
    customers.map((c) => ({ customerId: c.customerId, revenue: c.abcRevenue })),
    config.abc.aPercent,
    config.abc.bPercent,
  );

  const tiers = config.valueTiers;
  const life = config.lifecycle;
  const tenureFrom = monthsBefore(asOf, config.valueLoyalty.highLoyaltyMinTenureMonths);
  const derivedTags = Object.entries(config.interests.derived);
  const memberships: Membership[] = [];
  const scores: CustomerScores[] = [];

  for (const c of customers) {
    const joined: Membership[] = [];
    const join = (segment: string, reason: string): void => void joined.push({ customerId: c.customerId, segment, reason });
    const n = c.bookings.length;
    const average = n ? c.revenue / n : 0;
    const averageText = money.format(Math.round(average));

    const score = rfm.get(c.customerId);
    if (score) {
      const [name] = rfmRules.find(([, rule]) => [score.r, score.f, score.m].every((s, i) => s >= [rule.r, rule.f, rule.m][i][0] && s <= [rule.r, rule.f, rule.m][i][1]))!;
      join(
        `rfm:${slug(name)}`,
        `R${score.r} F${score.f} M${score.m} (score ${score.r * 100 + score.f * 10 + score.m}): last trip ${recency.get(c.customerId)} days ago, ` +
          `${plural(c.trips, 'trip')}, revenue ${money.format(c.revenue)}`,
      );
    }

    if (c.tripsInTierWindow >= tiers.diamond.minTrips && average >= money.threshold(tiers.diamond.minAverageBookingValue) && n) {
      join('value-tier:diamond', `${plural(c.tripsInTierWindow, 'trip')} in ${tiers.tripWindowMonths} months, average booking ${averageText}`);
    } else if (n && (c.tripsInTierWindow >= tiers.gold.minTrips || average >= money.threshold(tiers.gold.minAverageBookingValue))) {
      join('value-tier:gold', `${plural(c.tripsInTierWindow, 'trip')} in ${tiers.tripWindowMonths} months, average booking ${averageText}`);
    } else if (n && n <= tiers.potential.maxBookings && average <= money.threshold(tiers.potential.maxAverageBookingValue)) {
      join('value-tier:potential', `${plural(n, 'booking')}, average booking ${averageText}`);
    }

    const abcClass = abc.get(c.customerId) ?? null;
    if (abcClass) join(`abc:${abcClass.toLowerCase()}`, `revenue ${money.format(c.abcRevenue)} in the last ${config.abc.windowMonths} months`);

    if (n) {
      const scale = (average * c.travellers) / n;
      const highValue = scale >= money.threshold(config.valueLoyalty.highScale);
      const highLoyalty = c.trips >= config.valueLoyalty.highLoyaltyMinTrips && c.firstBookedAt! <= tenureFrom;
      const quadrant = QUADRANTS[(highValue ? 0 : 2) + (highLoyalty ? 0 : 1)];
      join(
        `value-loyalty:${quadrant}`,
        `scale ${money.format(Math.round(scale))} (${highValue ? 'high' : 'low'}), ${plural(c.trips, 'trip')} since ${new Date(c.firstBookedAt!).toISOString().slice(0, 10)} ` +
          `(${highLoyalty ? 'high' : 'low'} loyalty)`,
      );
    }

    if (c.vip) join('vip:vip', 'granted by a person');
    else if (config.vip.candidateWhen.abcClasses.includes(abcClass ?? '') || joined.some((j) => config.vip.candidateWhen.valueTiers.some((t) => j.segment === `value-tier:${t}`))) {
      join('vip:candidate', `not VIP yet, ${joined.filter((j) => j.segment.startsWith('abc:') || j.segment.startsWith('value-tier:')).map((j) => j.segment).join(' and ')}`);
    }

    // Lifecycle: thresholds from the customer's own typical gap between bookings when there are enough of them.
    if (!n) join('lifecycle:prospect', c.cancelled ? `registered, ${plural(c.cancelled, 'booking')} made and cancelled` : 'registered, never booked');
    else {
      const gaps = c.bookedAt.slice(1).map((at, i) => daysBetween(c.bookedAt[i], at));
      const own = n >= life.ownGapMinBookings ? median(gaps) : undefined;
      const atRiskDays = own === undefined ? life.defaultAtRiskDays : Math.max(life.minAtRiskDays, own * life.atRiskGapFactor);
      const lapsedDays = own === undefined ? life.defaultLapsedDays : Math.max(life.minLapsedDays, own * life.lapsedGapFactor);
      // Whether the latest booking ended a lapse is judged by the gaps before it: the gap being judged must not raise its own bar.
      const wonBackAfter = n - 1 >= life.ownGapMinBookings ? Math.max(life.minLapsedDays, median(gaps.slice(0, -1)) * life.lapsedGapFactor) : life.defaultLapsedDays;
      const idle = daysBetween(Math.max(c.bookedAt[n - 1], c.lastTripAt ?? 0), asOf);
      const thresholds = `${own === undefined ? 'default' : `own typical gap ${own} days:`} at risk after ${Math.round(atRiskDays)}, lapsed after ${Math.round(lapsedDays)} days`;
      if (idle > lapsedDays) join('lifecycle:lapsed', `${idle} days since the last booking or trip; ${thresholds}`);
      else if (idle > atRiskDays) join('lifecycle:at-risk', `${idle} days since the last booking or trip; ${thresholds}`);
      else if (n >= 2 && awayBeforeLast(c) > wonBackAfter) {
        join('lifecycle:won-back', `booked again after ${awayBeforeLast(c)} days away; lapsed after ${Math.round(wonBackAfter)} days before that booking`);
      }
      else if (n >= life.loyalMinBookings) join('lifecycle:loyal', `${n} bookings`);
      else if (n >= 2) join('lifecycle:repeat', `${n} bookings`);
      else join('lifecycle:first-time', '1 booking');
    }

    const { level, next } = stepOf(c.vip && config.discount.vipSteps ? config.discount.vipSteps : config.discount.steps, c.discountRevenue, money);
    const spendToNext = next ? money.threshold(next.minRevenue) - c.discountRevenue : null;
    join(
      `discount:${level.percent}`,
      `revenue ${money.format(c.discountRevenue)} in the last ${config.discount.windowMonths} months${c.vip && config.discount.vipSteps ? ' (VIP steps)' : ''}` +
        (next ? `; ${money.format(spendToNext!)} more reaches ${next.percent} %` : ''),
    );

    // Declared tags are free text: the segment key takes its slug, so "City Break" is interest:city-break.
    const tags = new Set<string>();
    for (const declared of c.declaredTags) {
      const tag = slug(declared);
      if (!tag || tags.has(tag)) continue;
      tags.add(tag);
      join(`interest:${tag}`, tag === declared ? 'declared in the profile' : `declared in the profile as "${declared}"`);
    }
    for (const [tag, conditions] of derivedTags) {
      if (tags.has(tag)) continue;
      const booking = c.bookings.find((b) => conditions.some((condition) => matchesCondition(b, condition)));
      if (booking) {
        tags.add(tag);
        join(`interest:${tag}`, `booking ${booking.bookingId} (${booking.productType}, ${booking.travellers} travellers, ${booking.destinationCountry})`);
      }
    }

    joined.sort((x, y) => (x.segment < y.segment ? -1 : x.segment > y.segment ? 1 : 0));
    memberships.push(...joined);
    scores.push({
      customerId: c.customerId,
      recencyDays: recency.get(c.customerId) ?? null,
      trips: c.trips,
      bookings: n,
      revenue: c.revenue,
      r: score?.r ?? null,
      f: score?.f ?? null,
      m: score?.m ?? null,
      abcRevenue: c.abcRevenue,
      abcClass,
      discountRevenue: c.discountRevenue,
      discountPercent: level.percent,
      nextDiscountPercent: next?.percent ?? null,
      spendToNextDiscount: spendToNext,
    });
  }
  return { asOf: new Date(asOf).toISOString(), configVersion: config.version, currency: money.code, memberships, scores };
}
