import { groupHistories, type History } from './bg-models';
import { validateHistories } from './bg-fit';
import { boundaryMessage, LOG_PARAMETER_BOUND, maximiseInLogSpace, NotIdentifiable, requireCounts, type FitResult } from './maximum-likelihood';
import { paretoLogLikelihoodAndGradient } from './pareto-gradient';
import { paretoLogLikelihoodOfRows, type ParetoParams } from './pareto-nbd';

/**
 * BFGS stops when the largest component of the mean gradient is below this: 1e-9, the analytic default, is about the
 * rounding of a sum over 35,000 rows (a fit on the bench log stalled at 2.8e-9 and spent 80 likelihoods in line
 * searches that found nothing).
 */
const GRADIENT_TOLERANCE = 1e-8;
/**
 * The stop on a ridge of a common dropout rate (s and beta growing together): three steps in a row that each move a
 * log-parameter by more than 0.1 and gain less than this in the log-likelihood. Along such a ridge each step gains
 * about half of what the one before did, so all that is left to gain is of the order of the last steps: about 0.07
 * where the holdout fit on the bench log stops (s = 212), 0.09 for 400 simulated BG/NBD customers (s = 56). With an
 * exact gradient, nothing else stops that walk before the boundary, where the fit is refused (s = 1.7e6 after 45 s).
 */
const RIDGE_LOG_LIKELIHOOD = 0.2;

export interface ParetoFit extends FitResult<ParetoParams> {
  model: 'pareto-nbd';
  /** Time is divided by this (the largest T) inside the fit; alpha, beta and their standard errors are scaled back. */
  timeScale: number;
}

const NAMES = ['r', 'alpha', 's', 'beta'] as const;
/** What a parameter running off towards 0 / without bound says about the customers. */
const MEANING: Record<(typeof NAMES)[number], [string, string]> = {
  r: ['almost every customer had a purchase rate near zero', 'every customer bought at the same rate'],
  alpha: ['purchase rates were unbounded', 'every customer bought at the same rate'],
  s: ['almost no customer ever dropped out', 'every customer dropped out at the same rate'],
  beta: ['customers dropped out at once', 'almost no customer ever dropped out, or all at the same rate'],
};

/**
 * Maximum-likelihood fit of the Pareto/NBD model, set up as the BG/NBD fit is (bg-fit.ts): time rescaled by the
 * largest T, log-parameters, grouped rows, the same identification checks. The gradient is analytic
 * (pareto-gradient.ts: the hypergeometric term by a continued fraction with its derivatives carried along), the
 * Hessian for the standard errors forward differences of it. NotIdentifiable when the data cannot pin the model down.
 */
export function fitParetoNbd(customers: readonly History[], options: { maxIterations?: number } = {}): ParetoFit {
  validateHistories(customers);
  const repeatBuyers = customers.reduce((n, c) => n + (c.x > 0 ? 1 : 0), 0);
  requireCounts('Pareto/NBD model', customers.length, repeatBuyers);
  const timeScale = customers.reduce((m, c) => Math.max(m, c.T), 0);
  if (!(timeScale > 0)) throw new NotIdentifiable('no observation time: every customer made the first purchase on the observation end', 'too-few-customers');
  const data = groupHistories(customers, timeScale);
  const n = customers.length;
  const meanT = customers.reduce((s, c) => s + c.T, 0) / n / timeScale;
  const meanX = customers.reduce((s, c) => s + c.x, 0) / n;
  // Start: r = s = 1, alpha matching the mean rate r/alpha to x/T on average, beta = the mean age (a mean lifetime of
  // about the observation time).
  const theta0 = [0, Math.log(meanT / Math.max(meanX, 0.05)), 0, Math.log(meanT)];
  const fit = maximiseInLogSpace({
    names: NAMES,
    theta0,
    n,
    maxIterations: options.maxIterations,
    forwardHessian: true,
    gradientTolerance: GRADIENT_TOLERANCE,
    ridgeLogLikelihood: RIDGE_LOG_LIKELIHOOD,
    // Far out along s and beta the hypergeometric series need thousands of terms: 400 customers whose fit runs off to
    // s = 3e6 took 33 s to be refused.
    searchBound: LOG_PARAMETER_BOUND + 1,
    // Where BFGS fails, Pareto/NBD is mostly on a ridge towards that boundary (every customer dropping out at one
    // rate), and Nelder-Mead walks along it at ever dearer steps: 1,600 steps took 32 s for those 400 customers. A
    // quarter of that budget ends the walk, at the boundary or flat, in a few seconds.
    simplexIterations: 400,
    meanNegative: (theta) => {
      const [r, alpha, s, beta] = theta.map(Math.exp);
      const { value, gradient } = paretoLogLikelihoodAndGradient({ r, alpha, s, beta }, data);
      // d/d(ln p) = p d/dp.
      return { value: -value / n, gradient: gradient.map((g, i) => (-g * Math.exp(theta[i])) / n) };
    },
    describe: (name, t) => {
      const key = name as (typeof NAMES)[number];
      const value = Math.exp(t) * (key === 'alpha' || key === 'beta' ? timeScale : 1);
      return boundaryMessage(name, value, t, MEANING[key]);
    },
  });
  const [r, alpha, s, beta] = fit.theta.map(Math.exp);
  const params: ParetoParams = { r, alpha: alpha * timeScale, s, beta: beta * timeScale };
  const se = NAMES.map((name, i) => params[name] * fit.logStandardErrors[i]);
  return {
    model: 'pareto-nbd',
    params,
    logLikelihood: paretoLogLikelihoodOfRows(params, groupHistories(customers)),
    standardErrors: { r: se[0], alpha: se[1], s: se[2], beta: se[3] },
    converged: fit.converged,
    iterations: fit.iterations,
    method: fit.method,
    customers: n,
    repeatBuyers,
    timeScale,
  };
}
