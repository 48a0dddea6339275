import type { BgParams } from './bg-models';
import { expectedPurchases } from './models';
import { sampleBeta, sampleGamma, seededRandom, simulateCustomers } from './simulation';

const moments = (draw: () => number, n: number) => {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const v = draw();
    sum += v;
    squares += v * v;
  }
  const mean = sum / n;
  return { mean, variance: squares / n - mean * mean };
};

describe('seeded sampling', () => {
  const N = 100_000;

  it('is reproducible from its seed and uniform on the open interval (0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: N }, () => a());
    expect(draws.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(draws.every((u) => u > 0 && u < 1)).toBe(true);
    const { mean, variance } = moments(seededRandom(7), N);
    // Standard error of the mean sqrt(1/12/N) = 0.0009: 5 of them.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.0046);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  // Bounds: 5 standard errors of the sample mean; the sample variance within 10% (its relative standard error is
  // sqrt((2 + excess kurtosis) / N), 1.7% for the most skewed of these, shape 0.243).
  it.each([
    [0.243, 1],
    [2.5, 2],
    [15, 0.3],
  ])('gamma(shape %p, rate %p) has mean shape/rate and variance shape/rate^2', (shape, rate) => {
    const random = seededRandom(11);
    const { mean, variance } = moments(() => sampleGamma(random, shape, rate), N);
    expect(Math.abs(mean - shape / rate)).toBeLessThan(5 * Math.sqrt(shape / rate ** 2 / N));
    expect(Math.abs(variance / (shape / rate ** 2) - 1)).toBeLessThan(0.1);
  });

  it.each([
    [0.793, 2.426],
    [1.2, 3.5],
    [0.3, 0.4],
  ])('beta(%p, %p) has mean a/(a+b) and variance ab/((a+b)^2 (a+b+1))', (a, b) => {
    const random = seededRandom(13);
    const { mean, variance } = moments(() => sampleBeta(random, a, b), N);
    const expectedVariance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expect(Math.abs(mean - a / (a + b))).toBeLessThan(5 * Math.sqrt(expectedVariance / N));
    expect(Math.abs(variance / expectedVariance - 1)).toBeLessThan(0.05);
  });
});

describe.each(['bgnbd', 'mbgnbd'] as const)('simulated %s customers', (model) => {
  it('make as many repeat purchases in 39 weeks as the model expects of a new customer, E[X(39)]', () => {
    const params: BgParams = { r: 0.8, alpha: 4, a: 0.9, b: 2.5 };
    const customers = simulateCustomers(model, params, 20_000, { minT: 39, maxT: 39, seed: 5 });
    const { mean, variance } = moments(
      (() => {
        let i = 0;
        return () => customers[i++].x;
      })(),
      customers.length,
    );
    const expected = expectedPurchases(model, params, { x: 0, tx: 0, T: 0 }, 39);
    expect(Math.abs(mean - expected)).toBeLessThan(4 * Math.sqrt(variance / customers.length));
    expect(customers.every((c) => c.tx <= c.T && c.times.length === c.x)).toBe(true);
  });
});
