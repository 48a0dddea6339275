/*
 * Hand-built trip logs with every expected figure worked out in the comments; nothing expected is computed by
 * production code.
 */
import { trainOfferModel, spendBandOf, type TripFact } from './offer-model';
import { MAX_OFFERS, recommendOffers } from './recommend-offers';
import { DEFAULT_SEGMENT_CONFIG } from '../../segments/src/segment-definitions';

const PLACES: Record<string, [string, string]> = {
  Antalya: ['TR', 'Antalya'],
  Crete: ['GR', 'Crete'],
  Paris: ['FR', 'Paris'],
  Rome: ['IT', 'Rome'],
  Oslo: ['NO', 'Oslo'],
};
let bookings = 0;
/** A couple's package for 1,000.00 EUR unless told otherwise. */
const trip = (customerId: string, place: string, departureDate: string, more: Partial<TripFact> = {}): TripFact => ({
  customerId,
  bookingId: `b${++bookings}`,
  country: PLACES[place][0],
  city: PLACES[place][1],
  productType: 'package',
  departureDate,
  travellers: 2,
  amount: 100_000,
  currency: 'EUR',
  ...more,
});

// Every trip in May, for two, at the same price: month, party and spend lifts are all 1 here.
const LOG = [
  trip('a', 'Antalya', '2022-05-10'),
  trip('a', 'Crete', '2023-05-10'),
  trip('b', 'Antalya', '2022-05-01'),
  trip('b', 'Crete', '2023-05-01'),
  trip('b', 'Paris', '2024-05-01'),
  trip('c', 'Antalya', '2023-05-01'),
  trip('c', 'Rome', '2024-05-01'),
  trip('d', 'Paris', '2024-05-02'),
  // After the model's day: never counted.
  trip('e', 'Antalya', '2025-05-01'),
  trip('e', 'Oslo', '2025-06-01'),
];

describe('the offer model', () => {
  const model = trainOfferModel(LOG, '2025-01-01');

  it('counts only the trips that started before its day', () => {
    expect(model.trips).toBe(8);
    expect(model.destinations.has('NO/Oslo')).toBe(false);
  });

  it('ranks destinations by trips, ties by key', () => {
    // Antalya 3; Paris 2 and Crete 2 ("FR/Paris" < "GR/Crete"); Rome 1.
    expect(model.popular).toEqual(['TR/Antalya', 'FR/Paris', 'GR/Crete', 'IT/Rome']);
  });

  it('counts who went where next, in departure order', () => {
    // a and b went Antalya -> Crete, c Antalya -> Rome, b Crete -> Paris; d has one trip; e's come later.
    expect(Object.fromEntries([...model.next].map(([from, to]) => [from, Object.fromEntries(to)]))).toEqual({
      'TR/Antalya': { 'GR/Crete': 2, 'IT/Rome': 1 },
      'GR/Crete': { 'FR/Paris': 1 },
    });
    expect(Object.fromEntries(model.leaving)).toEqual({ 'TR/Antalya': 3, 'GR/Crete': 1 });
  });

  it('does not count going back to the same place as a next trip', () => {
    const again = trainOfferModel([trip('x', 'Rome', '2020-01-01'), trip('x', 'Rome', '2021-01-01')], '2025-01-01');
    expect(again.next.size).toBe(0);
  });

  it('cuts spend into thirds per currency', () => {
    const spends = trainOfferModel([100, 200, 300].map((amount, i) => trip('s', 'Rome', `2020-0${i + 1}-01`, { amount })), '2025-01-01');
    // Nearest rank: cuts at the 2nd (200) and 3rd (300) of 3 sorted amounts.
    expect(spends.spendCuts.get('EUR')).toEqual([200, 300]);
    expect([100, 200, 300].map((amount) => spendBandOf(spends, { amount, currency: 'EUR' }))).toEqual(['low', 'mid', 'high']);
    expect(spendBandOf(spends, { amount: 100, currency: 'SEK' })).toBe('mid');
  });
});

describe('recommendOffers', () => {
  const model = trainOfferModel(LOG, '2025-01-01');

  it('suggests where customers went next after the customer’s trip, and demotes places visited', () => {
    const offers = recommendOffers(model, { trips: [trip('x', 'Antalya', '2024-05-20')], tags: [] });
    // Crete: 1 x 2/(3+1) + 0.1 x 2/8 = 0.525; Rome: 1 x 1/4 + 0.1 x 1/8 = 0.2625; Paris: 0.1 x 2/8 = 0.025;
    // Antalya (visited): 0.1 x 3/8 x 0.3 = 0.01125.
    expect(offers.map((o) => [o.destination.city, o.score, o.basis])).toEqual([
      ['Crete', 0.525, 'history'],
      ['Rome', 0.2625, 'history'],
      ['Paris', 0.025, 'popular'],
      ['Antalya', 0.01125, 'popular'],
    ]);
    expect(offers[0]).toMatchObject({ destination: { country: 'GR', city: 'Crete' }, productType: 'package', reasons: ['customers who went to Antalya often went to Crete next (2 of 3)'] });
    expect(offers[2].reasons).toEqual(['popular: 2 of 8 trips before 2025-01-01 went to Paris']);
    expect(offers[3].reasons).toEqual(['popular: 3 of 8 trips before 2025-01-01 went to Antalya', 'visited before (2024-05): shown lower']);
  });

  it('weighs the latest trip fully and the one before it by half', () => {
    // Rome 2022, then Crete 2024: Crete's next (Paris 1 of 1) x 1 = 0.5, Rome's (nothing) x 0.5 = 0.
    // Paris: 1 x 1/(1+1) + 0.1 x 2/8 = 0.525.
    const offers = recommendOffers(model, { trips: [trip('x', 'Rome', '2022-05-01'), trip('x', 'Crete', '2024-05-01')], tags: [] }, {}, 1);
    expect(offers.map((o) => [o.destination.city, o.score])).toEqual([['Paris', 0.525]]);
  });

  it('ignores the customer’s trips from the model’s day on', () => {
    const offers = recommendOffers(model, { trips: [trip('x', 'Antalya', '2025-02-01')], tags: [] });
    // Nothing before 2025-01-01: popularity alone, Antalya first at 0.1 x 3/8 = 0.0375, not demoted.
    expect(offers[0]).toMatchObject({ destination: { city: 'Antalya' }, score: 0.0375, basis: 'popular' });
  });

  it('falls back to popularity for a customer without trips', () => {
    const offers = recommendOffers(model, { trips: [], tags: [] }, {}, 2);
    expect(offers.map((o) => [o.destination.city, o.score, o.basis])).toEqual([
      ['Antalya', 0.0375, 'popular'],
      ['Paris', 0.025, 'popular'],
    ]);
  });

  it('keeps to the limit, at most the destinations known', () => {
    expect(recommendOffers(model, { trips: [], tags: [] }, {}, 3)).toHaveLength(3);
    expect(recommendOffers(model, { trips: [], tags: [] }, {}, MAX_OFFERS)).toHaveLength(4);
    expect(recommendOffers(trainOfferModel([], '2025-01-01'), { trips: [], tags: [] })).toEqual([]);
  });

  it('lifts places travelled in the customer’s months, and says so', () => {
    // 8 trips: Oslo 3 in July and 1 in January, Paris 4 in January; July is 3/8 = 0.375 of all trips.
    const seasonal = trainOfferModel(
      [
        ...['2024-07-01', '2024-07-02', '2024-07-03', '2024-01-04'].map((d, i) => trip(`o${i}`, 'Oslo', d)),
        ...['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'].map((d, i) => trip(`p${i}`, 'Paris', d)),
      ],
      '2025-01-01',
    );
    const offers = recommendOffers(seasonal, { trips: [trip('x', 'Rome', '2023-07-15')], tags: [] });
    // Oslo: (3 + 5 x 0.375) / (4 + 5) / 0.375 = 1.444444 lift on 0.1 x 4/8 = 0.05 -> 0.072222.
    // Paris: (0 + 1.875) / 9 / 0.375 = 0.555556 -> 0.027778.
    expect(offers.map((o) => [o.destination.city, o.score])).toEqual([
      ['Oslo', 0.072222],
      ['Paris', 0.027778],
    ]);
    expect(offers[0].reasons).toContain('travels in July');
    expect(offers[1].reasons).not.toContain('travels in July');
  });

  it('lifts places travelled by parties of the customer’s size', () => {
    // Crete: 2 trips of 4; Paris: 2 couples; groups are 2/4 = 0.5 of all trips.
    const parties = trainOfferModel(
      [trip('g1', 'Crete', '2024-05-01', { travellers: 4 }), trip('g2', 'Crete', '2024-05-02', { travellers: 4 }), trip('p1', 'Paris', '2024-05-01'), trip('p2', 'Paris', '2024-05-02')],
      '2025-01-01',
    );
    const offers = recommendOffers(parties, { trips: [trip('x', 'Rome', '2024-05-03', { travellers: 4 })], tags: [] });
    // Crete: (2 + 2.5) / 7 / 0.5 = 1.285714 x 0.1 x 2/4 = 0.064286; Paris: 2.5 / 7 / 0.5 = 0.714286 -> 0.035714.
    expect(offers.map((o) => [o.destination.city, o.score])).toEqual([
      ['Crete', 0.064286],
      ['Paris', 0.035714],
    ]);
    expect(offers[0].reasons).toContain('party of 4');
  });

  it('prefers a product serving a declared or derived interest, and names the interest', () => {
    // Oslo: 2 package trips; Crete: 1 cruise. Declared "Cruise": Crete 0.1 x 1/3 x 1.5 = 0.05, Oslo 0.1 x 2/3 = 0.066667.
    const products = trainOfferModel(
      [trip('a', 'Oslo', '2024-05-01'), trip('b', 'Oslo', '2024-05-02'), trip('c', 'Crete', '2024-05-03', { productType: 'cruise' })],
      '2025-01-01',
    );
    const offers = recommendOffers(products, { trips: [], tags: ['Cruise'] });
    expect(offers.map((o) => [o.destination.city, o.productType, o.score])).toEqual([
      ['Oslo', 'package', 0.066667],
      ['Crete', 'cruise', 0.05],
    ]);
    expect(offers[1].reasons).toContain('interested in cruise');
    // Derived: a trip of 4 makes the default config's "family" interest (3 or more travellers), which a family package serves.
    const families = trainOfferModel([trip('a', 'Oslo', '2024-05-01'), trip('b', 'Crete', '2024-05-02', { productType: 'family-package', travellers: 4 })], '2025-01-01');
    const family = recommendOffers(families, { trips: [trip('x', 'Rome', '2024-05-03', { travellers: 4 })], tags: [] }, DEFAULT_SEGMENT_CONFIG.interests.derived);
    expect(family[0]).toMatchObject({ destination: { city: 'Crete' }, productType: 'family-package' });
    expect(family[0].reasons).toContain('interested in family');
  });

  it('names a place by its country when its city is not known', () => {
    // Bookings projected before segment_facts kept the city read as '' until it is rebuilt: the place is the country.
    const unknown = trainOfferModel([trip('a', 'Rome', '2023-05-01', { city: '' }), trip('a', 'Paris', '2024-05-01', { city: '' })], '2025-01-01');
    const offers = recommendOffers(unknown, { trips: [trip('x', 'Rome', '2024-05-02', { city: '' })], tags: [] }, {}, 1);
    expect(offers[0]).toMatchObject({ destination: { country: 'FR', city: '' }, reasons: ['customers who went to IT often went to FR next (1 of 1)'] });
  });

  it('gives the same answer for the same trips in any order', () => {
    const shuffled = trainOfferModel([...LOG].reverse(), '2025-01-01');
    const customer = { trips: [trip('x', 'Antalya', '2024-05-20')], tags: [] };
    expect(recommendOffers(shuffled, customer)).toEqual(recommendOffers(model, customer));
  });
});
