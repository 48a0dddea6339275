/**
 * What the whole customer base did, as of an instant: how popular each destination is, when and by whom it is
 * travelled, and which destination customers went to next after each one (item-to-item co-occurrence of sequential
 * trips). Plain functions over plain facts: the same trips and instant always give the same model.
 */

/** One trip as the offers see it: a booking that was not cancelled, with where, what, when, who and how much. */
export interface TripFact {
  customerId: string;
  bookingId: string;
  country: string;
  city: string;
  productType: string;
  /** Calendar date, YYYY-MM-DD: a trip counts from the day it starts. */
  departureDate: string;
  travellers: number;
  /** The amount as booked, minor units of currency. */
  amount: number;
  currency: string;
}

/** A destination's key: "GR/Chania". Country and city as booked. */
export const destinationKey = (trip: { country: string; city: string }): string => `${trip.country}/${trip.city}`;
export const placeOf = (key: string): { country: string; city: string } => {
  const cut = key.indexOf('/');
  return { country: key.slice(0, cut), city: key.slice(cut + 1) };
};

/** How a place reads in words: its city, or its country when the city is not known (empty). */
export const placeName = (place: { country: string; city: string }): string => place.city || place.country;

/** Party bands: a trip alone, as a couple, or as a group of 3 or more (families mostly). */
export type PartyBand = 'solo' | 'couple' | 'group';
export const partyBand = (travellers: number): PartyBand => (travellers <= 1 ? 'solo' : travellers === 2 ? 'couple' : 'group');

/** Spend bands: the lower, middle and upper third of trip amounts in the trip's currency, over the model's trips. */
export type SpendBand = 'low' | 'mid' | 'high';

export interface DestinationStats {
  key: string;
  trips: number;
  /** Trips by departure month, 0 = January. */
  months: number[];
  parties: Record<PartyBand, number>;
  spends: Record<SpendBand, number>;
  productTypes: Map<string, number>;
}

export interface OfferModel {
  /** The model holds the trips that started before this day (YYYY-MM-DD, UTC). */
  before: string;
  trips: number;
  destinations: Map<string, DestinationStats>;
  /** Destinations by trips, most first, ties by key: the popularity ranking. */
  popular: string[];
  /** from -> to -> customers' next trips that went from one to the other (a repeat of the same place is not counted). */
  next: Map<string, Map<string, number>>;
  /** from -> how many next trips left it for another place: the denominator of "often went to ... next". */
  leaving: Map<string, number>;
  /** Per currency, the amounts at the thirds: [lower cut, upper cut]. */
  spendCuts: Map<string, [number, number]>;
  /** Share of all trips per month, per party band and per spend band: what "more than usual" is measured against. */
  share: { months: number[]; parties: Record<PartyBand, number>; spends: Record<SpendBand, number> };
}

export const monthOf = (date: string): number => Number(date.slice(5, 7)) - 1;

/** Orders one customer's trips: by departure date, then booking id, so equal days give the same order every time. */
export const byDeparture = (a: TripFact, b: TripFact): number =>
  a.departureDate < b.departureDate ? -1 : a.departureDate > b.departureDate ? 1 : a.bookingId < b.bookingId ? -1 : a.bookingId > b.bookingId ? 1 : 0;

export function spendBandOf(model: Pick<OfferModel, 'spendCuts'>, trip: Pick<TripFact, 'amount' | 'currency'>): SpendBand {
  const cuts = model.spendCuts.get(trip.currency);
  if (!cuts) return 'mid';
  return trip.amount < cuts[0] ? 'low' : trip.amount >= cuts[1] ? 'high' : 'mid';
}

function spendCutsOf(trips: readonly TripFact[]): Map<string, [number, number]> {
  const amounts = new Map<string, number[]>();
  for (const trip of trips) {
    const list = amounts.get(trip.currency) ?? [];
    list.push(trip.amount);
    amounts.set(trip.currency, list);
  }
  const cuts = new Map<string, [number, number]>();
  for (const [currency, list] of amounts) {
    list.sort((a, b) => a - b);
    // Nearest-rank thirds: with 3 trips of 100, 200, 300 the cuts are 200 and 300, one trip per band.
    cuts.set(currency, [list[Math.floor(list.length / 3)], list[Math.floor((2 * list.length) / 3)]]);
  }
  return cuts;
}

/**
 * The model from the trips that started before `before` (a YYYY-MM-DD day): trips on or after it are left out, so a
 * model as of a past day never learns from what came later. Trips may come in any order.
 */
export function trainOfferModel(allTrips: readonly TripFact[], before: string): OfferModel {
  const trips = allTrips.filter((trip) => trip.departureDate < before);
  const spendCuts = spendCutsOf(trips);
  const model: OfferModel = {
    before,
    trips: trips.length,
    destinations: new Map(),
    popular: [],
    next: new Map(),
    leaving: new Map(),
    spendCuts,
    share: { months: new Array<number>(12).fill(0), parties: { solo: 0, couple: 0, group: 0 }, spends: { low: 0, mid: 0, high: 0 } },
  };
  const byCustomer = new Map<string, TripFact[]>();
  for (const trip of trips) {
    const key = destinationKey(trip);
    let stats = model.destinations.get(key);
    if (!stats) {
      stats = { key, trips: 0, months: new Array<number>(12).fill(0), parties: { solo: 0, couple: 0, group: 0 }, spends: { low: 0, mid: 0, high: 0 }, productTypes: new Map() };
      model.destinations.set(key, stats);
    }
    const month = monthOf(trip.departureDate);
    const party = partyBand(trip.travellers);
    const spend = spendBandOf(model, trip);
    stats.trips++;
    stats.months[month]++;
    stats.parties[party]++;
    stats.spends[spend]++;
    stats.productTypes.set(trip.productType, (stats.productTypes.get(trip.productType) ?? 0) + 1);
    model.share.months[month]++;
    model.share.parties[party]++;
    model.share.spends[spend]++;
    const own = byCustomer.get(trip.customerId) ?? [];
    own.push(trip);
    byCustomer.set(trip.customerId, own);
  }
  for (const own of byCustomer.values()) {
    own.sort(byDeparture);
    for (let i = 1; i < own.length; i++) {
      const from = destinationKey(own[i - 1]);
      const to = destinationKey(own[i]);
      if (from === to) continue;
      const row = model.next.get(from) ?? new Map<string, number>();
      row.set(to, (row.get(to) ?? 0) + 1);
      model.next.set(from, row);
      model.leaving.set(from, (model.leaving.get(from) ?? 0) + 1);
    }
  }
  // Products in name order, so choosing one never sorts them again (recommend-offers.ts).
  for (const stats of model.destinations.values()) stats.productTypes = new Map([...stats.productTypes].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  model.popular = [...model.destinations.values()].sort((a, b) => b.trips - a.trips || (a.key < b.key ? -1 : 1)).map((s) => s.key);
  const total = Math.max(1, trips.length);
  model.share.months = model.share.months.map((n) => n / total);
  for (const band of Object.keys(model.share.parties) as PartyBand[]) model.share.parties[band] /= total;
  for (const band of Object.keys(model.share.spends) as SpendBand[]) model.share.spends[band] /= total;
  return model;
}
