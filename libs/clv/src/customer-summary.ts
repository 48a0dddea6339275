/** The time unit every count, recency, age, horizon and rate of the models is measured in. */
export type TimeUnit = 'day' | 'week' | 'month';

/** Length of each unit in days: a month is a twelfth of a Julian year (365.25 / 12 = 30.4375 days), never a hidden 30. */
export const UNIT_DAYS: Record<TimeUnit, number> = { day: 1, week: 7, month: 365.25 / 12 };

export const TIME_UNITS = Object.keys(UNIT_DAYS) as TimeUnit[];

export interface Transaction {
  customerId: string;
  /** ISO 8601 date (`1997-01-01`) or instant (`1997-01-01T12:00:00Z`); the purchase day is its UTC calendar day. */
  at: string;
  /** Major units of the customer's currency (one currency per data set). */
  amount: number;
}

/** The sufficient statistics of the buy-till-you-die models, in the unit the summary was made with. */
export interface CustomerSummary {
  customerId: string;
  /** Repeat purchases: distinct purchase days - 1. */
  x: number;
  /** Recency: from the first to the last purchase day. */
  tx: number;
  /** Age: from the first purchase day to the observation end's day. */
  T: number;
  /** Mean amount of the repeat purchase days (first excluded), 0 when x = 0. */
  monetary: number;
}

const DAY_MS = 86_400_000;
const ISO_START = /^\d{4}-\d{2}-\d{2}/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Milliseconds of an ISO date or instant, or NaN. */
export const isoTime = (value: string): number => (ISO_START.test(value) ? Date.parse(value) : Number.NaN);

/**
 * The observation end as the last instant counted and its UTC day: a date alone counts its whole day (the CDNOW
 * calibration "up to and including 1997-09-30"), an instant counts up to itself.
 */
export function observationWindow(observationEnd: string): { lastMs: number; day: number } {
  const ms = isoTime(observationEnd);
  if (Number.isNaN(ms)) throw new RangeError(`observation end must be an ISO 8601 date or instant such as 1997-09-30, got "${observationEnd}"`);
  const day = Math.floor(ms / DAY_MS);
  return { lastMs: DATE_ONLY.test(observationEnd) ? (day + 1) * DAY_MS - 1 : ms, day };
}

/** Ids of digits only compare as numbers (2 before 10), the rest by code units: the CDNOW ids come out in file order. */
export const compareIds = (a: string, b: string): number => {
  const digitsA = /^\d+$/.test(a);
  const digitsB = /^\d+$/.test(b);
  if (digitsA && digitsB && a.length !== b.length) return a.length - b.length;
  if (digitsA !== digitsB) return digitsA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * Per customer (sorted by id): several transactions on one calendar day (UTC) are one purchase, amounts summed;
 * x = distinct days - 1; tx and T in `unit` from the first purchase day to the last one and to the observation end's
 * day. Transactions after the observation end are ignored, so a customer whose first purchase is later is left out.
 */
export function summarise(transactions: Iterable<Transaction>, observationEnd: string, unit: TimeUnit): CustomerSummary[] {
  const { lastMs, day: endDay } = observationWindow(observationEnd);
  const unitDays = UNIT_DAYS[unit];
  if (unitDays === undefined) throw new RangeError(`unit must be one of ${TIME_UNITS.join(', ')}, got "${String(unit)}"`);
  const days = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    const ms = isoTime(t.at);
    if (Number.isNaN(ms)) throw new RangeError(`transaction of customer "${t.customerId}": at must be an ISO 8601 date or instant, got "${t.at}"`);
    if (!Number.isFinite(t.amount)) throw new RangeError(`transaction of customer "${t.customerId}" at ${t.at}: amount must be a finite number, got ${t.amount}`);
    if (ms > lastMs) continue;
    const day = Math.floor(ms / DAY_MS);
    let customer = days.get(t.customerId);
    if (!customer) days.set(t.customerId, (customer = new Map()));
    customer.set(day, (customer.get(day) ?? 0) + t.amount);
  }
  const summaries: CustomerSummary[] = [];
  for (const [customerId, amounts] of days) {
    let first = Infinity;
    let last = -Infinity;
    let total = 0;
    for (const [day, amount] of amounts) {
      first = Math.min(first, day);
      last = Math.max(last, day);
      total += amount;
    }
    const x = amounts.size - 1;
    summaries.push({
      customerId,
      x,
      tx: (last - first) / unitDays,
      T: (endDay - first) / unitDays,
      monetary: x > 0 ? (total - (amounts.get(first) ?? 0)) / x : 0,
    });
  }
  return summaries.sort((a, b) => compareIds(a.customerId, b.customerId));
}
