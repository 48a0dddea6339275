import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { groupHistories, type History } from './bg-models';
import { logHyp2f1NextC } from './hypergeometric';
import { expectedPurchases, pAlive } from './models';
import { paretoLogLikelihoodOfRows, type ParetoParams } from './pareto-nbd';

/** The published Pareto/NBD estimates on the CDNOW sample (Fader & Hardie's note on implementing it), weeks. */
const CDNOW: ParetoParams = { r: 0.5533, alpha: 10.5776, s: 0.6062, beta: 11.6679 };
const close = (actual: number, expected: number, relative: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(expected)));

describe('ln 2F1(a, b; a + 1; z): our series after Euler\'s transformation, and the expansion around z = 1 beyond 0.9', () => {
  it.each([0, 0.1, 0.5, 0.9, 0.95, 0.999, 1 - 1e-9])('2F1(1, 1; 2; z) = -ln(1 - z)/z and 2F1(1/2, 1; 3/2; z) = atanh(sqrt z)/sqrt z at z = %p', (z) => {
    close(Math.exp(logHyp2f1NextC(1, 1, z)), z === 0 ? 1 : -Math.log1p(-z) / z, 1e-9);
    // atanh(u) = ln((1 + u)^2 / (1 - u^2)) / 2, with 1 - u^2 = 1 - z exact: Math.atanh loses digits this close to 1.
    close(Math.exp(logHyp2f1NextC(0.5, 1, z)), z === 0 ? 1 : Math.log((1 + Math.sqrt(z)) ** 2 / (1 - z)) / 2 / Math.sqrt(z), 1e-9);
  });

  it.each([
    [1.16, 1.6, 0.09],
    [27.16, 26.55, 0.2],
    [3.2, 1.9, 0.87],
    [60.5, 60.1, 0.6],
  ])('agrees with the textbook series summed here and with stdlib (Cephes) at a = %p, b = %p, z = %p', (a, b, z) => {
    // The plain series sum_n (a)_n (b)_n / ((a+1)_n n!) z^n, long enough for every case here.
    let term = 1;
    let sum = 1;
    for (let n = 0; n < 20_000; n++) sum += term *= ((a + n) * (b + n) * z) / ((a + 1 + n) * (n + 1));
    close(logHyp2f1NextC(a, b, z), Math.log(sum), 1e-12);
    close(logHyp2f1NextC(a, b, z), Math.log(hyp2f1(a, b, a + 1, z)), 1e-10);
  });

  it.each([
    [1.16, 1.6],
    [0.8, 0.45],
    [27.16, 26.55],
    [31, 30],
    [2.5, 2.000001],
    [5.6, 1],
  ])('beyond z = 0.9 the expansion around 1 agrees with the Euler series summed far enough, at a = %p, b = %p', (a, b) => {
    for (const z of [0.9000001, 0.95, 0.99, 0.9999]) {
      // Euler's series, t_(n+1) = t_n (a+1-b+n)/(a+1+n) z, summed here until the terms vanish.
      let term = 1;
      let sum = 1;
      for (let n = 0; term > 1e-18 * sum; n++) sum += term *= ((a + 1 - b + n) / (a + 1 + n)) * z;
      close(logHyp2f1NextC(a, b, z), (1 - b) * Math.log1p(-z) + Math.log(sum), 1e-9);
    }
  });

  it('refuses what it was not written for instead of answering wrong', () => {
    expect(logHyp2f1NextC(1, 2, 0.5)).toBeNaN(); // a + 1 - b = 0
    expect(logHyp2f1NextC(1, 1, 1)).toBeNaN();
  });
});

/**
 * The individual likelihood mixed over both gamma distributions by a 2-D trapezoid rule in (ln lambda, ln mu), written
 * from the model's story and not from the closed form: alive at T, lambda^x e^-(lambda+mu)T; or dead in (tx, T],
 * lambda^x mu (e^-(lambda+mu)tx - e^-(lambda+mu)T) / (lambda+mu). Also the alive part weighted by the expected
 * purchases in (T, T+t] of a customer alive at T with those rates, lambda (1 - e^-mu t) / mu, for each t.
 */
function mixture({ r, alpha, s, beta }: ParetoParams, { x, tx, T }: History, times: number[] = []): { alive: number; dead: number; weighted: number[] } {
  const h = 0.1;
  const grid = (shape: number, rate: number): { value: number; weight: number }[] => {
    // The Gamma(shape, rate) density of v = ln(value): value^shape e^(-rate value) rate^shape / Gamma(shape).
    const out = [];
    for (let v = -45; v <= 6; v += h) {
      const value = Math.exp(v);
      const weight = h * Math.exp(shape * v - rate * value + shape * Math.log(rate) - gammaln(shape));
      if (weight > 0) out.push({ value, weight });
    }
    return out;
  };
  const mus = grid(s, beta).map(({ value: m, weight }) => ({ m, weight, atT: Math.exp(-m * T), atTx: Math.exp(-m * tx), later: times.map((t) => -Math.expm1(-m * t) / m) }));
  let alive = 0;
  let dead = 0;
  const weighted = times.map(() => 0);
  for (const { value: l, weight } of grid(r, alpha)) {
    const w = weight * Math.pow(l, x);
    const lT = Math.exp(-l * T);
    const lTx = Math.exp(-l * tx);
    for (const mu of mus) {
      const a = w * mu.weight * lT * mu.atT;
      alive += a;
      dead += (w * mu.weight * mu.m * (lTx * mu.atTx - lT * mu.atT)) / (l + mu.m);
      for (let i = 0; i < times.length; i++) weighted[i] += a * l * mu.later[i];
    }
  }
  return { alive, dead, weighted };
}

const customers: History[] = [
  { x: 0, tx: 0, T: 38.86 },
  { x: 2, tx: 30.43, T: 38.86 },
  { x: 7, tx: 12, T: 38.86 },
  { x: 26, tx: 30.86, T: 31 },
];
// Both branches of the hypergeometric term (alpha < beta and alpha >= beta) and s on both sides of 1.
const paramSets: ParetoParams[] = [CDNOW, { r: 1.4, alpha: 6, s: 1.3, beta: 2.5 }];

describe.each(paramSets)('Pareto/NBD against the gamma mixtures integrated numerically, %p', (params) => {
  it.each(customers)('likelihood, P(alive) and E[purchases in 39 and 104 units] of %p', (c) => {
    const times = [39, 104];
    const { alive, dead, weighted } = mixture(params, c, times);
    close(paretoLogLikelihoodOfRows(params, groupHistories([c])), Math.log(alive + dead), 1e-7);
    close(pAlive('pareto-nbd', params, c), alive / (alive + dead), 1e-7);
    times.forEach((t, i) => close(expectedPurchases('pareto-nbd', params, c, t), weighted[i] / (alive + dead), 1e-6));
  });
});

describe('Pareto/NBD closed forms at their edges', () => {
  it('at s = 1 the expectation is the limit of its neighbours, and it grows with t but never beyond the alive rate times t', () => {
    const c = { x: 3, tx: 20, T: 30 };
    const at = (s: number, t: number) => expectedPurchases('pareto-nbd', { ...CDNOW, s }, c, t);
    close(at(1, 52), (at(1 + 1e-6, 52) + at(1 - 1e-6, 52)) / 2, 1e-9);
    expect(at(1, 104)).toBeGreaterThan(at(1, 52));
    expect(at(CDNOW.s, 52)).toBeLessThan((52 * (CDNOW.r + 3)) / (CDNOW.alpha + 30));
    expect(expectedPurchases('pareto-nbd', CDNOW, c, 0)).toBe(0);
  });

  it('a customer seen right at the last purchase (T = tx) is alive for sure; alpha = beta takes neither branch wrong', () => {
    expect(pAlive('pareto-nbd', CDNOW, { x: 4, tx: 20, T: 20 })).toBe(1);
    const even = { ...CDNOW, beta: CDNOW.alpha };
    const { alive, dead } = mixture(even, customers[1]);
    close(pAlive('pareto-nbd', even, customers[1]), alive / (alive + dead), 1e-7);
  });

  it('refuses parameters of the other family', () => {
    expect(() => pAlive('pareto-nbd', { r: 1, alpha: 1, a: 1, b: 1 }, customers[1])).toThrow('Pareto/NBD takes r, alpha, s, beta, got r, alpha, a, b');
    expect(() => pAlive('bgnbd', CDNOW, customers[1])).toThrow('BG/NBD takes r, alpha, a, b');
  });
});
