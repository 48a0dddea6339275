import { minorUnitDigits } from '../../domain/src/money';
import type { BookingFacts, CustomerFacts } from './segment-facts';
import type { SegmentConfig } from './segment-config';

const DAY_MS = 86_400_000;

/** The instant n calendar months before `at` (UTC), clamped to the end of a shorter month: 31 March - 1 = 28/29 February. */
export const monthsBefore = (at: number, months: number): number => {
  const date = new Date(at);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  target.setUTCHours(date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds());
  return target.getTime();
};

/** Whole days from `from` to `to`. */
export const daysBetween = (from: number, to: number): number => Math.floor((to - from) / DAY_MS);

export class MissingExchangeRate extends Error {
  constructor(
    readonly currency: string,
    base: string,
  ) {
    super(`no exchange rate from ${currency} to ${base} in the segments config (currency.rates.${currency})`);
  }
}

/** Converts booking amounts to integer minor units of the base currency, so sums and cut-offs are exact. */
export class BaseCurrency {
  readonly code: string;
  readonly scale: number;
  private readonly factors = new Map<string, number>();
  /** One formatter: toLocaleString with options builds a new one per call, which dominated a 100,000-customer evaluation. */
  private readonly formatter: Intl.NumberFormat;
  constructor(private readonly config: SegmentConfig['currency']) {
    this.code = config.base;
    const digits = minorUnitDigits(config.base);
    this.scale = 10 ** digits;
    this.formatter = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  minor(value: number, currency: string): number {
    let factor = this.factors.get(currency);
    if (factor === undefined) {
      const rate = this.config.rates[currency];
      if (rate === undefined) {
        throw new MissingExchangeRate(currency, this.code);
      }
      factor = (rate * this.scale) / 10 ** minorUnitDigits(currency);
      this.factors.set(currency, factor);
    }
    return Math.round(value * factor);
  }
  /** A threshold in major units, in minor units. */
  threshold(major: number): number {
    return Math.round(major * this.scale);
  }
  format(minor: number): string {
    return `${this.formatter.format(minor / this.scale)} ${this.code}`;
  }
}

/** One customer's numbers as of the evaluation instant; money in base currency minor units. */
export interface CustomerMeasures {
  customerId: string;
  /** Bookings made by the instant and not cancelled by it. */
  bookings: BookingFacts[];
  /** Bookings made by the instant and cancelled by it. */
  cancelled: number;
  revenue: number;
  travellers: number;
  /** Bookings made in the trailing windows of ABC, the discount and the value tiers. */
  abcRevenue: number;
  discountRevenue: number;
  /** Completed (returned) trips by the instant, and those in the value tiers' window. */
  trips: number;
  tripsInTierWindow: number;
  lastTripAt?: number;
  /** Return instants of the completed trips, in booking order. */
  returnedAt: number[];
  firstBookedAt?: number;
  /** Booking instants, oldest first. */
  bookedAt: number[];
  vip: boolean;
  declaredTags: string[];
}

export interface Windows {
  asOf: number;
  abcFrom: number;
  discountFrom: number;
  tierFrom: number;
}

export const windowsOf = (asOf: number, config: SegmentConfig): Windows => ({
  asOf,
  abcFrom: monthsBefore(asOf, config.abc.windowMonths),
  discountFrom: monthsBefore(asOf, config.discount.windowMonths),
  tierFrom: monthsBefore(asOf, config.valueTiers.tripWindowMonths),
});

/** The last of the changes (in log order) made by the instant. */
const latest = <T extends { at: string }>(changes: T[], asOf: number): T | undefined => {
  let found: T | undefined;
  for (const change of changes) if (Date.parse(change.at) <= asOf) found = change;
  return found;
};

/** Null for a customer not yet registered at the instant. Windows are (from, asOf]. */
export function measure(facts: CustomerFacts, windows: Windows, money: BaseCurrency): CustomerMeasures | null {
  const { asOf } = windows;
  if (Date.parse(facts.registeredAt) > asOf) return null;
  const measures: CustomerMeasures = {
    customerId: facts.customerId,
    bookings: [],
    cancelled: 0,
    revenue: 0,
    travellers: 0,
    abcRevenue: 0,
    discountRevenue: 0,
    trips: 0,
    tripsInTierWindow: 0,
    bookedAt: [],
    returnedAt: [],
    vip: false,
    declaredTags: latest(facts.tagChanges, asOf)?.tags ?? facts.declaredTags,
  };
  for (const booking of facts.bookings) {
    const bookedAt = Date.parse(booking.bookedAt);
    if (bookedAt > asOf) continue;
    if (booking.cancelledAt !== undefined && Date.parse(booking.cancelledAt) <= asOf) {
      measures.cancelled++;
      continue;
    }
    const amended = latest(booking.amountChanges, asOf);
    const amount = amended ? money.minor(amended.value, amended.currency) : money.minor(booking.amountValue, booking.currency);
    measures.bookings.push(booking);
    measures.bookedAt.push(bookedAt);
    measures.revenue += amount;
    measures.travellers += booking.travellers;
    if (bookedAt > windows.abcFrom) measures.abcRevenue += amount;
    if (bookedAt > windows.discountFrom) measures.discountRevenue += amount;
    const returnedAt = booking.returnedAt === undefined ? undefined : Date.parse(booking.returnedAt);
    if (returnedAt !== undefined && returnedAt <= asOf) {
      measures.trips++;
      measures.returnedAt.push(returnedAt);
      if (returnedAt > windows.tierFrom) measures.tripsInTierWindow++;
      if (measures.lastTripAt === undefined || returnedAt > measures.lastTripAt) measures.lastTripAt = returnedAt;
    }
  }
  measures.bookedAt.sort((a, b) => a - b);
  measures.firstBookedAt = measures.bookedAt[0];
  for (const change of facts.vipChanges) if (Date.parse(change.at) <= asOf) measures.vip = change.granted;
  return measures;
}

/** The median of a non-empty list. */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
