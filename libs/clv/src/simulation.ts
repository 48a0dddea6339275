import type { BgModelName, BgParams, History } from './bg-models';
import type { GammaGammaParams } from './gamma-gamma';
import { UNIT_DAYS, type Transaction, type TimeUnit } from './customer-summary';

/**
 * Seeded sampling for parameter-recovery tests and the benchmark: sfc32 (Doty-Humphrey's small fast counter, which
 * passes PractRand) seeded through splitmix32, Marsaglia & Tsang's gamma sampler (ACM TOMS 26(3), 2000) with the
 * U^(1/shape) boost below shape 1, and beta as a ratio of gammas.
 */
export type Random = () => number;

/** Uniform on the open interval (0, 1): never 0, so logarithms stay finite. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  // 53 random bits from two draws, shifted off zero by half a step.
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6) + 0.5) / 9007199254740992;
}

/** Standard normal by the polar method. */
export function sampleNormal(random: Random): number {
  for (;;) {
    const u = 2 * random() - 1;
    const v = 2 * random() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** Gamma(shape, rate): mean shape / rate. */
export function sampleGamma(random: Random, shape: number, rate = 1): number {
  if (shape < 1) return sampleGamma(random, shape + 1, rate) * Math.pow(random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = sampleNormal(random);
    const v = Math.pow(1 + c * x, 3);
    if (v <= 0) continue;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return (d * v) / rate;
  }
}

/** Beta(a, b) as G(a) / (G(a) + G(b)). */
export function sampleBeta(random: Random, a: number, b: number): number {
  const x = sampleGamma(random, a);
  const y = sampleGamma(random, b);
  return x / (x + y);
}

export interface SimulatedCustomer extends History {
  /** Purchase times after the first one (at 0), in the unit of the params. */
  times: number[];
}

/**
 * One customer of the model observed for T units after the first purchase: rate lambda ~ Gamma(r, alpha), dropout
 * p ~ Beta(a, b); after each repeat purchase (MBG/NBD: also right after the first) they drop out with probability p.
 */
export function simulateCustomer(model: BgModelName, { r, alpha, a, b }: BgParams, T: number, random: Random): SimulatedCustomer {
  const lambda = sampleGamma(random, r, alpha);
  const p = sampleBeta(random, a, b);
  const times: number[] = [];
  if (model === 'mbgnbd' && random() < p) return { x: 0, tx: 0, T, times };
  let t = 0;
  for (;;) {
    t += -Math.log(random()) / lambda;
    if (!(t <= T)) break;
    times.push(t);
    if (random() < p) break;
  }
  return { x: times.length, tx: times.length ? times[times.length - 1] : 0, T, times };
}

/** `count` customers with T uniform on [minT, maxT] (e.g. cohorts joining over 39 weeks, observed 39 to 78 weeks). */
export function simulateCustomers(model: BgModelName, params: BgParams, count: number, options: { minT: number; maxT: number; seed: number }): SimulatedCustomer[] {
  const random = seededRandom(options.seed);
  return Array.from({ length: count }, () => simulateCustomer(model, params, options.minT + (options.maxT - options.minT) * random(), random));
}

/**
 * Transactions of `count` simulated customers up to `observationEnd` (a date): purchases land on whole UTC days, so
 * two within a day become one purchase when summarised, as in real data; amounts follow the Gamma-Gamma model.
 */
export function simulateTransactions(
  model: BgModelName,
  params: BgParams,
  spend: GammaGammaParams,
  count: number,
  options: { minT: number; maxT: number; seed: number; unit: TimeUnit; observationEnd: string },
): Transaction[] {
  const random = seededRandom(options.seed);
  const endDay = Math.floor(Date.parse(options.observationEnd) / 86_400_000);
  const unitDays = UNIT_DAYS[options.unit];
  const transactions: Transaction[] = [];
  const iso = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);
  for (let i = 0; i < count; i++) {
    const days = Math.floor((options.minT + (options.maxT - options.minT) * random()) * unitDays);
    const customer = simulateCustomer(model, params, days / unitDays, random);
    const first = endDay - days;
    const nu = sampleGamma(random, spend.q, spend.v);
    const customerId = `sim-${i + 1}`;
    const amount = (): number => Math.round(sampleGamma(random, spend.p, nu) * 100) / 100;
    transactions.push({ customerId, at: iso(first), amount: amount() });
    for (const t of customer.times) transactions.push({ customerId, at: iso(first + Math.floor(t * unitDays)), amount: amount() });
  }
  return transactions;
}
