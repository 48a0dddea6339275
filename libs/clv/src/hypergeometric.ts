import gammaln from '@stdlib/math-base-special-gammaln';

// Read once: a global looked up in a hot loop is slow where globals go through an interceptor (a vm context, as
// jest runs tests in: the Pareto/NBD fit took 50 times as long there as in node before these).
const { abs, exp, floor, log, max, round } = Math;
const EPSILON = Number.EPSILON;
const NaN_ = Number.NaN;

/**
 * ln 2F1(a, b; a + 1; z) for a > 0, b > 0, a + 1 - b > 0 and 0 <= z < 1: the one Gauss hypergeometric function the
 * Pareto/NBD likelihood needs (Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related
 * Expressions", eq. 22, with c = a + 1 there). `y` is 1 - z when the caller has it more exactly than 1 - z rounds
 * (as a ratio of two sums), which matters near z = 1, where y^(1-b) amplifies its relative error b - 1 times.
 *
 * Up to z = NEAR_ONE: the textbook series has terms (a)_n (b)_n / ((a+1)_n n!) z^n that first grow like (1 - z)^-b
 * when b is large (a frequent buyer: b = r + x), losing digits and converging slowly. Euler's transformation
 * (Abramowitz & Stegun 15.3.3) gives 2F1(a, b; a+1; z) = (1 - z)^(1-b) 2F1(1, a+1-b; a+1; z), whose series has
 * terms t_(n+1) = t_n (a+1-b+n)/(a+1+n) z: all positive (a + 1 - b > 0), each smaller than the one before by at least
 * the factor z, so the sum never cancels and the tail after t_n is below t_n z/(1 - z). At most about 350 terms.
 *
 * Beyond: the series would need ~37/(1 - z) terms (a fit whose beta runs far above alpha reaches z = 1 - 1e-6), so
 * the expansion around z = 1 (A&S 15.3.6) takes over, in powers of y = 1 - z < 0.1; see nearOne.
 */
export function logHyp2f1NextC(a: number, b: number, z: number, y = 1 - z): number {
  if (!(a > 0 && b > 0 && a + 1 - b > 0 && z >= 0 && z < 1 && y > 0)) return NaN_;
  // (series === series: not NaN, without a global lookup.) Beyond NEAR_ONE the series is still tried for a few terms: when a + 1 - b is far below a + 1 (a large s in the
  // Pareto/NBD likelihood) its terms fall like n^-(b-1) z^n and it converges at once even with z close to 1, where
  // the expansion around 1 converges slowly (its ratios start near (a + 1 - b) y, about 1 there).
  const series = hyp2f1OneSeries(a + 1 - b, a + 1, z, z <= NEAR_ONE ? MAX_TERMS : TRIAL_TERMS);
  if (series === series) return (1 - b) * log(y) + log(series);
  return logNearOne(a, b, z, y);
}

const TRIAL_TERMS = 200;

const NEAR_ONE = 0.9;
const MAX_TERMS = 100_000;

/** 2F1(1, d; c; z) for 0 < d < c and 0 <= z < 1, by its positive, decreasing series with a bound on the tail. */
export function hyp2f1OneSeries(d: number, c: number, z: number, maxTerms = MAX_TERMS): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    term *= ((d + n) / (c + n)) * z;
    sum += term;
    // The later ratios are below z: the tail is at most term * z / (1 - z).
    if (term * z <= EPSILON * 0.5 * sum * (1 - z)) return sum;
  }
  return NaN_;
}

/** Within this of a whole b >= 1 the two terms of nearOne have poles that cancel: interpolated from both sides. */
const NEAR_POLE = 1e-5;

/**
 * A&S 15.3.6 with c = a + 1, where the first series is 2F1(a, b; b; y) = (1 - y)^-a = z^-a in closed form:
 *   2F1(a, b; a+1; z) = G(a+1) G(1-b) / G(a+1-b) z^-a + a/(b-1) y^(1-b) 2F1(1, a+1-b; 2-b; y).
 * Computed as y^(1-b) [first y^(b-1) + a/(b-1) S], so nothing overflows for large b. At a whole b >= 1 both terms
 * have poles that cancel (the function itself is smooth in b): within NEAR_POLE it is interpolated from four points
 * 2e-5 to 4e-5 away, an error of order 1e-13 against rounding of order 1e-11 there.
 */
function logNearOne(a: number, b: number, z: number, y: number): number {
  const whole = round(b);
  if (whole >= 1 && abs(b - whole) < NEAR_POLE) {
    // Cubic through b = whole -+ 2e-5, -+ 4e-5: ln F bends in b like (ln y)^2, too much for a straight line near z = 1.
    const nodes = [-2, -1, 1, 2].map((k) => k * 2 * NEAR_POLE);
    const values = nodes.map((node) => logNearOne(a, whole + node, z, y));
    const at = b - whole;
    return values.reduce((sum, value, i) => sum + value * nodes.reduce((w, node, j) => (j === i ? w : (w * (at - node)) / (nodes[i] - node)), 1), 0);
  }
  const d = a + 1 - b;
  const e = 2 - b;
  let term = 1;
  let sum = 1;
  for (let n = 0; n < MAX_TERMS; n++) {
    const ratio = ((d + n) / (e + n)) * y;
    term *= ratio;
    sum += term;
    // Once e + n > 0 the ratios tend to y monotonically: the tail is at most |term| q/(1 - q), q the larger of both.
    const q = max(abs(ratio), y);
    if (e + n > 0 && q < 1 && abs(term) * q <= EPSILON * 0.5 * abs(sum) * (1 - q)) break;
  }
  const lnY = log(y);
  // Gamma(1-b) is negative for 1-b in (-1, 0), (-3, -2), ...: gammaln gives ln|Gamma|.
  const sign = b > 1 && floor(1 - b) % 2 !== 0 ? -1 : 1;
  const first = sign * exp(gammaRatio(a, b, d) - a * log(z) + (b - 1) * lnY);
  return (1 - b) * lnY + log(first + (a / (b - 1)) * sum);
}

/**
 * ln |G(a+1) G(1-b) / G(a+1-b)|, remembered for the last (a, b): the likelihood asks at tx and then at T with the same
 * a and b, and the three log-gammas were most of the cost of a row near z = 1.
 */
let lastA = NaN_;
let lastB = NaN_;
let lastRatio = NaN_;
function gammaRatio(a: number, b: number, d: number): number {
  if (a !== lastA || b !== lastB) {
    lastRatio = gammaln(a + 1) + gammaln(1 - b) - gammaln(d);
    lastA = a;
    lastB = b;
  }
  return lastRatio;
}
