import { bfgs, forwardHessian, invertSymmetric, nelderMead, numericalHessian, type MinimiseResult, type Smooth } from './optimisers';

export interface FitResult<P> {
  params: P;
  logLikelihood: number;
  /** From the inverse of the numerical Hessian of the negative log-likelihood, by the delta method from log space. */
  standardErrors: P;
  converged: boolean;
  iterations: number;
  method: 'bfgs' | 'nelder-mead';
  customers: number;
  repeatBuyers: number;
}

export type NotIdentifiableReason = 'too-few-customers' | 'no-repeat-buyer' | 'too-few-repeat-buyers' | 'boundary' | 'flat' | 'infinite-mean' | 'other';

/** The data cannot pin the model down; the message says why in words, `reason` as a code. */
export class NotIdentifiable extends Error {
  constructor(
    message: string,
    readonly reason: NotIdentifiableReason = 'other',
  ) {
    super(message);
    this.name = 'NotIdentifiable';
  }
}

/** Below these the buy-till-you-die fits refuse: four parameters need some customers, and repeat buyers to tell rate from dropout. */
export const MIN_CUSTOMERS = 10;
export const MIN_REPEAT_BUYERS = 5;
/** A log-parameter beyond ln(1e6) in the rescaled problem has run off to a boundary (0 or infinity). */
export const LOG_PARAMETER_BOUND = Math.log(1e6);
/** A log-parameter with a standard error above this (a factor e^5 = 148 at one standard error) is not identified. */
export const MAX_LOG_STANDARD_ERROR = 5;
/** Beyond this the objective answers Infinity, so no step overflows exp(). */
const SEARCH_BOUND = 30;

const thousands = (n: number): string => n.toLocaleString('en-US');

/** Refuses too few customers or repeat buyers, naming the counts. */
export function requireCounts(what: string, customers: number, repeatBuyers: number, minRepeatBuyers = MIN_REPEAT_BUYERS): void {
  if (customers < MIN_CUSTOMERS) {
    throw new NotIdentifiable(`too few customers: ${thousands(customers)}, the ${what} needs at least ${MIN_CUSTOMERS}`, 'too-few-customers');
  }
  if (repeatBuyers === 0) {
    throw new NotIdentifiable(
      `no repeat buyer: 0 of ${thousands(customers)} customers purchased more than once; the ${what} cannot tell how often customers buy ` +
        'from how soon they stop, so it cannot be fitted until some customers have come back',
      'no-repeat-buyer',
    );
  }
  if (repeatBuyers < minRepeatBuyers) {
    throw new NotIdentifiable(
      `too few repeat buyers: ${thousands(repeatBuyers)} of ${thousands(customers)} customers purchased more than once; the ${what} needs at least ${minRepeatBuyers}`,
      'too-few-repeat-buyers',
    );
  }
}

/** "b = 3.1e+7 grows without bound: the data look as if ..., a limit the model has no finite parameters for". */
export const boundaryMessage = (name: string, value: number, theta: number, meaning: readonly [string, string]): string =>
  `${name} = ${value.toPrecision(3)} ${theta < 0 ? 'falls towards 0' : 'grows without bound'}: the data look as if ${meaning[theta < 0 ? 0 : 1]}, ` +
  'a limit the model has no finite parameters for';

export interface LogSpaceFit {
  theta: number[];
  /** Standard errors of the log-parameters. */
  logStandardErrors: number[];
  converged: boolean;
  iterations: number;
  method: 'bfgs' | 'nelder-mead';
}

/**
 * Maximises a log-likelihood over log-parameters: BFGS first; when it does not converge, Nelder-Mead from where it got
 * to, then BFGS again to finish. `meanNegative` is minus the log-likelihood divided by the number of customers (so
 * tolerances do not depend on the data size), with its gradient in log space. Then checks identification: no
 * log-parameter at a boundary, a positive-definite Hessian and no standard error beyond MAX_LOG_STANDARD_ERROR.
 */
export function maximiseInLogSpace(options: {
  names: readonly string[];
  theta0: readonly number[];
  meanNegative: Smooth;
  /** Customers the mean is over: the Hessian of the sum is n times the mean's. */
  n: number;
  maxIterations?: number;
  /** The gradient is a finite-difference one: take the Hessian from values. */
  numericalGradient?: boolean;
  /** BFGS's tolerance on the largest gradient component of the mean (default 1e-7 numerical, 1e-9 analytic). */
  gradientTolerance?: number;
  /** The gradient is analytic but dear: take the Hessian from forward differences of it (n gradients, not 2n). */
  forwardHessian?: boolean;
  /**
   * How far the search may go on the log scale (default SEARCH_BOUND). A model whose likelihood costs more the further
   * it goes (Pareto/NBD's series) stops just past LOG_PARAMETER_BOUND: an optimum beyond is refused as a boundary anyway.
   */
  searchBound?: number;
  /** Nelder-Mead's budget when BFGS does not converge (default 400 per parameter). */
  simplexIterations?: number;
  /**
   * BFGS's stop on a flat ridge (BfgsOptions.ridgeTolerance), as a gain in the log-likelihood (the sum, not the mean):
   * steps that each gain less than this while the parameters still move by more than 10% end the search. None by
   * default.
   */
  ridgeLogLikelihood?: number;
  describe: (name: string, value: number) => string;
}): LogSpaceFit {
  const { names, meanNegative, n } = options;
  const searchBound = options.searchBound ?? SEARCH_BOUND;
  const bounded: Smooth = (theta) => {
    if (theta.some((t) => !(Math.abs(t) <= searchBound))) return { value: Infinity, gradient: theta.map(() => 0) };
    const vg = meanNegative(theta);
    return Number.isFinite(vg.value) ? vg : { value: Infinity, gradient: vg.gradient };
  };
  const value = (theta: readonly number[]) => bounded(theta).value;
  const maxIterations = options.maxIterations ?? 500;
  const gradientTolerance = options.gradientTolerance ?? (options.numericalGradient ? 1e-7 : 1e-9);
  const ridgeTolerance = options.ridgeLogLikelihood === undefined ? undefined : options.ridgeLogLikelihood / n;
  let result: MinimiseResult = bfgs(bounded, options.theta0, { maxIterations, gradientTolerance, ridgeTolerance });
  let iterations = result.iterations;
  let method: LogSpaceFit['method'] = 'bfgs';
  if (!result.converged) {
    method = 'nelder-mead';
    const start = result.x.every(Number.isFinite) && Number.isFinite(result.value) ? result.x : options.theta0;
    const simplex = nelderMead(value, start, { maxIterations: options.simplexIterations ?? Math.max(maxIterations, 400 * names.length) });
    iterations += simplex.iterations;
    const finish = bfgs(bounded, simplex.x, { maxIterations, gradientTolerance, ridgeTolerance });
    iterations += finish.iterations;
    result = finish.converged || finish.value <= simplex.value ? { ...finish, converged: finish.converged || simplex.converged } : simplex;
  }
  const theta = result.x;
  names.forEach((name, i) => {
    if (Math.abs(theta[i]) > LOG_PARAMETER_BOUND) {
      throw new NotIdentifiable(`the optimum runs off to a boundary: ${options.describe(name, theta[i])}`, 'boundary');
    }
  });
  const gradientAt = (t: readonly number[]) => bounded(t).gradient;
  const raw =
    options.forwardHessian && !options.numericalGradient
      ? forwardHessian(gradientAt, theta, result.gradient ?? gradientAt(theta))
      : numericalHessian(value, theta, options.numericalGradient ? undefined : gradientAt);
  const hessian = raw.map((row) => row.map((v) => v * n));
  const covariance = invertSymmetric(hessian);
  if (!covariance) {
    throw new NotIdentifiable('the likelihood is flat or saddle-shaped at the optimum (its Hessian is not positive definite): the data cannot tell the parameters apart', 'flat');
  }
  const logStandardErrors = covariance.map((row, i) => Math.sqrt(row[i]));
  names.forEach((name, i) => {
    if (!(logStandardErrors[i] <= MAX_LOG_STANDARD_ERROR)) {
      throw new NotIdentifiable(
        `the likelihood is flat along ${name}: its standard error on the log scale is ${logStandardErrors[i].toFixed(1)} (more than a factor e^${MAX_LOG_STANDARD_ERROR} either way), the data cannot pin it down`,
        'flat',
      );
    }
  });
  return { theta, logStandardErrors, converged: result.converged, iterations, method };
}
