import { groupHistories } from './bg-models';
import { summarise } from './customer-summary';
import { hyp2f1OneSeries } from './hypergeometric';
import { NotIdentifiable } from './maximum-likelihood';
import { fitParetoNbd } from './pareto-fit';
import { logHyp2f1OneCf, paretoLogLikelihoodAndGradient } from './pareto-gradient';
import { paretoLogLikelihoodOfRows, type ParetoParams } from './pareto-nbd';
import { simulateTransactions } from './simulation';

const KEYS = ['r', 'alpha', 's', 'beta'] as const;
const lnSeries = (d: number, c: number, z: number): number => Math.log(hyp2f1OneSeries(d, c, z));

describe("2F1(1, d; c; z) by Gauss's continued fraction, with its derivatives", () => {
  // z from 0 to 0.99, d on both sides of 1 and far above it (a large s), c - d small and large (x).
  it.each([
    [5.09, 7.06, 0.92],
    [1.5, 2.6, 0.5],
    [231, 231.6, 0.99],
    [40, 41.5, 0.3],
    [1.2, 30, 0.7],
    [0.6, 1.7, 0],
  ])('d %p, c %p, z %p: the series of hypergeometric.ts, and central differences of it', (d, c, z) => {
    const out = [0, 0, 0];
    const value = logHyp2f1OneCf(d, c, z, out);
    expect(Math.abs(value - lnSeries(d, c, z))).toBeLessThan(1e-13 * Math.max(1, Math.abs(value)));
    const h = 1e-6;
    const hz = Math.min(1e-7, z / 2);
    const numerical = [
      (lnSeries(d + h, c, z) - lnSeries(d - h, c, z)) / (2 * h),
      (lnSeries(d, c + h, z) - lnSeries(d, c - h, z)) / (2 * h),
      z > 0 ? (lnSeries(d, c, z + hz) - lnSeries(d, c, z - hz)) / (2 * hz) : d / c,
    ];
    out.forEach((derivative, i) => expect(Math.abs(derivative - numerical[i])).toBeLessThan(1e-6 * Math.max(1e-3, Math.abs(numerical[i]))));
  });

  it('answers NaN past its budget of levels instead of a value that has not converged', () => {
    expect(logHyp2f1OneCf(1.6, 1.9, 0.999, [0, 0, 0], 100)).toBeNaN();
    expect(logHyp2f1OneCf(1.6, 1.9, 0.999, [0, 0, 0], 5000)).toBeCloseTo(lnSeries(1.6, 1.9, 0.999), 10);
  });
});

describe('the Pareto/NBD log-likelihood with its analytic gradient', () => {
  const data = groupHistories([
    { x: 0, tx: 0, T: 38.86 },
    { x: 2, tx: 30.43, T: 38.86 },
    { x: 7, tx: 12, T: 38.86 },
    { x: 26, tx: 30.86, T: 31 },
    { x: 1, tx: 0.5, T: 1 },
    { x: 3, tx: 20, T: 48 },
  ]);
  // CDNOW's estimates (alpha < beta), alpha > beta, the bench log's fit on all trips, and two points on its holdout
  // fit's ridge of a common dropout rate (the second one past the fraction's budget: differences of the row's terms).
  it.each<ParetoParams>([
    { r: 0.5533, alpha: 10.5776, s: 0.6062, beta: 11.6679 },
    { r: 1.4, alpha: 6, s: 1.3, beta: 2.5 },
    { r: 0.97, alpha: 10.8, s: 4.09, beta: 135 },
    { r: 0.9, alpha: 10, s: 230, beta: 7800 },
    { r: 0.9, alpha: 10, s: 23000, beta: 7.8e6 },
  ])('%p: the value of pareto-nbd.ts and central differences of it', (params) => {
    const { value, gradient } = paretoLogLikelihoodAndGradient(params, data);
    expect(Math.abs(value - paretoLogLikelihoodOfRows(params, data))).toBeLessThan(1e-10 * Math.abs(value));
    KEYS.forEach((key, i) => {
      const h = 1e-5 * params[key];
      const numerical = (paretoLogLikelihoodOfRows({ ...params, [key]: params[key] + h }, data) - paretoLogLikelihoodOfRows({ ...params, [key]: params[key] - h }, data)) / (2 * h);
      expect({ key, error: Math.abs(gradient[i] - numerical) <= 1e-5 * Math.max(1e-3, Math.abs(numerical)) }).toEqual({ key, error: true });
    });
  });
});

describe('the Pareto/NBD fit on a ridge of a common dropout rate', () => {
  // 400 simulated BG/NBD customers (churn.int-spec's): Pareto/NBD's likelihood keeps rising as s and beta grow together
  // towards a common dropout rate. With the exact gradient the search walked to the boundary (s = 2.6e6); the old
  // numerical one got there too, in 12 s, and was refused.
  const trips = simulateTransactions('bgnbd', { r: 1.2, alpha: 6, a: 1, b: 3 }, { p: 6, q: 4, v: 800 }, 400, { minT: 6, maxT: 30, seed: 7, unit: 'month', observationEnd: '2026-03-01' });

  it('stops within 40 iterations, finite, where what is left to gain along the ridge is below 0.2', () => {
    const customers = summarise(trips, '2026-03-01T12:00:00.000Z', 'month');
    const started = Date.now();
    const fit = fitParetoNbd(customers);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeLessThanOrEqual(40);
    for (const value of [...Object.values(fit.params), ...Object.values(fit.standardErrors), fit.logLikelihood]) expect(Number.isFinite(value)).toBe(true);
    // On the ridge: s far above CDNOW's 0.6, beta / s (the mean lifetime) finite.
    expect(fit.params.s).toBeGreaterThan(10);
    const { r, alpha, s, beta } = fit.params;
    const far = paretoLogLikelihoodOfRows({ r, alpha, s: s * 1e4, beta: beta * 1e4 }, groupHistories(customers));
    expect(far - fit.logLikelihood).toBeGreaterThan(0);
    expect(far - fit.logLikelihood).toBeLessThan(0.2);
  });

  it('on the calibration part the same stop leaves a likelihood too flat along s to be identified: refused in well under a second', () => {
    const customers = summarise(trips, '2025-03-01T12:00:00.000Z', 'month');
    const started = Date.now();
    let error: unknown;
    try {
      fitParetoNbd(customers);
    } catch (caught) {
      error = caught;
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(NotIdentifiable);
    expect((error as NotIdentifiable).reason).toBe('flat');
    expect((error as NotIdentifiable).message).toMatch(/^the likelihood is flat along (s|beta): its standard error on the log scale is/);
  });
});
