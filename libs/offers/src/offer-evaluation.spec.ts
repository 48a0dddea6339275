/* The time split, the two baselines and the metrics on a hand-built log; each figure worked out in its comment. */
import { evaluateRankers, popularityBaseline, sameAsLastBaseline, type Ranker } from './offer-evaluation';
import { trainOfferModel, type TripFact } from './offer-model';

const trip = (customerId: string, city: string, departureDate: string): TripFact => ({
  customerId,
  bookingId: `${customerId}-${departureDate}`,
  country: 'XX',
  city,
  productType: 'package',
  departureDate,
  travellers: 2,
  amount: 100_000,
  currency: 'EUR',
});

// Before 2025-01-01: a Crete; b Antalya; c Antalya (popular: Antalya 2, Crete 1).
// After: a Crete then Rome; b Antalya; d (no history) Paris; c nothing.
const LOG = [
  trip('a', 'Crete', '2024-05-01'),
  trip('b', 'Antalya', '2024-06-01'),
  trip('c', 'Antalya', '2024-07-01'),
  trip('a', 'Rome', '2025-06-01'),
  trip('a', 'Crete', '2025-03-01'),
  trip('b', 'Antalya', '2025-05-01'),
  trip('d', 'Paris', '2025-02-01'),
];

describe('evaluateRankers', () => {
  it('trains on the trips before the cut-off and scores the customers with a trip after it', () => {
    const seen: Record<string, number> = {};
    const spy: Ranker = (model, own, customerId) => {
      seen[customerId] = own.length;
      return model.popular;
    };
    const result = evaluateRankers(LOG, '2025-01-01', { spy }, 1);
    expect(result.trainTrips).toBe(3);
    // c has no trip after the cut-off; d none before; a's two later trips never reach the ranker.
    expect(seen).toEqual({ a: 1, b: 1, d: 0 });
    expect(result.all.spy.customers).toBe(3);
    expect(result.withHistory.spy.customers).toBe(2);
  });

  it('measures the popularity baseline', () => {
    const { all, withHistory } = evaluateRankers(LOG, '2025-01-01', { popularity: popularityBaseline(1) }, 1);
    // Top 1 is Antalya for everyone. a: next Crete, miss; wanted {Crete, Rome}: recall 0. b: hit, recall 1. d: miss, 0.
    expect(all.popularity).toEqual({ customers: 3, hitRate: 1 / 3, recall: 1 / 3 });
    expect(withHistory.popularity).toEqual({ customers: 2, hitRate: 1 / 2, recall: 1 / 2 });
  });

  it('measures the same-as-last-trip baseline', () => {
    const { all, withHistory } = evaluateRankers(LOG, '2025-01-01', { last: sameAsLastBaseline(1) }, 1);
    // a: [Crete] hit, recall 1/2. b: [Antalya] hit, recall 1. d: no last trip, [Antalya] by popularity: miss, 0.
    expect(all.last).toEqual({ customers: 3, hitRate: 2 / 3, recall: 1.5 / 3 });
    expect(withHistory.last).toEqual({ customers: 2, hitRate: 1, recall: 1.5 / 2 });
  });

  it('fills the same-as-last list with earlier places, then popular ones', () => {
    const history = [trip('x', 'Oslo', '2020-01-01'), trip('x', 'Rome', '2021-01-01')];
    // Popular: Paris 2, then Oslo 1 and Rome 1. x: Rome (last), Oslo (before), then Paris to fill; no fourth place exists.
    const model = trainOfferModel([...history, trip('y', 'Paris', '2021-02-01'), trip('y', 'Paris', '2021-03-01')], '2025-01-01');
    expect(sameAsLastBaseline(4)(model, history, 'x')).toEqual(['XX/Rome', 'XX/Oslo', 'XX/Paris']);
    expect(popularityBaseline(2)(model, history, 'x')).toEqual(['XX/Paris', 'XX/Oslo']);
  });
});
