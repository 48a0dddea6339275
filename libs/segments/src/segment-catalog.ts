import { slug } from './evaluate-segments';
import { QUADRANTS, type SegmentConfig } from './segment-config';

export interface SegmentDefinition {
  segment: string;
  family: string;
  name: string;
  description: string;
}

/** Every segment the config can produce, for GET /segments; interest tags declared in profiles come on top of these. */
export function segmentCatalog(config: SegmentConfig): SegmentDefinition[] {
  const money = (major: number): string => `${major.toLocaleString('en-US')} ${config.currency.base}`;
  const { diamond, gold, potential, tripWindowMonths } = config.valueTiers;
  const steps = [...new Set([...config.discount.steps, ...(config.discount.vipSteps ?? [])].map((s) => s.percent))].sort((a, b) => a - b);
  const define = (family: string, name: string, description: string, key = slug(name)): SegmentDefinition => ({
    segment: `${family}:${key}`,
    family,
    name,
    description,
  });
  return [
    ...Object.entries(config.rfm.segments)
      .sort(([, a], [, b]) => a.order - b.order)
      .map(([name, rule]) => define('rfm', name, `first matching rule ${rule.order}: R ${rule.r.join('-')}, F ${rule.f.join('-')}, M ${rule.m.join('-')}`)),
    define('value-tier', 'Diamond', `at least ${diamond.minTrips} trips in ${tripWindowMonths} months and average booking at least ${money(diamond.minAverageBookingValue)}`),
    define('value-tier', 'Gold', `${gold.minTrips}+ trips in ${tripWindowMonths} months, or average booking at least ${money(gold.minAverageBookingValue)} (not Diamond)`),
    define('value-tier', 'Potential', `at most ${potential.maxBookings} booking(s) with average booking up to ${money(potential.maxAverageBookingValue)} (not Gold)`),
    ...['A', 'B', 'C'].map((abcClass, i) =>
      define('abc', abcClass, [`first ${config.abc.aPercent} %`, `up to ${config.abc.bPercent} %`, 'the rest'][i] + ` of revenue over ${config.abc.windowMonths} months`),
    ),
    ...QUADRANTS.map((quadrant) => define('value-loyalty', quadrant, config.valueLoyalty.treatments[quadrant], quadrant)),
    define('vip', 'VIP', 'granted by a person (POST /customers/:id/vip), until revoked'),
    define('vip', 'Candidate', `not VIP, ABC class ${config.vip.candidateWhen.abcClasses.join('/') || '-'} or value tier ${config.vip.candidateWhen.valueTiers.join('/') || '-'}`),
    ...['prospect', 'first-time', 'repeat', 'loyal', 'at-risk', 'lapsed', 'won-back'].map((stage) => define('lifecycle', stage, LIFECYCLE[stage], stage)),
    ...steps.map((percent) => define('discount', `${percent} %`, `loyalty discount of ${percent} % (revenue over ${config.discount.windowMonths} months)`, String(percent))),
    ...Object.entries(config.interests.derived).map(([tag]) => define('interest', tag, 'declared in the profile or derived from bookings', tag)),
  ];
}

const LIFECYCLE: Record<string, string> = {
  prospect: 'registered, no booking standing (never booked, or every booking cancelled)',
  'first-time': 'one booking',
  repeat: 'two or more bookings',
  loyal: 'many bookings (lifecycle.loyalMinBookings)',
  'at-risk': 'quiet for longer than usual (own typical gap, or the default)',
  lapsed: 'quiet for much longer than usual',
  'won-back': 'booked again after being lapsed',
};
