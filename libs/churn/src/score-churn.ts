import { clv, expectedPurchases, expectedValuePerPurchase, pAlive, summarise, UNIT_DAYS, type GammaGammaParams, type ModelName, type ModelParams, type TimeUnit, type Transaction } from '../../clv/src';
import type { BaseCurrency } from '../../segments/src';
import type { ChurnConfig, Signal } from './churn-config';

/**
 * What the churn_facts projection keeps per customer. Instants are ISO 8601 strings; money is integer minor units in
 * the booking's own currency. Scores read them as of an instant, so the same facts and instant give the same score.
 */
export interface ChurnFacts {
  customerId: string;
  bookings: { bookingId: string; amountValue: number; currency: string; returnedAt?: string; cancelledAt?: string }[];
  complaints: { complaintId: string; filedAt: string; severity: keyof ChurnConfig['complaintDeadlineHours']; resolvedAt?: string }[];
  surveys: { answeredAt: string; nps: number }[];
  /** Instants of logged interactions (calls, messages), either direction. */
  contacts: string[];
}

/** A fitted model as the engine stores it. */
export interface ChurnModel {
  fitId: number;
  model: ModelName;
  unit: TimeUnit;
  params: ModelParams;
  gammaGamma: GammaGammaParams | null;
}

export type RiskBand = 'low' | 'medium' | 'high';

export interface Reason {
  /** `dropout` or a service signal. */
  signal: 'dropout' | Signal;
  points: number;
  text: string;
}

/** Money in major units of the base currency. */
export interface ChurnScore {
  customerId: string;
  trips: number;
  lastTripAt: string;
  pAlive: number;
  expectedTrips: number;
  expectedValue: number;
  clv: number;
  risk: number;
  band: RiskBand;
  reasons: Reason[];
}

const DAY_MS = 86_400_000;
const MONTH_DAYS = 365.25 / 12;
/** Rounded to `digits` decimals (Math.round: toFixed was a tenth of the scoring time). */
const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
const date = (at: number): string => new Date(at).toISOString().slice(0, 10);
const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
const months = (days: number): string => (days < 2 * MONTH_DAYS ? plural(Math.round(days), 'day') : plural(Math.round(days / MONTH_DAYS), 'month'));
const hours = (h: number): string => (h < 48 ? plural(Math.floor(h), 'hour') : plural(Math.floor(h / 24), 'day'));

/**
 * The customer's purchases for the model: each completed trip (returned by the instant) at its return, for its
 * amount in major units of the base currency. Several returns on one day are one purchase (`summarise` adds them).
 */
export function purchasesOf(facts: ChurnFacts, asOf: number, money: BaseCurrency): Transaction[] {
  const purchases: Transaction[] = [];
  for (const booking of facts.bookings) {
    if (booking.returnedAt === undefined || Date.parse(booking.returnedAt) > asOf) continue;
    if (booking.cancelledAt !== undefined && Date.parse(booking.cancelledAt) <= asOf) continue;
    purchases.push({ customerId: facts.customerId, at: booking.returnedAt, amount: money.minor(booking.amountValue, booking.currency) / money.scale });
  }
  return purchases;
}

/** The service signals that hold at the instant, each with its reason. */
function signals(facts: ChurnFacts, asOf: number, config: ChurnConfig, lastTripAt: number): Reason[] {
  const reasons: Reason[] = [];
  const add = (signal: Signal, text: string): void => void reasons.push({ signal, points: config.weights[signal], text });

  const open = facts.complaints.filter((c) => Date.parse(c.filedAt) <= asOf && (c.resolvedAt === undefined || Date.parse(c.resolvedAt) > asOf));
  const overdue = open
    .map((c) => ({ ...c, openHours: (asOf - Date.parse(c.filedAt)) / 3_600_000, deadline: config.complaintDeadlineHours[c.severity] }))
    .filter((c) => c.openHours > c.deadline)
    .sort((x, y) => y.openHours - y.deadline - (x.openHours - x.deadline));
  if (overdue.length) {
    const [worst] = overdue;
    add('overdueComplaint', `complaint ${worst.complaintId} (${worst.severity}) open ${hours(worst.openHours)}, deadline ${worst.deadline} h` + (overdue.length > 1 ? `; ${overdue.length - 1} more overdue` : ''));
  }
  if (open.length) add('unresolvedComplaint', `${plural(open.length, 'complaint')} unresolved: ${open.map((c) => c.complaintId).join(', ')}`);

  let last: ChurnFacts['surveys'][number] | undefined;
  for (const survey of facts.surveys) if (Date.parse(survey.answeredAt) <= asOf && (!last || survey.answeredAt >= last.answeredAt)) last = survey;
  if (last && last.nps <= config.detractorMaxNps) add('detractor', `last NPS ${last.nps} on ${last.answeredAt.slice(0, 10)} (a detractor: ${config.detractorMaxNps} or below)`);

  const contactBy = lastTripAt + config.contactWithinDays * DAY_MS;
  if (asOf >= contactBy && !facts.contacts.some((at) => Date.parse(at) >= lastTripAt && Date.parse(at) <= contactBy)) {
    add('noContactAfterReturn', `no contact within ${plural(config.contactWithinDays, 'day')} after the return on ${date(lastTripAt)}`);
  }

  const since = asOf - config.cancellationWithinDays * DAY_MS;
  const cancelled = facts.bookings.filter((b) => b.cancelledAt !== undefined && Date.parse(b.cancelledAt) > since && Date.parse(b.cancelledAt) <= asOf);
  if (cancelled.length) {
    const latest = cancelled.reduce((x, y) => (Date.parse(y.cancelledAt!) > Date.parse(x.cancelledAt!) ? y : x));
    add('recentCancellation', `booking ${latest.bookingId} cancelled ${plural(Math.floor((asOf - Date.parse(latest.cancelledAt!)) / DAY_MS), 'day')} ago` + (cancelled.length > 1 ? `; ${cancelled.length} in ${config.cancellationWithinDays} days` : ''));
  }
  return reasons;
}

/**
 * The customer's churn risk as of `asOf` (ms): null without a completed trip by then (the model describes buyers).
 * Risk = dropout weight x (1 - P(alive)) + the weight of each service signal that holds, capped at 100.
 */
export function scoreCustomer(facts: ChurnFacts, fit: ChurnModel, asOf: number, config: ChurnConfig, money: BaseCurrency): ChurnScore | null {
  const purchases = purchasesOf(facts, asOf, money);
  if (!purchases.length) return null;
  const [summary] = summarise(purchases, new Date(asOf).toISOString(), fit.unit);
  if (!summary) return null;
  const lastTripAt = Math.max(...purchases.map((p) => Date.parse(p.at)));
  const alive = pAlive(fit.model, fit.params, summary);
  const unitsPerMonth = MONTH_DAYS / UNIT_DAYS[fit.unit];
  const expectedTrips = expectedPurchases(fit.model, fit.params, summary, config.expectedTripsMonths * unitsPerMonth);
  const value = fit.gammaGamma
    ? expectedValuePerPurchase(fit.gammaGamma, summary)
    : purchases.reduce((sum, p) => sum + p.amount, 0) / purchases.length;
  const worth = clv(fit.model, fit.params, value, summary, {
    horizon: Math.round(config.clv.horizonMonths * unitsPerMonth),
    margin: config.clv.margin,
    annualDiscountRate: config.clv.annualDiscountRate,
    unit: fit.unit,
  });

  const idleDays = (asOf - lastTripAt) / DAY_MS;
  const usual = summary.x > 0 ? `usually travels every ${months(((summary.tx / summary.x) * UNIT_DAYS[fit.unit]))}` : 'one trip so far';
  const reasons: Reason[] = [
    {
      signal: 'dropout',
      points: Math.round(config.weights.dropout * (1 - alive)),
      text: `P(alive) ${alive.toFixed(2)}: no trip for ${months(idleDays)}, ${usual}`,
    },
    ...signals(facts, asOf, config, lastTripAt),
  ];
  const risk = Math.min(100, reasons.reduce((sum, reason) => sum + reason.points, 0));
  return {
    customerId: facts.customerId,
    trips: purchases.length,
    lastTripAt: new Date(lastTripAt).toISOString(),
    pAlive: round(alive, 4),
    expectedTrips: round(expectedTrips, 4),
    expectedValue: round(value, 2),
    clv: round(worth, 2),
    risk,
    band: risk >= config.bands.high ? 'high' : risk >= config.bands.medium ? 'medium' : 'low',
    reasons,
  };
}
