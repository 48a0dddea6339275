/**
 * ln 2F1(a, b; a + 1; z) for a > 0, b > 0, a + 1 - b > 0 and 0 <= z < 1: the one Gauss hypergeometric function the
 * Pareto/NBD likelihood needs (Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related
 * Expressions", eq. 22, with c = a + 1 there).
 *
 * The textbook series has terms (a)_n (b)_n / ((a+1)_n n!) z^n that first grow like (1 - z)^-b when b is large (a
 * frequent buyer: b = r + x), so it loses digits to rounding and converges slowly. Euler's transformation
 * (Abramowitz & Stegun 15.3.3) gives
 *   2F1(a, b; a+1; z) = (1 - z)^(1-b) 2F1(1, a+1-b; a+1; z),
 * whose series has terms t_0 = 1, t_(n+1) = t_n (a+1-b+n)/(a+1+n) z: all positive (a + 1 - b > 0) and each smaller than
 * the one before by at least the factor z, so the sum never cancels and the tail after t_n is below t_n q/(1 - q),
 * q = the current ratio. The factor (1 - z)^(1-b) stays in log space: the likelihood only ever needs the logarithm.
 */
export function logHyp2f1NextC(a: number, b: number, z: number, options: { maxTerms?: number } = {}): number {
  if (!(a > 0 && b > 0 && a + 1 - b > 0 && z >= 0 && z < 1)) return Number.NaN;
  return (1 - b) * Math.log1p(-z) + Math.log(hyp2f1OneSeries(a + 1 - b, a + 1, z, options.maxTerms ?? MAX_TERMS));
}

/** Enough for z up to about 1 - 1e-4 (the terms fall by at least z each); beyond, NaN rather than a wrong value. */
const MAX_TERMS = 500_000;

/** 2F1(1, d; c; z) for 0 < d < c and 0 <= z < 1, by its positive, decreasing series with a bound on the tail. */
export function hyp2f1OneSeries(d: number, c: number, z: number, maxTerms = MAX_TERMS): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    const ratio = ((d + n) / (c + n)) * z;
    term *= ratio;
    sum += term;
    // The later ratios are below z and rise towards it: the tail is at most term * z / (1 - z).
    if (term * z <= Number.EPSILON * 0.5 * sum * (1 - z)) return sum;
  }
  return Number.NaN;
}
