import { groupHistories, type History } from './bg-models';
import { validateHistories } from './bg-fit';
import { boundaryMessage, LOG_PARAMETER_BOUND, maximiseInLogSpace, NotIdentifiable, requireCounts, type FitResult } from './maximum-likelihood';
import { paretoLogLikelihoodOfRows, type ParetoParams } from './pareto-nbd';

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
 * largest T, log-parameters, grouped rows, the same identification checks. The gradient is numerical (central
 * differences): the hypergeometric term's derivatives in its parameters have no cheap closed form. NotIdentifiable
 * when the data cannot pin the model down.
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
  const negativeMean = (theta: readonly number[]): number => {
    const [r, alpha, s, beta] = theta.map(Math.exp);
    return -paretoLogLikelihoodOfRows({ r, alpha, s, beta }, data) / n;
  };
  const fit = maximiseInLogSpace({
    names: NAMES,
    theta0,
    n,
    maxIterations: options.maxIterations,
    numericalGradient: true,
    // Far out along s and beta the hypergeometric series need thousands of terms: 400 customers whose fit runs off to
    // s = 3e6 took 33 s to be refused.
    searchBound: LOG_PARAMETER_BOUND + 1,
    // Where BFGS fails, Pareto/NBD is mostly on a ridge towards that boundary (every customer dropping out at one
    // rate), and Nelder-Mead walks along it at ever dearer steps: 1,600 steps took 32 s for those 400 customers. A
    // quarter of that budget ends the walk, at the boundary or flat, in a few seconds.
    simplexIterations: 400,
    meanNegative: (theta) => {
      // Forward differences: five likelihoods a step instead of central differences' nine (each likelihood is a pass
      // over every row with two hypergeometric series); their error, about 1e-8 of the curvature, is below the
      // optimiser's gradient tolerance of 1e-7.
      const value = negativeMean(theta);
      const point = [...theta];
      const gradient = theta.map((t, i) => {
        const h = Math.sqrt(Number.EPSILON) * Math.max(1, Math.abs(t));
        point[i] = t + h;
        const up = negativeMean(point);
        point[i] = t;
        return (up - value) / h;
      });
      return { value, gradient };
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
