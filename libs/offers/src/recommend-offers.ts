import type { BookingCondition } from '../../segments/src/segment-definitions';
import {
  byDeparture,
  destinationKey,
  monthOf,
  partyBand,
  placeName,
  placeOf,
  spendBandOf,
  type DestinationStats,
  type OfferModel,
  type SpendBand,
  type TripFact,
} from './offer-model';

/** One next-trip suggestion, with why in words. */
export interface Offer {
  destination: { country: string; city: string };
  productType: string;
  /** Higher is better; only the order means something. */
  score: number;
  /** `history`: from what customers did after this customer's trips; `popular`: the fallback for a customer without one. */
  basis: 'history' | 'popular';
  reasons: string[];
}

export interface OfferCustomer {
  /** Their trips (cancelled ones left out); those on or after the model's day are ignored. */
  trips: readonly TripFact[];
  /** Interest tags declared in the profile, as given. */
  tags: readonly string[];
}

/**
 * The weights, fixed before any evaluation (bench/offers.bench.ts never tunes them): popularity breaks ties and carries
 * customers without history; a context lift moves a score at most by half or double; a visited place keeps 30 %.
 */
export const OFFER_WEIGHTS = { popularity: 0.1, shrink: 5, minLift: 0.5, maxLift: 2, interest: 1.5, visited: 0.3, reasonLift: 1.2, candidates: 50 } as const;

/** The most offers one answer holds (GET /customers/:id/offers?limit=). */
export const MAX_OFFERS = 20;
export const DEFAULT_OFFERS = 5;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const SPEND_WORDS: Record<SpendBand, string> = { low: 'the lower third', mid: 'the middle third', high: 'the upper third' };

const slugs = new Map<string, string>();
/** A tag or product name as a segment key takes it ("City Break" is city-break); memoised, as product names repeat on every candidate. */
const slug = (tag: string): string => {
  let made = slugs.get(tag);
  if (made === undefined) {
    made = tag
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    if (slugs.size < 10_000) slugs.set(tag, made);
  }
  return made;
};

const matches = (condition: BookingCondition, productType: string, travellers: number, country: string): boolean =>
  (!condition.productTypes || condition.productTypes.includes(productType)) &&
  (condition.minTravellers === undefined || travellers >= condition.minTravellers) &&
  (!condition.destinationCountries || condition.destinationCountries.includes(country));

/**
 * How much more often a destination's trips fall in the customer's context than trips in general: its share, pulled
 * toward the overall share by `shrink` pseudo-trips (a place with 2 trips proves little), over the overall share,
 * kept within [minLift, maxLift]. 1 when the context is unknown.
 */
function lift(inContext: number, trips: number, overall: number): number {
  if (overall <= 0) return 1;
  const share = (inContext + OFFER_WEIGHTS.shrink * overall) / (trips + OFFER_WEIGHTS.shrink);
  return Math.min(OFFER_WEIGHTS.maxLift, Math.max(OFFER_WEIGHTS.minLift, share / overall));
}

/** The customer's habits from their own trips: months travelled (most first), party and spend of the latest trip. */
function habitsOf(model: OfferModel, own: readonly TripFact[]) {
  const monthCounts = new Map<number, number>();
  for (const trip of own) monthCounts.set(monthOf(trip.departureDate), (monthCounts.get(monthOf(trip.departureDate)) ?? 0) + 1);
  const months = [...monthCounts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([month]) => month);
  const last = own[own.length - 1];
  return {
    months,
    party: last ? partyBand(last.travellers) : undefined,
    travellers: last?.travellers,
    spend: last ? spendBandOf(model, last) : undefined,
    productTypes: new Set(own.map((trip) => trip.productType)),
  };
}

/** The interest tags: declared (as slugs) and derived from the customer's own trips by the configured conditions. */
function interestsOf(customer: OfferCustomer, own: readonly TripFact[], derived: Record<string, readonly BookingCondition[]>): Set<string> {
  const tags = new Set(customer.tags.map(slug).filter(Boolean));
  for (const [tag, conditions] of Object.entries(derived)) {
    if (own.some((trip) => conditions.some((c) => matches(c, trip.productType, trip.travellers, trip.country)))) tags.add(tag);
  }
  return tags;
}

/** The interest a product at a destination serves, if any: a tag named like the product, or a derived tag's condition (tags in name order). */
function interestServed(tags: readonly string[], derived: Record<string, readonly BookingCondition[]>, productType: string, travellers: number, country: string): string | undefined {
  if (!tags.length) return undefined;
  const named = slug(productType);
  if (tags.includes(named)) return named;
  return tags.find((tag) => derived[tag]?.some((c) => matches(c, productType, travellers, country)));
}

/**
 * The top `limit` next-trip suggestions for one customer from `model`: for each candidate destination, what customers
 * did next after this customer's trips (latest weighs 1, the one before 1/2, ...) plus a little popularity, times how
 * well it fits their months, party and spend, times 1.5 for a product serving one of their interests, times 0.3 if
 * they have been there. Without history, popularity alone (and interests). Ties go to the destination key.
 */
export function recommendOffers(model: OfferModel, customer: OfferCustomer, derived: Record<string, readonly BookingCondition[]> = {}, limit = DEFAULT_OFFERS): Offer[] {
  const own = customer.trips.filter((trip) => trip.departureDate < model.before).sort(byDeparture);
  const habits = habitsOf(model, own);
  const tags = interestsOf(customer, own, derived);
  const visited = new Map(own.map((trip) => [destinationKey(trip), trip.departureDate.slice(0, 7)]));

  // Where each candidate's co-occurrence comes from: from -> weight.
  const weights = new Map<string, number>();
  own.forEach((trip, i) => weights.set(destinationKey(trip), Math.max(weights.get(destinationKey(trip)) ?? 0, 0.5 ** (own.length - 1 - i))));
  const candidates = new Set(model.popular.slice(0, Math.max(OFFER_WEIGHTS.candidates, limit)));
  for (const from of weights.keys()) for (const to of model.next.get(from)?.keys() ?? []) candidates.add(to);

  const sortedTags = [...tags].sort();
  const travellers = habits.travellers ?? 2;
  // The same products come back on every candidate: each is judged once per customer (per country only when a
  // derived interest names countries). This is most of the time of offers for every customer.
  const byCountry = sortedTags.some((tag) => derived[tag]?.some((c) => c.destinationCountries));
  const served = new Map<string, string | null>();
  const serves = (productType: string, country: string): string | undefined => {
    if (!sortedTags.length) return undefined;
    const key = byCountry ? `${productType}\u0000${country}` : productType;
    let interest = served.get(key);
    if (interest === undefined) served.set(key, (interest = interestServed(sortedTags, derived, productType, travellers, country) ?? null));
    return interest ?? undefined;
  };
  // Scores for every candidate; the words only for those kept (most of the time goes to candidates never shown).
  const scored = [...candidates].map((key) => {
    const stats = model.destinations.get(key)!;
    let together = 0;
    let strongest: { from: string; part: number } | undefined;
    for (const [from, weight] of weights) {
      const n = model.next.get(from)?.get(key) ?? 0;
      if (!n) continue;
      const part = (weight * n) / ((model.leaving.get(from) ?? 0) + 1);
      together += part;
      if (!strongest || part > strongest.part) strongest = { from, part };
    }
    const popularity = OFFER_WEIGHTS.popularity * (stats.trips / Math.max(1, model.trips));
    const season = habits.months.length ? lift(habits.months.reduce((n, m) => n + stats.months[m], 0), stats.trips, habits.months.reduce((n, m) => n + model.share.months[m], 0)) : 1;
    const party = habits.party ? lift(stats.parties[habits.party], stats.trips, model.share.parties[habits.party]) : 1;
    const spend = habits.spend ? lift(stats.spends[habits.spend], stats.trips, model.share.spends[habits.spend]) : 1;
    const country = key.slice(0, key.indexOf('/'));
    const productType = productFor(stats, habits.productTypes, (product) => serves(product, country));
    const interest = serves(productType, country);
    const been = visited.get(key);
    const score = (together + popularity) * season * party * spend * (interest ? OFFER_WEIGHTS.interest : 1) * (been ? OFFER_WEIGHTS.visited : 1);
    return { key, stats, productType, score, together, strongest, popularity, season, party, spend, interest, been };
  });
  scored.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1));
  return scored.slice(0, limit).map((c) => {
    const place = placeOf(c.key);
    const reasons: string[] = [];
    if (c.strongest && c.strongest.part >= c.popularity) {
      reasons.push(`customers who went to ${placeName(placeOf(c.strongest.from))} often went to ${placeName(place)} next (${model.next.get(c.strongest.from)!.get(c.key)} of ${model.leaving.get(c.strongest.from)})`);
    } else {
      reasons.push(`popular: ${c.stats.trips} of ${model.trips} trips before ${model.before} went to ${placeName(place)}`);
    }
    if (c.season >= OFFER_WEIGHTS.reasonLift) reasons.push(`travels in ${habits.months.slice(0, 2).map((m) => MONTHS[m]).join(' and ')}`);
    if (c.party >= OFFER_WEIGHTS.reasonLift) reasons.push(`party of ${habits.travellers}`);
    if (c.spend >= OFFER_WEIGHTS.reasonLift) reasons.push(`spends in ${SPEND_WORDS[habits.spend!]} of trips`);
    if (c.interest) reasons.push(`interested in ${c.interest}`);
    if (c.been) reasons.push(`visited before (${c.been}): shown lower`);
    return { destination: place, productType: c.productType, score: Math.round(c.score * 1e6) / 1e6, basis: c.together > 0 ? 'history' : 'popular', reasons };
  });
}

/** The product to offer there: the most travelled one, doubled if the customer has taken it and 1.5 times if it serves an interest. */
function productFor(stats: DestinationStats, taken: Set<string>, serves: (productType: string) => string | undefined): string {
  let best = '';
  let bestScore = -1;
  // productTypes is in name order (trainOfferModel), so a tie goes to the first name.
  for (const [productType, trips] of stats.productTypes) {
    const score = trips * (taken.has(productType) ? 2 : 1) * (serves(productType) ? OFFER_WEIGHTS.interest : 1);
    if (score > bestScore) [best, bestScore] = [productType, score];
  }
  return best;
}
