import hyp2f1 from '@stdlib/math-base-special-hyp2f1';

/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", eqs. 6, 10 and 13 of the paper and its
 * technical appendix) and MBG/NBD (Batislam, Denizel & Filiztekin 2007, with the erratum of Wagner & Hoppe 2008).
 * Purchases follow a Poisson process with rate lambda ~ Gamma(r, alpha) while the customer is alive; dropout
 * probability p ~ Beta(a, b). BG/NBD: a customer can drop out only right after a repeat purchase, so x = 0 means
 * alive for sure. MBG/NBD: also right after the first purchase, so where BG/NBD has "x > 0" terms MBG/NBD has x + 1
 * opportunities to drop out, and one-time buyers are alive with probability below 1.
 * All times (tx, T, t) are in the unit the customers were summarised in; alpha is in that unit too.
 */
export type BgModelName = 'bgnbd' | 'mbgnbd';
export const BG_MODEL_NAMES: readonly BgModelName[] = ['bgnbd', 'mbgnbd'];

export interface BgParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface History {
  x: number;
  tx: number;
  T: number;
}

/** Customers with identical (x, tx, T) as one row with a weight: the likelihood is a weighted sum over rows. */
export interface GroupedHistories {
  x: Int32Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  maxX: number;
  customers: number;
  repeatBuyers: number;
}

export function groupHistories(histories: readonly History[], scale = 1): GroupedHistories {
  const rows = new Map<string, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const weight: number[] = [];
  let repeatBuyers = 0;
  let maxX = 0;
  for (const c of histories) {
    const key = `${c.x} ${c.tx} ${c.T}`;
    const row = rows.get(key);
    if (c.x > 0) repeatBuyers++;
    if (row !== undefined) {
      weight[row]++;
      continue;
    }
    rows.set(key, x.length);
    x.push(c.x);
    tx.push(c.tx / scale);
    T.push(c.T / scale);
    weight.push(1);
    maxX = Math.max(maxX, c.x);
  }
  return { x: Int32Array.from(x), tx: Float64Array.from(tx), T: Float64Array.from(T), weight: Float64Array.from(weight), maxX, customers: histories.length, repeatBuyers };
}

/**
 * Log-likelihood summed over the rows and its gradient in (r, alpha, a, b). Per customer (FHL eq. 6; BDF appendix):
 *   L = Gamma(r+x)/Gamma(r) alpha^r [ B(a, b+x+k)/B(a,b) (alpha+T)^-(r+x) + [x+k>0] B(a+1, b+x+k-1)/B(a,b) (alpha+tx)^-(r+x) ]
 * with k = 0 for BG/NBD and k = 1 for MBG/NBD. x is a whole number, so Gamma(r+x)/Gamma(r) = prod_{j<x} (r+j) and
 * B(a, b+m)/B(a, b) = prod_{j<m} (b+j)/(a+b+j): elementary sums, computed once per evaluation for every m up to the
 * largest x, which also give the gradient without digamma.
 */
export function logLikelihoodAndGradient(model: BgModelName, params: BgParams, data: GroupedHistories): { value: number; gradient: number[] } {
  const { r, alpha, a, b } = params;
  const k = model === 'mbgnbd' ? 1 : 0;
  const top = data.maxX + k + 1;
  // Prefix sums over j < m: ln(r+j), 1/(r+j), ln(b+j) - ln(a+b+j), 1/(a+b+j), 1/(b+j).
  const lnR = new Float64Array(top);
  const dR = new Float64Array(top);
  const lnB = new Float64Array(top);
  const dA = new Float64Array(top);
  const dB = new Float64Array(top);
  for (let m = 1; m < top; m++) {
    const j = m - 1;
    lnR[m] = lnR[j] + Math.log(r + j);
    dR[m] = dR[j] + 1 / (r + j);
    lnB[m] = lnB[j] + Math.log(b + j) - Math.log(a + b + j);
    dA[m] = dA[j] - 1 / (a + b + j);
    dB[m] = dB[j] + 1 / (b + j) - 1 / (a + b + j);
  }
  const lnAlpha = Math.log(alpha);
  const lnA = Math.log(a);
  let value = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  const { x: xs, tx: txs, T: Ts, weight } = data;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const w = weight[i];
    const m = x + k;
    const rx = r + x;
    const lnAT = Math.log(alpha + Ts[i]);
    const l1 = -rx * lnAT;
    let lse = l1;
    let share = 0;
    let lnATx = 0;
    let bDrop = 0;
    if (m > 0) {
      // The second term: dropped out right after the last purchase (at tx), with B(a+1, b+m-1)/B(a, b+m) = a/(b+m-1).
      bDrop = b + m - 1;
      lnATx = Math.log(alpha + txs[i]);
      const l2 = lnA - Math.log(bDrop) - rx * lnATx;
      const high = Math.max(l1, l2);
      const low = Math.min(l1, l2);
      const e = Math.exp(low - high);
      lse = high + Math.log1p(e);
      share = l2 >= l1 ? 1 / (1 + e) : e / (1 + e);
    }
    value += w * (lnR[x] + r * lnAlpha + lnB[m] + lse);
    gr += w * (dR[x] + lnAlpha - (1 - share) * lnAT - share * lnATx);
    gAlpha += w * (r / alpha - rx * ((1 - share) / (alpha + Ts[i]) + (m > 0 ? share / (alpha + txs[i]) : 0)));
    ga += w * (dA[m] + share / a);
    gb += w * (dB[m] - (m > 0 ? share / bDrop : 0));
  }
  return { value, gradient: [gr, gAlpha, ga, gb] };
}

/** Sum of the customers' log-likelihoods (without the x! of a Poisson count: the published -9582.4 leaves it out too). */
export function bgLogLikelihood(model: BgModelName, params: BgParams, customers: readonly History[]): number {
  return logLikelihoodAndGradient(model, params, groupHistories(customers)).value;
}

/** ln of (probability dead at T) / (probability alive at T): the odds of the dropout term against the alive one. */
function logDeadOdds(model: BgModelName, { r, alpha, a, b }: BgParams, c: History): number {
  const m = c.x + (model === 'mbgnbd' ? 1 : 0);
  if (m === 0) return -Infinity;
  return Math.log(a) - Math.log(b + m - 1) + (r + c.x) * (Math.log(alpha + c.T) - Math.log(alpha + c.tx));
}

/** P(alive at T | x, tx, T): FHL eq. 13 (BG/NBD, 1 for x = 0); BDF eq. 5 (MBG/NBD, below 1 also for x = 0). */
export function bgPAlive(model: BgModelName, params: BgParams, c: History): number {
  return 1 / (1 + Math.exp(logDeadOdds(model, params, c)));
}

/**
 * E[purchases in (T, T + t] | x, tx, T] at t = 1..steps (or at the given times), sharing the per-customer work.
 * FHL eq. 10 (BG/NBD, k = 0) and Wagner & Hoppe's form for MBG/NBD (k = 1), with c = a + b + x + k - 1:
 *   E = c/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+k; c; z)] P(alive),   z = t/(alpha+T+t).
 * Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) (Abramowitz & Stegun 15.3.3) turns the
 * bracket into 1 - (1-z)^(a-1) 2F1(a+b+k-1-r, a-1; c; z): no (1-z)^-(r+x) that overflows for frequent buyers.
 * At a = 1 (and at c = 0) the closed form is 0/0; within 1e-5 of there it is interpolated between the two sides.
 */
export function bgExpectedPurchasesAt(model: BgModelName, params: BgParams, c: History, times: ArrayLike<number>): Float64Array {
  const { r, alpha, a, b } = params;
  const k = model === 'mbgnbd' ? 1 : 0;
  const C = a + b + c.x + k - 1;
  // Linear interpolation between the two sides 2e-5 away: error of order 1e-10, rounding of order 1e-11.
  const near = 1e-5;
  const side = 2 * near;
  if (Math.abs(a - 1) < near) {
    const up = bgExpectedPurchasesAt(model, { ...params, a: 1 + side }, c, times);
    const down = bgExpectedPurchasesAt(model, { ...params, a: 1 - side }, c, times);
    return up.map((v, i) => down[i] + ((a - 1 + side) / (2 * side)) * (v - down[i]));
  }
  if (Math.abs(C) < near) {
    const up = bgExpectedPurchasesAt(model, { ...params, b: b + side - C }, c, times);
    const down = bgExpectedPurchasesAt(model, { ...params, b: b - side - C }, c, times);
    return up.map((v, i) => down[i] + ((C + side) / (2 * side)) * (v - down[i]));
  }
  const alive = bgPAlive(model, params, c);
  const front = (C / (a - 1)) * alive;
  const upper = a + b + k - 1 - r;
  const aT = alpha + c.T;
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!(t > 0)) continue;
    const rest = aT / (aT + t);
    out[i] = front * (1 - Math.pow(rest, a - 1) * hyp2f1(upper, a - 1, C, t / (aT + t)));
  }
  return out;
}

/** Expected purchases in (T, T + t] for a customer with history (x, tx, T), in the model's unit. */
export function bgExpectedPurchases(model: BgModelName, params: BgParams, c: History, t: number): number {
  return bgExpectedPurchasesAt(model, params, c, [t])[0];
}
