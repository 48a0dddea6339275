import gammaln from '@stdlib/math-base-special-gammaln';
import { boundaryMessage, maximiseInLogSpace, MIN_CUSTOMERS, NotIdentifiable, type FitResult } from './maximum-likelihood';
import { numericalGradient } from './optimisers';

/**
 * Gamma-Gamma model of the value per purchase (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"): a
 * customer's purchase amounts are Gamma(p, nu), and nu ~ Gamma(q, v) across customers. Fitted on the mean amount mx of
 * the x repeat purchases of each customer with x > 0; it assumes value and frequency are independent.
 */
export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

export interface Spend {
  x: number;
  monetary: number;
}

const NAMES = ['p', 'q', 'v'] as const;
/** What a parameter running off towards 0 / without bound says about the amounts. */
const MEANING: Record<(typeof NAMES)[number], [string, string]> = {
  p: ['amounts varied without bound within a customer', 'each customer spent the same amount on every purchase'],
  q: ['mean spend varied without bound between customers', 'every customer had the same mean spend'],
  v: ['amounts were near zero', 'every customer had the same mean spend'],
};

/** Only repeat buyers with a positive mean carry information on the spend distribution. */
const usable = (c: Spend): boolean => c.x > 0 && c.monetary > 0 && Number.isFinite(c.monetary);

/**
 * Log-likelihood of the mean amounts (FH 2013 eq. 3, the density of mx given x):
 *   Gamma(px+q)/(Gamma(px) Gamma(q)) v^q mx^(px-1) x^(px) / (v + x mx)^(px+q)
 * summed over the usable customers; the Gamma ratio is computed once per distinct x.
 */
export function gammaGammaLogLikelihood({ p, q, v }: GammaGammaParams, customers: readonly Spend[]): number {
  const rows = customers.filter(usable);
  return prepared(rows.map((c) => c.x), rows.map((c) => c.monetary))({ p, q, v });
}

function prepared(xs: number[], ms: number[]): (params: GammaGammaParams) => number {
  const x = Float64Array.from(xs);
  const lnX = x.map(Math.log);
  const lnM = Float64Array.from(ms, Math.log);
  const m = Float64Array.from(ms);
  const distinct = [...new Set(xs)];
  const index = Int32Array.from(xs, (xi) => distinct.indexOf(xi));
  return ({ p, q, v }) => {
    const ratio = distinct.map((xi) => gammaln(p * xi + q) - gammaln(p * xi));
    const constant = q * Math.log(v) - gammaln(q);
    let sum = 0;
    for (let i = 0; i < x.length; i++) {
      const px = p * x[i];
      sum += ratio[index[i]] + constant + (px - 1) * lnM[i] + px * lnX[i] - (px + q) * Math.log(v + x[i] * m[i]);
    }
    return sum;
  };
}

/**
 * Maximum-likelihood fit over the customers with x > 0 and a positive mean amount. Amounts are divided by their mean
 * inside the fit (v scaled back). NotIdentifiable with fewer than 10 such customers, at a boundary, on a flat ridge, or
 * when q <= 1: then the spend varies so much between customers that the mean value of a purchase is infinite.
 */
export function fitGammaGamma(customers: readonly Spend[], options: { maxIterations?: number } = {}): FitResult<GammaGammaParams> {
  const rows = customers.filter(usable);
  if (rows.length < MIN_CUSTOMERS) {
    const repeat = customers.filter((c) => c.x > 0).length;
    throw new NotIdentifiable(
      `${repeat === 0 ? 'no repeat buyer' : 'too few repeat buyers'}: ${rows.length} of ${customers.length.toLocaleString('en-US')} customers made a repeat purchase ` +
        `with a positive amount; the Gamma-Gamma model learns the value per purchase from repeat purchases and needs at least ${MIN_CUSTOMERS}`,
      repeat === 0 ? 'no-repeat-buyer' : 'too-few-repeat-buyers',
    );
  }
  const scale = rows.reduce((s, c) => s + c.monetary, 0) / rows.length;
  const n = rows.length;
  const ll = prepared(rows.map((c) => c.x), rows.map((c) => c.monetary / scale));
  const f = (theta: readonly number[]) => -ll({ p: Math.exp(theta[0]), q: Math.exp(theta[1]), v: Math.exp(theta[2]) }) / n;
  const fit = maximiseInLogSpace({
    names: NAMES,
    // p = 1, q = 2, and v = 1 (in units of the mean): a population mean p v / (q - 1) equal to the data's.
    theta0: [0, Math.log(2), 0],
    n,
    maxIterations: options.maxIterations,
    numericalGradient: true,
    meanNegative: (theta) => ({ value: f(theta), gradient: numericalGradient(f, theta) }),
    describe: (name, t) => boundaryMessage(name, Math.exp(t) * (name === 'v' ? scale : 1), t, MEANING[name as (typeof NAMES)[number]]),
  });
  const [p, q, vScaled] = fit.theta.map(Math.exp);
  const params = { p, q, v: vScaled * scale };
  if (q <= 1) {
    throw new NotIdentifiable(
      `q = ${q.toPrecision(3)} <= 1: the spend varies so much between customers that the mean value per purchase is infinite; the Gamma-Gamma model cannot value a customer`,
      'infinite-mean',
    );
  }
  const se = NAMES.map((name, i) => params[name] * fit.logStandardErrors[i]);
  return {
    params,
    logLikelihood: gammaGammaLogLikelihood(params, rows),
    standardErrors: { p: se[0], q: se[1], v: se[2] },
    converged: fit.converged,
    iterations: fit.iterations,
    method: fit.method,
    customers: customers.length,
    repeatBuyers: n,
  };
}

/**
 * E(M | p, q, v, x, mx) = p (v + x mx) / (p x + q - 1) (FH 2013 eq. 5): a weighted mean of the population mean
 * p v / (q - 1) and the customer's own mean mx, weighted towards mx as x grows. x = 0 gives the population mean.
 */
export function expectedValuePerPurchase({ p, q, v }: GammaGammaParams, c: Spend): number {
  const x = c.x > 0 && c.monetary > 0 ? c.x : 0;
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) throw new RangeError(`expected value per purchase is infinite for q = ${q} and x = ${c.x} (p x + q must exceed 1)`);
  return (p * (v + x * c.monetary)) / denominator;
}
