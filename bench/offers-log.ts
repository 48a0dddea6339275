/**
 * A trip log with planted structure for the offers benchmark: each customer is of one type, and a type has a family
 * of preferred destinations, preferred months, a usual party size and a product; each trip goes to the family (a
 * place not visited yet when there is one) with probability 1 - noise, else anywhere; a later trip goes back to a
 * place already visited with probability `repeat`. Seeded, so every run writes
 * the same trips. The recommender is not told the types: it has to find the families from who went where next.
 */
import type { TripFact } from '../libs/offers/src';

/** mulberry32: small, fast, good enough for test data. */
export const prng = (seed: number) => (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

interface CustomerType {
  name: string;
  share: number;
  family: readonly (readonly [string, string])[];
  months: readonly number[];
  travellers: readonly number[];
  productType: string;
  /** Price per traveller, major units. */
  price: readonly [number, number];
}

const TYPES: readonly CustomerType[] = [
  { name: 'beach', share: 0.3, family: [['TR', 'Antalya'], ['GR', 'Crete'], ['ES', 'Palma'], ['GR', 'Rhodes'], ['CY', 'Paphos'], ['EG', 'Hurghada']], months: [5, 6, 7, 8], travellers: [2, 2, 4], productType: 'package', price: [500, 1100] },
  { name: 'city', share: 0.25, family: [['FR', 'Paris'], ['IT', 'Rome'], ['CZ', 'Prague'], ['AT', 'Vienna'], ['ES', 'Barcelona'], ['PT', 'Lisbon']], months: [3, 4, 9, 10], travellers: [1, 2], productType: 'city-break', price: [250, 700] },
  { name: 'ski', share: 0.15, family: [['AT', 'Innsbruck'], ['CH', 'Zermatt'], ['FR', 'Chamonix'], ['IT', 'Cortina'], ['AD', 'Andorra la Vella']], months: [12, 1, 2, 3], travellers: [2, 3, 4], productType: 'ski', price: [700, 1500] },
  { name: 'family', share: 0.2, family: [['ES', 'Tenerife'], ['PT', 'Algarve'], ['IT', 'Rimini'], ['HR', 'Porec'], ['BG', 'Sunny Beach'], ['TR', 'Side']], months: [7, 8], travellers: [3, 4, 5], productType: 'family-package', price: [400, 900] },
  { name: 'long-haul', share: 0.1, family: [['TH', 'Phuket'], ['MV', 'Male'], ['MU', 'Grand Baie'], ['MX', 'Cancun'], ['ID', 'Bali']], months: [11, 12, 1, 2, 3], travellers: [2], productType: 'flight-hotel', price: [1500, 3500] },
];
const EVERYWHERE = TYPES.flatMap((type) => type.family);

export interface OffersLogPlan {
  customers: number;
  /** Trips per customer: 1 plus a Poisson-like count with this mean. */
  meanExtraTrips: number;
  /** Share of trips that go anywhere, whatever the type. */
  noise: number;
  /** Share of later trips that go back to a place already visited. */
  repeat: number;
  /** Trips depart within [firstYear-01-01, lastYear-12-31]. */
  firstYear: number;
  lastYear: number;
  seed: number;
}

export const DEFAULT_OFFERS_LOG: OffersLogPlan = { customers: 20_000, meanExtraTrips: 2, noise: 0.2, repeat: 0.2, firstYear: 2021, lastYear: 2025, seed: 19 };

const pad = (n: number): string => String(n).padStart(2, '0');

/** The trips, customer by customer; customer i's type is drawn from their own seed. */
export function plantedTrips(plan: OffersLogPlan = DEFAULT_OFFERS_LOG): TripFact[] {
  const trips: TripFact[] = [];
  const years = plan.lastYear - plan.firstYear + 1;
  for (let i = 0; i < plan.customers; i++) {
    const rand = prng(plan.seed * 1_000_003 + i);
    let u = rand();
    const type = TYPES.find((t) => (u -= t.share) < 0) ?? TYPES[TYPES.length - 1];
    let extra = 0;
    for (let p = Math.exp(-plan.meanExtraTrips), s = rand(); s > p; s *= rand()) extra++;
    const count = 1 + Math.min(extra, 8);
    // Trips spread over the years in order, one per slot, so each trip's departure follows the one before.
    const slots = Array.from({ length: count }, () => Math.floor(rand() * years)).sort((a, b) => a - b);
    const seen = new Set<string>();
    slots.forEach((slot, n) => {
      const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
      const fresh = type.family.filter(([country, city]) => !seen.has(`${country}/${city}`));
      const again = seen.size > 0 && rand() < plan.repeat;
      const [country, city] = again ? pick([...seen].map((key) => key.split('/') as [string, string])) : rand() < plan.noise ? pick(EVERYWHERE) : pick(fresh.length ? fresh : type.family);
      seen.add(`${country}/${city}`);
      const month = rand() < plan.noise ? 1 + Math.floor(rand() * 12) : pick(type.months);
      const travellers = pick(type.travellers);
      const price = type.price[0] + rand() * (type.price[1] - type.price[0]);
      trips.push({
        customerId: `c${i}`,
        bookingId: `c${i}-b${n}`,
        country,
        city,
        productType: rand() < plan.noise ? pick(['package', 'city-break', 'flight-hotel', 'cruise']) : type.productType,
        // Several trips in one year keep their order by month slots: n-th trip of a year in a later day.
        departureDate: `${plan.firstYear + slot}-${pad(month)}-${pad(1 + Math.min(27, n * 3 + Math.floor(rand() * 3)))}`,
        travellers,
        amount: Math.round(price * travellers) * 100,
        currency: 'EUR',
      });
    });
  }
  return trips;
}
