import { groupHistories, logLikelihoodAndGradient, type BgModelName, type BgParams, type History } from './bg-models';
import { boundaryMessage, maximiseInLogSpace, NotIdentifiable, requireCounts, type FitResult } from './maximum-likelihood';

export interface BgFit extends FitResult<BgParams> {
  model: BgModelName;
  /** Time is divided by this (the largest T) inside the fit; alpha and its standard error are scaled back. */
  timeScale: number;
}

const NAMES = ['r', 'alpha', 'a', 'b'] as const;
/** What a parameter running off towards 0 / without bound says about the customers. */
const MEANING: Record<(typeof NAMES)[number], [string, string]> = {
  r: ['almost every customer had a purchase rate near zero', 'every customer bought at the same rate'],
  alpha: ['purchase rates were unbounded', 'every customer bought at the same rate'],
  a: ['almost no customer ever dropped out', 'every customer dropped out with the same probability'],
  b: ['almost every customer dropped out right after a purchase', 'every customer dropped out with the same probability'],
};

/** The checks the fits make before optimising: whole x, 0 <= tx <= T, finite numbers. */
export function validateHistories(customers: readonly History[]): void {
  customers.forEach((c, i) => {
    if (!Number.isInteger(c.x) || c.x < 0 || !(c.tx >= 0) || !(c.T >= c.tx) || !Number.isFinite(c.T)) {
      const id = (c as { customerId?: string }).customerId ?? `#${i}`;
      throw new RangeError(`customer ${id}: needs a whole x >= 0 and 0 <= tx <= T, got x=${c.x}, tx=${c.tx}, T=${c.T}`);
    }
  });
}

/**
 * Maximum-likelihood fit of BG/NBD or MBG/NBD. Time is rescaled by the largest T (alpha with it) so the parameters are
 * of similar size, the search runs over log-parameters (positivity for free), customers with identical (x, tx, T) are
 * one weighted row, and the gradient is analytic. NotIdentifiable when there are too few customers or repeat buyers,
 * or when the optimum runs off to a boundary or lies on a flat ridge.
 */
export function fitBgModel(model: BgModelName, customers: readonly History[], options: { maxIterations?: number } = {}): BgFit {
  if (model !== 'bgnbd' && model !== 'mbgnbd') throw new RangeError(`model must be bgnbd or mbgnbd, got "${String(model)}"`);
  validateHistories(customers);
  const what = model === 'bgnbd' ? 'BG/NBD model' : 'MBG/NBD model';
  const repeatBuyers = customers.reduce((n, c) => n + (c.x > 0 ? 1 : 0), 0);
  requireCounts(what, customers.length, repeatBuyers);
  const timeScale = customers.reduce((m, c) => Math.max(m, c.T), 0);
  if (!(timeScale > 0)) throw new NotIdentifiable('no observation time: every customer made the first purchase on the observation end', 'too-few-customers');
  const data = groupHistories(customers, timeScale);
  const n = customers.length;
  const meanT = customers.reduce((s, c) => s + c.T, 0) / n / timeScale;
  const meanX = customers.reduce((s, c) => s + c.x, 0) / n;
  // Start: r = a = b = 1 and alpha matching the mean purchase rate r/alpha to x/T on average.
  const theta0 = [0, Math.log(meanT / Math.max(meanX, 0.05)), 0, 0];
  const fit = maximiseInLogSpace({
    names: NAMES,
    theta0,
    n,
    maxIterations: options.maxIterations,
    meanNegative: (theta) => {
      const [r, alpha, a, b] = theta.map(Math.exp);
      const { value, gradient } = logLikelihoodAndGradient(model, { r, alpha, a, b }, data);
      // d/d(ln p) = p d/dp.
      return { value: -value / n, gradient: gradient.map((g, i) => (-g * Math.exp(theta[i])) / n) };
    },
    describe: (name, t) => {
      const key = name as (typeof NAMES)[number];
      const value = Math.exp(t) * (key === 'alpha' ? timeScale : 1);
      return boundaryMessage(name, value, t, MEANING[key]);
    },
  });
  const [r, alpha, a, b] = fit.theta.map(Math.exp);
  const params: BgParams = { r, alpha: alpha * timeScale, a, b };
  const se = NAMES.map((name, i) => params[name] * fit.logStandardErrors[i]);
  return {
    model,
    params,
    logLikelihood: logLikelihoodAndGradient(model, params, groupHistories(customers)).value,
    standardErrors: { r: se[0], alpha: se[1], a: se[2], b: se[3] },
    converged: fit.converged,
    iterations: fit.iterations,
    method: fit.method,
    customers: n,
    repeatBuyers,
    timeScale,
  };
}
