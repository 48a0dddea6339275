/**
 * Unconstrained minimisers for the maximum-likelihood fits: BFGS with a strong-Wolfe line search (Nocedal & Wright,
 * Numerical Optimization, 2nd ed., algorithms 3.5, 3.6 and 6.1) and Nelder-Mead with dimension-adapted coefficients
 * (Gao & Han 2012) as the derivative-free fallback. Written here because no small, maintained one is on npm. An
 * objective may answer Infinity or NaN where it is undefined: both count as "worse than anything", so a line search
 * backs off and a simplex moves away.
 */

import type { Objective, Smooth, ValueAndGradient } from './numerical-derivatives';

// The minimisers' callers take the objective's types and the derivatives from here too.
export * from './numerical-derivatives';

export interface MinimiseResult {
  x: number[];
  value: number;
  converged: boolean;
  iterations: number;
  evaluations: number;
  method: 'bfgs' | 'nelder-mead';
  /** Why it stopped, in words. */
  reason: string;
  /** BFGS: the gradient at x, for a caller that wants derivatives there without paying for them again. */
  gradient?: number[];
}

const EPS = 2.220446049250313e-16;
const worse = (value: number): number => (Number.isNaN(value) ? Infinity : value);

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((sum, ai, i) => sum + ai * b[i], 0);
const maxAbs = (a: readonly number[]): number => a.reduce((m, ai) => Math.max(m, Math.abs(ai)), 0);

export interface BfgsOptions {
  maxIterations?: number;
  /** Converged when the largest gradient component is at most this. */
  gradientTolerance?: number;
  /** Largest first trial step along any coordinate (log-parameters: e^5 is a factor of 150). */
  maxStep?: number;
  /**
   * A flat ridge: converged when each of STALLED_ITERATIONS iterations in a row lowered the objective by less than
   * this (absolute) while moving some coordinate by more than ridgeStep. Along a ridge towards a boundary an exact
   * gradient never gets below its tolerance: every step still gains, a little less each time, and the walk goes on
   * until the boundary. Near an interior optimum the steps shrink instead, so this never stops a fit there. None by
   * default.
   */
  ridgeTolerance?: number;
  /** The least move (largest coordinate) of a step that counts towards a ridge; default 0.1. */
  ridgeStep?: number;
}

/** Iterations in a row that must each gain less than ridgeTolerance, moving far, before BFGS stops on a ridge. */
export const STALLED_ITERATIONS = 3;

/** Strong Wolfe line search along d from x; the step, its point and value/gradient, or null when none decreases f. */
function lineSearch(fg: Smooth, x: readonly number[], here: ValueAndGradient, d: readonly number[], first: number, counter: { evaluations: number }) {
  const c1 = 1e-4;
  const c2 = 0.9;
  const phi0 = here.value;
  const dphi0 = dot(here.gradient, d);
  const at = (alpha: number) => {
    counter.evaluations++;
    const point = x.map((xi, i) => xi + alpha * d[i]);
    const vg = fg(point);
    const value = worse(vg.value);
    return { alpha, point, value, gradient: vg.gradient, slope: Number.isFinite(value) ? dot(vg.gradient, d) : NaN };
  };
  type Trial = ReturnType<typeof at>;
  const zoom = (lo: Trial, hi: Trial): Trial | null => {
    for (let i = 0; i < 40; i++) {
      let alpha: number;
      const width = hi.alpha - lo.alpha;
      if (Number.isFinite(hi.value) && Number.isFinite(lo.slope)) {
        // Minimum of the quadratic through lo (value, slope) and hi (value), kept inside the middle 80%.
        const denominator = 2 * (hi.value - lo.value - lo.slope * width);
        alpha = denominator > 0 ? lo.alpha - (lo.slope * width * width) / denominator : lo.alpha + width / 2;
        const low = lo.alpha + 0.1 * width;
        const high = hi.alpha - 0.1 * width;
        if (!(alpha >= Math.min(low, high) && alpha <= Math.max(low, high))) alpha = lo.alpha + width / 2;
      } else alpha = lo.alpha + width / 2;
      const trial = at(alpha);
      if (!(trial.value <= phi0 + c1 * alpha * dphi0) || trial.value >= lo.value) hi = trial;
      else {
        if (Math.abs(trial.slope) <= -c2 * dphi0) return trial;
        if (trial.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = trial;
      }
      if (Math.abs(hi.alpha - lo.alpha) <= 1e-14 * Math.max(1, Math.abs(lo.alpha))) break;
    }
    // No strong-Wolfe point in reach: a step that still decreases f is progress.
    return lo.alpha > 0 && lo.value < phi0 ? lo : null;
  };
  const start: Trial = { alpha: 0, point: [...x], value: phi0, gradient: here.gradient, slope: dphi0 };
  let previous = start;
  let alpha = first;
  for (let i = 0; i < 20; i++) {
    const trial = at(alpha);
    if (!(trial.value <= phi0 + c1 * alpha * dphi0) || (i > 0 && trial.value >= previous.value)) return zoom(previous, trial);
    if (Math.abs(trial.slope) <= -c2 * dphi0) return trial;
    if (trial.slope >= 0) return zoom(trial, previous);
    previous = trial;
    alpha *= 2;
  }
  return previous.alpha > 0 ? previous : null;
}

/** Quasi-Newton minimisation with the BFGS update of the inverse Hessian. */
export function bfgs(fg: Smooth, x0: readonly number[], options: BfgsOptions = {}): MinimiseResult {
  const maxIterations = options.maxIterations ?? 500;
  const gtol = options.gradientTolerance ?? 1e-8;
  const maxStep = options.maxStep ?? 5;
  const n = x0.length;
  const counter = { evaluations: 1 };
  let x = [...x0];
  let here = fg(x);
  if (!Number.isFinite(here.value)) {
    return { x, value: here.value, gradient: here.gradient, converged: false, iterations: 0, evaluations: 1, method: 'bfgs', reason: 'the objective is not finite at the start' };
  }
  const identity = (): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let H = identity();
  let scaled = false;
  let stalled = 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const gradientNorm = maxAbs(here.gradient);
    if (gradientNorm <= gtol) {
      return { x, value: here.value, gradient: here.gradient, converged: true, iterations: iteration, evaluations: counter.evaluations, method: 'bfgs', reason: `gradient ${gradientNorm.toExponential(1)} <= ${gtol}` };
    }
    let d = H.map((row) => -dot(row, here.gradient));
    if (!(dot(d, here.gradient) < 0)) {
      // The approximation lost positive definiteness (rounding): restart from steepest descent.
      H = identity();
      scaled = false;
      d = here.gradient.map((g) => -g);
    }
    const first = Math.min(1, maxStep / maxAbs(d));
    const next = lineSearch(fg, x, here, d, first, counter);
    if (!next) {
      // No decrease along a descent direction: at the optimum up to rounding when the gradient is already small.
      const converged = gradientNorm <= Math.max(1e3 * gtol, 1e-6);
      return { x, value: here.value, gradient: here.gradient, converged, iterations: iteration, evaluations: counter.evaluations, method: 'bfgs', reason: `line search found no decrease (gradient ${gradientNorm.toExponential(1)})` };
    }
    const s = next.point.map((xi, i) => xi - x[i]);
    const y = next.gradient.map((gi, i) => gi - here.gradient[i]);
    const sy = dot(s, y);
    const previousValue = here.value;
    x = next.point;
    here = { value: next.value, gradient: next.gradient };
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (!scaled) {
        const scale = sy / dot(y, y);
        H = H.map((row) => row.map((v) => v * scale));
        scaled = true;
      }
      const rho = 1 / sy;
      const Hy = H.map((row) => dot(row, y));
      const yHy = dot(y, Hy);
      // H+ = H - rho (s Hy' + Hy s') + (rho^2 y'Hy + rho) s s'
      H = H.map((row, i) => row.map((v, j) => v - rho * (s[i] * Hy[j] + Hy[i] * s[j]) + (rho * rho * yHy + rho) * s[i] * s[j]));
    }
    if (Math.abs(previousValue - here.value) <= EPS * Math.max(1, Math.abs(here.value)) && maxAbs(here.gradient) <= Math.max(1e3 * gtol, 1e-6)) {
      return { x, value: here.value, gradient: here.gradient, converged: true, iterations: iteration + 1, evaluations: counter.evaluations, method: 'bfgs', reason: 'no further change in the objective at a small gradient' };
    }
    const { ridgeTolerance } = options;
    stalled = ridgeTolerance !== undefined && previousValue - here.value < ridgeTolerance && maxAbs(s) > (options.ridgeStep ?? 0.1) ? stalled + 1 : 0;
    if (stalled >= STALLED_ITERATIONS) {
      const reason = `a flat ridge: ${STALLED_ITERATIONS} steps in a row each moved by more than ${options.ridgeStep ?? 0.1} and gained less than ${ridgeTolerance!.toExponential(1)} (gradient ${maxAbs(here.gradient).toExponential(1)})`;
      return { x, value: here.value, gradient: here.gradient, converged: true, iterations: iteration + 1, evaluations: counter.evaluations, method: 'bfgs', reason };
    }
  }
  return { x, value: here.value, gradient: here.gradient, converged: false, iterations: maxIterations, evaluations: counter.evaluations, method: 'bfgs', reason: `${maxIterations} iterations` };
}

export interface NelderMeadOptions {
  maxIterations?: number;
  /** Size of the first simplex along each coordinate. */
  initialStep?: number;
  /** Converged when the simplex values differ by at most this (absolute plus relative to |f|)... */
  fTolerance?: number;
  /** ...and its vertices by at most this along every coordinate. */
  xTolerance?: number;
}

/** Derivative-free simplex search; Gao & Han's coefficients keep it from stalling beyond two dimensions. */
export function nelderMead(f: Objective, x0: readonly number[], options: NelderMeadOptions = {}): MinimiseResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 400 * n;
  const step = options.initialStep ?? 0.25;
  const ftol = options.fTolerance ?? 1e-12;
  const xtol = options.xTolerance ?? 1e-9;
  const [reflect, expand, contract, shrink] = [1, 1 + 2 / n, 0.75 - 1 / (2 * n), 1 - 1 / n];
  let evaluations = 0;
  const value = (x: number[]): number => {
    evaluations++;
    return worse(f(x));
  };
  let simplex = [x0, ...x0.map((_, i) => x0.map((xj, j) => (i === j ? xj + step : xj)))].map((x) => ({ x: [...x], f: value([...x]) }));
  const along = (from: number[], to: number[], t: number): number[] => from.map((v, i) => v + t * (to[i] - v));
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    simplex.sort((a, b) => a.f - b.f);
    const best = simplex[0];
    const worst = simplex[n];
    const spreadF = worst.f - best.f;
    const spreadX = Math.max(...simplex.slice(1).map((v) => maxAbs(v.x.map((xi, i) => xi - best.x[i]))));
    if (Number.isFinite(best.f) && spreadF <= ftol * (1 + Math.abs(best.f)) && spreadX <= xtol * (1 + maxAbs(best.x))) {
      return { x: best.x, value: best.f, converged: true, iterations: iteration, evaluations, method: 'nelder-mead', reason: 'simplex collapsed within tolerance' };
    }
    const centroid = best.x.map((_, i) => simplex.slice(0, n).reduce((sum, v) => sum + v.x[i], 0) / n);
    const xr = along(centroid, worst.x, -reflect);
    const fr = value(xr);
    if (fr < best.f) {
      const xe = along(centroid, worst.x, -expand);
      const fe = value(xe);
      simplex[n] = fe < fr ? { x: xe, f: fe } : { x: xr, f: fr };
    } else if (fr < simplex[n - 1].f) {
      simplex[n] = { x: xr, f: fr };
    } else {
      const outside = fr < worst.f;
      const xc = along(centroid, outside ? xr : worst.x, contract);
      const fc = value(xc);
      if (fc < (outside ? fr : worst.f)) simplex[n] = { x: xc, f: fc };
      else
        simplex = simplex.map((v, i) => {
          if (i === 0) return v;
          const x = along(best.x, v.x, shrink);
          return { x, f: value(x) };
        });
    }
  }
  simplex.sort((a, b) => a.f - b.f);
  return { x: simplex[0].x, value: simplex[0].f, converged: false, iterations: maxIterations, evaluations, method: 'nelder-mead', reason: `${maxIterations} iterations` };
}
