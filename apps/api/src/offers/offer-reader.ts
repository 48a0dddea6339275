import type { Pool } from 'pg';
import type { Offer } from '../../../../libs/offers/src';
import { FactsNotReady } from '../../../../libs/projection-engine/src';
import type { BookingCondition } from '../../../../libs/segments/src';
import { KIND_PHASE, type TouchpointKind } from '../../../../libs/touchpoints/src';
import { OfferModels, offersFor, type CustomerOffers } from '../../../../projections/segments/offers.queries';

/** How many offers a touchpoint row carries as hints. */
export const OFFER_HINTS = 3;

/**
 * The touchpoints whose content the offers feed: before a trip, after it, and the win-back offer. Attached when
 * touchpoints are read, never projected: the touchpoints read model must not depend on a model of the whole customer
 * base that changes with time, or a rebuild would not come back equal.
 */
export const offersFeed = (kind: string): boolean => {
  const phase = KIND_PHASE[kind as TouchpointKind];
  return phase === 'pre-trip' || phase === 'post-trip' || kind === 'win-back-offer';
};

const DAY_MS = 86_400_000;
/** How long before a UTC day begins its model is read: it takes seconds (3.7-5.7 s for 300,000 trips, bench/RESULTS.md). */
export const OFFER_WARM_AHEAD_MS = 5 * 60_000;
/** How long the engine waits at start for today's model before it listens anyway. */
export const OFFER_WARM_START_MS = 20_000;

/** "Crete, GR (package): customers who went to Antalya often went to Crete next (2 of 3)"; the country alone when the city is not known. */
export const offerHint = (offer: Offer): string =>
  `${offer.destination.city ? `${offer.destination.city}, ` : ''}${offer.destination.country} (${offer.productType}): ${offer.reasons.join('; ')}`;

/**
 * Offers for the API: one model cache for the process, the configured derived interests, and forgotten customers
 * answered with none (customer_overview's erased flag): they asked to be forgotten, and their offers would retell
 * their trips. Their trips still count, without their name, in what others are offered, as in segment_facts.
 */
export class OfferReader {
  private readonly models: OfferModels;

  constructor(
    private readonly pool: Pool,
    private readonly derived: Record<string, readonly BookingCondition[]>,
  ) {
    this.models = new OfferModels(pool);
  }

  /**
   * Keeps the day's model read before anyone asks: today's now, and each next day's OFFER_WARM_AHEAD_MS before it
   * begins, so no request of the day waits seconds for it (issue 19: one customer's offers in under 50 ms). What is
   * booked in those last minutes comes in with the model's refresh after its TTL, as all day. Until the signal aborts.
   * Resolves with today's model's trips once it is read (the engine waits for it before it listens), or with null
   * when the read failed (a database down, segment_facts being rebuilt): then the first request reads it.
   */
  keepWarm(signal: AbortSignal): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const arm = (dayStart: number): void => {
      timer = setTimeout(() => {
        this.models.warm(new Date(dayStart).toISOString());
        arm(dayStart + DAY_MS);
      }, Math.max(0, dayStart - OFFER_WARM_AHEAD_MS - Date.now()));
      timer.unref();
    };
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    arm(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);
    return this.models.of(new Date().toISOString()).then(
      (model) => model.trips,
      () => null,
    );
  }

  /** The customers of `ids` that are forgotten. */
  private async forgotten(ids: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ customer_id: string }>('SELECT customer_id FROM read_models.customer_overview WHERE customer_id = ANY($1) AND erased', [ids]);
    return new Set(rows.map((row) => row.customer_id));
  }

  /** One customer's offers; erased true (and no offers) for a forgotten one; none for one not registered by `asOf`. */
  async customer(customerId: string, asOf: string, limit: number): Promise<CustomerOffers & { erased: boolean }> {
    const erased = (await this.forgotten([customerId])).size > 0;
    const answers = erased ? new Map<string, CustomerOffers>() : await offersFor(this.pool, this.models, [customerId], asOf, limit, this.derived);
    const model = await this.models.of(asOf);
    return { customerId, asOf, modelDay: model.before, modelTrips: model.trips, offers: answers.get(customerId)?.offers ?? [], erased };
  }

  /** Each touchpoint row that offers feed gets `offerHints` (the top OFFER_HINTS offers as of `asOf`); every other row an empty list. */
  async withHints<T extends { customerId: string; kind: string }>(rows: readonly T[], asOf: string): Promise<(T & { offerHints: string[] })[]> {
    const ids = [...new Set(rows.filter((row) => offersFeed(row.kind)).map((row) => row.customerId))];
    const forgotten = ids.length ? await this.forgotten(ids) : new Set<string>();
    const wanted = ids.filter((id) => !forgotten.has(id));
    let answers = new Map<string, CustomerOffers>();
    try {
      if (wanted.length) answers = await offersFor(this.pool, this.models, wanted, asOf, OFFER_HINTS, this.derived);
    } catch (error) {
      // segment_facts being rebuilt (a new version): the schedule still answers, without offers until it is switched in.
      if (!(error instanceof FactsNotReady)) throw error;
    }
    return rows.map((row) => ({ ...row, offerHints: offersFeed(row.kind) ? (answers.get(row.customerId)?.offers ?? []).map(offerHint) : [] }));
  }
}
