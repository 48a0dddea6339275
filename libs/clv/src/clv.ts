import type { History } from './bg-models';
import { UNIT_DAYS, type TimeUnit } from './customer-summary';
import { expectedPurchasesAt, type ModelName, type ModelParams } from './models';

export interface ClvOptions {
  /** Whole units of `unit` ahead. */
  horizon: number;
  /** Share of the value that is profit, 0..1. */
  margin: number;
  /** Yearly rate, e.g. 0.1; turned into the equivalent rate per unit. */
  annualDiscountRate: number;
  unit: TimeUnit;
}

/** The per-unit rate equivalent to a yearly one: (1 + annual)^(unit days / 365.25) - 1. */
export const perUnitDiscountRate = (annualDiscountRate: number, unit: TimeUnit): number => Math.pow(1 + annualDiscountRate, UNIT_DAYS[unit] / 365.25) - 1;

export function checkClvOptions({ horizon, margin, annualDiscountRate, unit }: ClvOptions): void {
  if (!Number.isInteger(horizon) || horizon < 0) throw new RangeError(`horizon must be a whole number of units >= 0, got ${horizon}`);
  if (!(margin >= 0 && margin <= 1)) throw new RangeError(`margin must be between 0 and 1, got ${margin}`);
  if (!(annualDiscountRate > -1) || !Number.isFinite(annualDiscountRate)) throw new RangeError(`annual discount rate must be a number above -1, got ${annualDiscountRate}`);
  if (UNIT_DAYS[unit] === undefined) throw new RangeError(`unit must be day, week or month, got "${String(unit)}"`);
}

/**
 * Discounted CLV over the horizon: sum over k = 1..horizon of E[purchases in (T+k-1, T+k]] x value x margin / (1+d)^k,
 * d the per-unit rate equivalent to the annual one. Purchases in a unit are discounted to that unit's end.
 * The params must be in `options.unit` (the unit the customers were summarised in).
 */
export function clv(model: ModelName, params: ModelParams, value: number, c: History, options: ClvOptions): number {
  checkClvOptions(options);
  const { horizon, margin } = options;
  const steps = new Float64Array(horizon);
  for (let k = 0; k < horizon; k++) steps[k] = k + 1;
  const cumulative = expectedPurchasesAt(model, params, c, steps);
  const growth = 1 + perUnitDiscountRate(options.annualDiscountRate, options.unit);
  let total = 0;
  let before = 0;
  let discount = 1;
  for (let k = 0; k < horizon; k++) {
    discount /= growth;
    total += (cumulative[k] - before) * discount;
    before = cumulative[k];
  }
  return total * value * margin;
}
