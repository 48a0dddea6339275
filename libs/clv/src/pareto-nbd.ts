import type { GroupedHistories, History } from './bg-models';
import { logHyp2f1NextC } from './hypergeometric';

// Read once, not per row: see hypergeometric.ts.
const { abs, exp, expm1, log, log1p, max } = Math;

/**
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987), in the form of Fader & Hardie (2005), "A Note on Deriving the
 * Pareto/NBD Model and Related Expressions" (the equation numbers below are that note's). While alive a customer buys
 * as a Poisson process with rate lambda ~ Gamma(r, alpha); the lifetime is exponential with rate mu ~ Gamma(s, beta), so
 * a customer can drop out at any moment, not only right after a purchase (BG/NBD's story). All times (tx, T, t) are in
 * the unit the customers were summarised in; alpha and beta are in that unit too.
 */
export interface ParetoParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

/**
 * ln of the two parts of one customer's likelihood without the factor Gamma(r+x)/Gamma(r) alpha^r beta^s (eq. 18):
 *   alive = (alpha+T)^-(r+x) (beta+T)^-s                      still alive at T,
 *   dead  = s/(r+s+x) [A(tx) - A(T)]                          died in (tx, T],
 * with A(t) = 2F1(r+s+x, b; r+s+x+1; z(t)) / (m+t)^(r+s+x) (eq. 22: the integral of (alpha+tau)^-(r+x)
 * (beta+tau)^-(s+1) from t to infinity, times r+s+x). The branch keeps 0 <= z < 1: for alpha >= beta, m = alpha,
 * b = s+1, z = (alpha-beta)/(alpha+t); otherwise m = beta, b = r+x, z = (beta-alpha)/(beta+t). The difference is taken
 * as A(tx) (1 - A(T)/A(tx)) with expm1, so it keeps its digits when T is close to tx.
 */
export function paretoLogTerms({ r, alpha, s, beta }: ParetoParams, x: number, tx: number, T: number): { alive: number; dead: number } {
  const alive = -(r + x) * log(alpha + T) - s * log(beta + T);
  if (!(T > tx)) return { alive, dead: -Infinity };
  const a = r + s + x;
  const up = alpha >= beta;
  const m = up ? alpha : beta;
  const low = up ? beta : alpha;
  const b = up ? s + 1 : r + x;
  const atTx = logA(a, b, m, low, tx);
  const dead = log(s / a) + atTx + log(-expm1(logA(a, b, m, low, T) - atTx));
  return { alive, dead };
}

/** ln A(t) of paretoLogTerms; 1 - z = (low + t)/(m + t) exactly, not 1 minus a rounded z. */
const logA = (a: number, b: number, m: number, low: number, t: number): number => logHyp2f1NextC(a, b, (m - low) / (m + t), (low + t) / (m + t)) - a * log(m + t);

const logAddExp = (p: number, q: number): number => (q === -Infinity ? p : max(p, q) + log1p(exp(-abs(p - q))));

/**
 * Log-likelihood summed over the rows (eq. 18; without the x! of a Poisson count, as the published -9594.98 on
 * CDNOW). Gamma(r+x)/Gamma(r) = prod_{j<x} (r+j) as a prefix sum, x being a whole number.
 */
export function paretoLogLikelihoodOfRows(params: ParetoParams, data: GroupedHistories): number {
  const { r, alpha, s, beta } = params;
  const lnR = new Float64Array(data.maxX + 1);
  for (let m = 1; m <= data.maxX; m++) lnR[m] = lnR[m - 1] + log(r + m - 1);
  const common = r * log(alpha) + s * log(beta);
  let value = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i];
    const { alive, dead } = paretoLogTerms(params, x, data.tx[i], data.T[i]);
    value += data.weight[i] * (lnR[x] + common + logAddExp(alive, dead));
  }
  return value;
}

/** P(alive at T | x, tx, T) = alive / (alive + dead) of the likelihood's two parts (eq. 19). */
export function paretoPAlive(params: ParetoParams, c: History): number {
  const { alive, dead } = paretoLogTerms(params, c.x, c.tx, c.T);
  return 1 / (1 + exp(dead - alive));
}

/**
 * E[purchases in (T, T + t] | x, tx, T] at each of the times (eq. 20):
 *   P(alive) (r+x)/(alpha+T) (beta+T)/(s-1) [1 - ((beta+T)/(beta+T+t))^(s-1)],
 * the bracket over s - 1 written as -expm1(-(s-1) L)/(s-1) with L = ln(1 + t/(beta+T)), which tends to L at s = 1
 * (where the closed form is 0/0) and keeps its digits near it.
 */
export function paretoExpectedPurchasesAt(params: ParetoParams, c: History, times: ArrayLike<number>): Float64Array {
  const { r, alpha, s, beta } = params;
  const front = (paretoPAlive(params, c) * (r + c.x) * (beta + c.T)) / (alpha + c.T);
  const k = s - 1;
  const out = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!(t > 0)) continue;
    const L = log1p(t / (beta + c.T));
    out[i] = front * (abs(k * L) < 1e-12 ? L : -expm1(-k * L) / k);
  }
  return out;
}
