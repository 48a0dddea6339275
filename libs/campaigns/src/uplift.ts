/**
 * Uplift of a treatment arm over a held-out control arm (issue 18): pure arithmetic on counts, no database.
 *
 * The method, named so an analyst can check it:
 * - the difference of two proportions d = p_t − p_c with a 95 % **unpooled Wald interval**
 *   d ± z₀.₉₇₅ · √(p_t(1 − p_t)/n_t + p_c(1 − p_c)/n_c), z₀.₉₇₅ = 1.959963984540054;
 * - a two-sided **z-test** of d = 0 with the **pooled** standard error √(p̂(1 − p̂)(1/n_t + 1/n_c)),
 *   p̂ = (x_t + x_c)/(n_t + n_c) (under the null hypothesis both arms share one rate), p = erfc(|z|/√2);
 * - incremental conversions d · n_t (and its interval, the same interval times n_t: n_t is fixed by the design);
 * - relative uplift d / p_c, a point estimate only (its interval would need p_c's own uncertainty: not given);
 * - revenue per customer per arm and the incremental revenue (r_t − r_c) · n_t, per currency, without an interval
 *   (revenue is heavy-tailed: a normal interval on it would be misleading at campaign sizes).
 * The interval is Wald's: with few conversions (n·p below about 10 in an arm) it is too narrow, which the result says.
 */

/** z such that Φ(z) = 0.975: the two-sided 95 % quantile of the standard normal. */
export const Z_975 = 1.959963984540054;

export interface ArmCounts {
  /** Customers in the arm (after dropping those who withdrew consent or were forgotten). */
  customers: number;
  /** Customers of the arm who converted (each counted once). */
  conversions: number;
  /** Revenue in the conversion window, minor units, by ISO currency. */
  revenue: Record<string, number>;
}

export interface ArmResult extends ArmCounts {
  /** conversions / customers; null for an empty arm. */
  conversionRate: number | null;
  /** revenue / customers by currency (minor units, fractional); empty for an empty arm. */
  revenuePerCustomer: Record<string, number>;
}

export interface Uplift {
  method: string;
  /** p_t − p_c */
  absolute: number;
  /** (p_t − p_c) / p_c; null when the control arm did not convert at all. */
  relative: number | null;
  /** 95 % unpooled Wald interval of p_t − p_c. */
  interval95: { low: number; high: number };
  standardError: number;
  /** z of the pooled two-sided test, and its p-value; null when the pooled rate is 0 or 1 (nothing varies). */
  z: number | null;
  pValue: number | null;
  incrementalConversions: number;
  incrementalConversionsInterval95: { low: number; high: number };
  /** (r_t − r_c) · n_t by currency, minor units; no interval. */
  incrementalRevenue: Record<string, number>;
  /** True when an arm has fewer than 10 conversions or 10 non-conversions: the normal approximation is rough there. */
  smallSample: boolean;
}

export const UPLIFT_METHOD =
  'difference of two proportions: 95 % unpooled Wald interval; two-sided z-test with pooled standard error; incremental = difference x treated customers';

export function armResult(arm: ArmCounts): ArmResult {
  const { customers, conversions } = arm;
  const perCustomer = customers ? Object.fromEntries(Object.entries(arm.revenue).map(([currency, total]) => [currency, total / customers])) : {};
  return { ...arm, conversionRate: customers ? conversions / customers : null, revenuePerCustomer: perCustomer };
}

/** The uplift of `treatment` over `control`; null while either arm is empty. */
export function uplift(treatment: ArmCounts, control: ArmCounts): Uplift | null {
  const { customers: nt, conversions: xt } = treatment;
  const { customers: nc, conversions: xc } = control;
  if (nt <= 0 || nc <= 0) return null;
  const pt = xt / nt;
  const pc = xc / nc;
  const absolute = pt - pc;
  const standardError = Math.sqrt((pt * (1 - pt)) / nt + (pc * (1 - pc)) / nc);
  const half = Z_975 * standardError;
  const pooled = (xt + xc) / (nt + nc);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / nt + 1 / nc));
  const z = pooledSe > 0 ? absolute / pooledSe : null;
  const currencies = [...new Set([...Object.keys(treatment.revenue), ...Object.keys(control.revenue)])].sort();
  const incrementalRevenue = Object.fromEntries(currencies.map((c) => [c, ((treatment.revenue[c] ?? 0) / nt - (control.revenue[c] ?? 0) / nc) * nt]));
  return {
    method: UPLIFT_METHOD,
    absolute,
    relative: pc > 0 ? absolute / pc : null,
    interval95: { low: absolute - half, high: absolute + half },
    standardError,
    z,
    pValue: z === null ? null : erfc(Math.abs(z) / Math.SQRT2),
    incrementalConversions: absolute * nt,
    incrementalConversionsInterval95: { low: (absolute - half) * nt, high: (absolute + half) * nt },
    incrementalRevenue,
    smallSample: Math.min(xt, nt - xt, xc, nc - xc) < 10,
  };
}

/**
 * The complementary error function, from the Chebyshev fit in Numerical Recipes (2nd ed., §6.2, erfcc): fractional
 * error below 1.2e-7 everywhere, ample for a p-value reported to three significant figures.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
