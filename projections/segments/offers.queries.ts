import type { Pool } from 'pg';
import { assertBuilt } from '../../libs/projection-engine/src';
import { recommendOffers, trainOfferModel, type Offer, type OfferModel, type TripFact } from '../../libs/offers/src';
import type { BookingCondition } from '../../libs/segments/src';
import { segmentFactsProjection } from './segment-facts.projection';

/*
 * Next-trip offers (issue 19) are computed as of an instant from the trips segment_facts already keeps: nothing is
 * projected for them, so they cost the write path nothing, come back with any rebuild of segment_facts, and an
 * answer as of a past instant is the answer that was due then. The model (popularity, co-occurrence) is as of the
 * start of the instant's UTC day; the customer's own trips and tags as of the instant itself.
 */

/**
 * Bookings as trips as of the instant $1: made by then and not cancelled by then, with the amount that held then
 * (the last amendment made by then, in log order, else the amount as booked). A city not known (a booking projected
 * before the column existed, until segment_facts is rebuilt) reads as '': the place is its country. `where` adds conditions. Rows come as
 * arrays: at 300,000 trips, objects per row and parsing every amount_changes in JavaScript cost seconds.
 */
const tripsSql = (where: string): string => `
SELECT b.customer_id, b.booking_id, b.destination_country, coalesce(b.destination_city, ''), b.product_type, b.departure_date::text, b.travellers,
       coalesce(amended.value, b.amount_value)::float8, coalesce(amended.currency, b.currency)
  FROM read_models.segment_facts_bookings b
  LEFT JOIN LATERAL (
         SELECT (c->>'value')::bigint AS value, c->>'currency' AS currency
           FROM jsonb_array_elements(b.amount_changes) WITH ORDINALITY AS x(c, i)
          WHERE (c->>'at')::timestamptz <= $1
          ORDER BY i DESC LIMIT 1) amended ON b.amount_changes <> '[]'
 WHERE b.booked_at <= $1 AND (b.cancelled_at IS NULL OR b.cancelled_at > $1) AND ${where}`;

type TripRow = [string, string, string, string, string, string, number, number, string];

const tripOf = ([customerId, bookingId, country, city, productType, departureDate, travellers, amount, currency]: TripRow): TripFact => ({
  customerId,
  bookingId,
  country,
  city,
  productType,
  departureDate,
  travellers,
  amount,
  currency,
});

/** The UTC day of an instant, and that day's start: the model's instant. */
const dayOf = (asOf: string): string => new Date(asOf).toISOString().slice(0, 10);

/** Every trip that started before the day of `asOf`, as known then. */
export async function tripFacts(pool: Pool, asOf: string): Promise<TripFact[]> {
  const at = `${dayOf(asOf)}T00:00:00.000Z`;
  const { rows } = await pool.query<TripRow>({ text: tripsSql(`b.departure_date < ($1::timestamptz AT TIME ZONE 'UTC')::date`), values: [at], rowMode: 'array' });
  return rows.map(tripOf);
}

/**
 * How long a model read from the facts serves later requests for the same day before it is read again: reading and
 * training on every trip takes seconds at 100,000 customers (bench/RESULTS.md), one customer's offers must take under
 * 50 ms. Trips recorded in the meantime reach the model within about this time; the customer's own trips are always
 * read fresh.
 */
export const OFFER_MODEL_TTL_MS = 60_000;

interface HeldModel {
  at: number;
  model: Promise<OfferModel>;
  /** The newer model being read, once this one is older than the TTL. */
  refreshing?: Promise<OfferModel>;
}

/**
 * Models by day, each read once per TTL however many requests ask at once. An expired model keeps answering while its
 * successor is read in the background, so only the first request of a day waits for the read.
 */
export class OfferModels {
  private readonly cache = new Map<string, HeldModel>();

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs = OFFER_MODEL_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  of(asOf: string): Promise<OfferModel> {
    const day = dayOf(asOf);
    const held = this.cache.get(day);
    if (!held) return this.read(day, asOf).model;
    if (this.now() - held.at >= this.ttlMs && !held.refreshing) {
      const next = this.read(day, asOf, held);
      held.refreshing = next.model;
    }
    return held.model;
  }

  /** Has the model of `asOf`'s day read now unless it is held, so no request waits for it; a failure waits for a request. */
  warm(asOf: string): void {
    this.of(asOf).catch(() => undefined);
  }

  /** Reads the day's model; once read, it replaces `previous` (kept on failure: the next request tries again). */
  private read(day: string, asOf: string, previous?: HeldModel): HeldModel {
    const entry: HeldModel = { at: this.now(), model: tripFacts(this.pool, asOf).then((trips) => trainOfferModel(trips, day)) };
    if (!previous) this.cache.set(day, entry);
    entry.model.then(
      () => {
        if (previous) this.cache.set(day, entry);
      },
      () => {
        if (previous) previous.refreshing = undefined;
        else if (this.cache.get(day) === entry) this.cache.delete(day);
      },
    );
    // A few days at most (today, and an as-of or two being looked at).
    for (const key of [...this.cache.keys()].slice(0, Math.max(0, this.cache.size - 4))) this.cache.delete(key);
    return entry;
  }
}

export interface CustomerOffers {
  customerId: string;
  asOf: string;
  /** The model's day: co-occurrence and popularity come from the trips that started before it. */
  modelDay: string;
  modelTrips: number;
  offers: Offer[];
}

/**
 * The offers of each customer in `customerIds` as of `asOf` (customers not registered by then are left out): their
 * trips and declared tags as of the instant, against the day's model. One query for all of them.
 */
export async function offersFor(
  pool: Pool,
  models: OfferModels,
  customerIds: readonly string[],
  asOf: string,
  limit: number,
  derived: Record<string, readonly BookingCondition[]>,
): Promise<Map<string, CustomerOffers>> {
  await assertBuilt(pool, segmentFactsProjection);
  const [model, customers, trips] = await Promise.all([
    models.of(asOf),
    pool.query<{ customer_id: string; declared_tags: string[]; tag_changes: { at: string; tags: string[] }[] }>(
      'SELECT customer_id, declared_tags, tag_changes FROM read_models.segment_facts_customers WHERE customer_id = ANY($1) AND registered_at <= $2',
      [customerIds, asOf],
    ),
    pool.query<TripRow>({ text: tripsSql('b.customer_id = ANY($2)'), values: [asOf, customerIds], rowMode: 'array' }),
  ]);
  const own = new Map<string, TripFact[]>();
  for (const row of trips.rows) own.set(row[0], [...(own.get(row[0]) ?? []), tripOf(row)]);
  const answers = new Map<string, CustomerOffers>();
  for (const row of customers.rows) {
    const tags = row.tag_changes.filter((change) => Date.parse(change.at) <= Date.parse(asOf)).pop()?.tags ?? row.declared_tags;
    const offers = recommendOffers(model, { trips: own.get(row.customer_id) ?? [], tags }, derived, limit);
    answers.set(row.customer_id, { customerId: row.customer_id, asOf, modelDay: model.before, modelTrips: model.trips, offers });
  }
  return answers;
}

/**
 * Offers for every customer registered by `asOf`: the facts read once, the model trained once, each customer scored
 * (bench/offers.bench.ts times it at 100,000 customers). The model's trips are the customers' trips before its day.
 */
export async function offersForAll(pool: Pool, asOf: string, limit: number, derived: Record<string, readonly BookingCondition[]>): Promise<Map<string, Offer[]>> {
  await assertBuilt(pool, segmentFactsProjection);
  const [trips, customers] = await Promise.all([
    tripFacts(pool, asOf),
    pool.query<{ customer_id: string; declared_tags: string[]; tag_changes: { at: string; tags: string[] }[] }>(
      'SELECT customer_id, declared_tags, tag_changes FROM read_models.segment_facts_customers WHERE registered_at <= $1',
      [asOf],
    ),
  ]);
  const model = trainOfferModel(trips, dayOf(asOf));
  const own = new Map<string, TripFact[]>();
  for (const trip of trips) {
    const list = own.get(trip.customerId);
    if (list) list.push(trip);
    else own.set(trip.customerId, [trip]);
  }
  const answers = new Map<string, Offer[]>();
  for (const row of customers.rows) {
    const tags = row.tag_changes.filter((change) => Date.parse(change.at) <= Date.parse(asOf)).pop()?.tags ?? row.declared_tags;
    answers.set(row.customer_id, recommendOffers(model, { trips: own.get(row.customer_id) ?? [], tags }, derived, limit));
  }
  return answers;
}
