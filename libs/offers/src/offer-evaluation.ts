import { byDeparture, destinationKey, trainOfferModel, type OfferModel, type TripFact } from './offer-model';

/** A way to rank destinations for one customer from a model and their trips before the cut-off: destination keys, best first. */
export type Ranker = (model: OfferModel, own: readonly TripFact[], customerId: string) => string[];

/** The popularity baseline: the most travelled destinations before the cut-off, the same for everyone. */
export const popularityBaseline =
  (k: number): Ranker =>
  (model) =>
    model.popular.slice(0, k);

/**
 * The "same as last trip" baseline: the last trip's destination, then the customer's other destinations from the
 * latest back, then the popular ones to fill k (a customer without trips gets the popular ones).
 */
export const sameAsLastBaseline =
  (k: number): Ranker =>
  (model, own) => {
    const ranked: string[] = [];
    for (const trip of [...own].sort(byDeparture).reverse()) if (!ranked.includes(destinationKey(trip))) ranked.push(destinationKey(trip));
    for (const key of model.popular) if (!ranked.includes(key)) ranked.push(key);
    return ranked.slice(0, k);
  };

export interface RankerFigures {
  /** Customers with a trip after the cut-off. */
  customers: number;
  /** Share of them whose first trip after the cut-off went to one of the top k. */
  hitRate: number;
  /** Mean share of each one's distinct destinations after the cut-off that are in the top k. */
  recall: number;
}

export interface Evaluation {
  cutoff: string;
  k: number;
  trainTrips: number;
  /** Figures over every customer with a trip after the cut-off, and over those with trips before it too. */
  all: Record<string, RankerFigures>;
  withHistory: Record<string, RankerFigures>;
}

/**
 * The time split: a model from the trips that started before `cutoff` only, then each customer with a trip on or
 * after it is ranked from their trips before it, and scored against what they did after. Nothing after the cut-off
 * reaches a ranker but the customer id.
 */
export function evaluateRankers(trips: readonly TripFact[], cutoff: string, rankers: Record<string, Ranker>, k = 5): Evaluation {
  const model = trainOfferModel(trips, cutoff);
  const before = new Map<string, TripFact[]>();
  const after = new Map<string, TripFact[]>();
  for (const trip of trips) {
    const side = trip.departureDate < cutoff ? before : after;
    const list = side.get(trip.customerId) ?? [];
    list.push(trip);
    side.set(trip.customerId, list);
  }
  const tallies = (names: string[]) => Object.fromEntries(names.map((name) => [name, { customers: 0, hits: 0, recall: 0 }]));
  const all = tallies(Object.keys(rankers));
  const withHistory = tallies(Object.keys(rankers));
  for (const customerId of [...after.keys()].sort()) {
    const future = after.get(customerId)!.sort(byDeparture);
    const next = destinationKey(future[0]);
    const wanted = new Set(future.map(destinationKey));
    const own = before.get(customerId) ?? [];
    for (const [name, rank] of Object.entries(rankers)) {
      const top = rank(model, own, customerId).slice(0, k);
      const hit = top.includes(next) ? 1 : 0;
      const recall = [...wanted].filter((key) => top.includes(key)).length / wanted.size;
      for (const tally of own.length ? [all[name], withHistory[name]] : [all[name]]) {
        tally.customers++;
        tally.hits += hit;
        tally.recall += recall;
      }
    }
  }
  const figures = (t: Record<string, { customers: number; hits: number; recall: number }>) =>
    Object.fromEntries(Object.entries(t).map(([name, x]) => [name, { customers: x.customers, hitRate: x.customers ? x.hits / x.customers : 0, recall: x.customers ? x.recall / x.customers : 0 }]));
  return { cutoff, k, trainTrips: model.trips, all: figures(all), withHistory: figures(withHistory) };
}
