/**
 * Finite differences for the maximum-likelihood fits: the gradient of an objective that has no analytic one, the
 * Hessian at the optimum, and its inverse (the covariance matrix, whose diagonal gives the standard errors).
 */

export interface ValueAndGradient {
  value: number;
  gradient: number[];
}
export type Smooth = (x: readonly number[]) => ValueAndGradient;
export type Objective = (x: readonly number[]) => number;

/** Central differences, step eps^(1/3) scaled by |x|: about 2/3 of the digits of f. */
export function numericalGradient(f: Objective, x: readonly number[]): number[] {
  const point = [...x];
  return x.map((xi, i) => {
    const h = Math.cbrt(Number.EPSILON) * Math.max(1, Math.abs(xi));
    point[i] = xi + h;
    const up = f(point);
    point[i] = xi - h;
    const down = f(point);
    point[i] = xi;
    return (up - down) / (2 * h);
  });
}

/** f with its central-difference gradient, for BFGS on an objective without an analytic one. */
export const withNumericalGradient =
  (f: Objective): Smooth =>
  (x) => ({ value: f(x), gradient: numericalGradient(f, x) });

/**
 * Symmetric Hessian by finite differences: of the analytic gradient when there is one (step eps^(1/3)), otherwise
 * second differences of f (step eps^(1/4)).
 */
export function numericalHessian(f: Objective, x: readonly number[], gradient?: (x: readonly number[]) => number[]): number[][] {
  const n = x.length;
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const point = [...x];
  if (gradient) {
    for (let i = 0; i < n; i++) {
      const h = Math.cbrt(Number.EPSILON) * Math.max(1, Math.abs(x[i]));
      point[i] = x[i] + h;
      const up = gradient(point);
      point[i] = x[i] - h;
      const down = gradient(point);
      point[i] = x[i];
      for (let j = 0; j < n; j++) H[i][j] = (up[j] - down[j]) / (2 * h);
    }
  } else {
    const steps = x.map((xi) => Math.pow(Number.EPSILON, 0.25) * Math.max(1, Math.abs(xi)));
    const at = (di: number, dj: number, i: number, j: number): number => {
      point[i] += di;
      point[j] += dj;
      const value = f(point);
      point[i] = x[i];
      point[j] = x[j];
      return value;
    };
    const f0 = f(x);
    for (let i = 0; i < n; i++) {
      const hi = steps[i];
      H[i][i] = (at(hi, 0, i, i) - 2 * f0 + at(-hi, 0, i, i)) / (hi * hi);
      for (let j = 0; j < i; j++) {
        const hj = steps[j];
        H[i][j] = H[j][i] = (at(hi, hj, i, j) - at(hi, -hj, i, j) - at(-hi, hj, i, j) + at(-hi, -hj, i, j)) / (4 * hi * hj);
      }
    }
  }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const mean = (H[i][j] + H[j][i]) / 2;
      H[i][j] = H[j][i] = mean;
    }
  return H;
}

/**
 * Symmetric Hessian by forward differences of an analytic gradient whose value at x is known: n gradients instead of
 * central differences' 2n, for objectives whose gradient is dear. Step 1e-6 scaled by |x|: about the square root of
 * the gradient's accuracy when that is 1e-12 or so (a sum over many rows), not of eps.
 */
export function forwardHessian(gradient: (x: readonly number[]) => number[], x: readonly number[], atX: readonly number[]): number[][] {
  const n = x.length;
  const point = [...x];
  const H = x.map((xi, i) => {
    const h = 1e-6 * Math.max(1, Math.abs(xi));
    point[i] = xi + h;
    const up = gradient(point);
    point[i] = xi;
    return up.map((g, j) => (g - atX[j]) / h);
  });
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const mean = (H[i][j] + H[j][i]) / 2;
      H[i][j] = H[j][i] = mean;
    }
  return H;
}

/** Inverse of a symmetric positive-definite matrix by Cholesky, or null when it is not positive definite. */
export function invertSymmetric(matrix: readonly (readonly number[])[]): number[][] | null {
  const n = matrix.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i][j];
      for (let k = 0; k < j; k++) sum -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return null;
        L[i][i] = Math.sqrt(sum);
      } else L[i][j] = sum / L[j][j];
    }
  // inverse = L^-T L^-1, column by column of L^-1.
  const Linv = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    Linv[j][j] = 1 / L[j][j];
    for (let i = j + 1; i < n; i++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= L[i][k] * Linv[k][j];
      Linv[i][j] = sum / L[i][i];
    }
  }
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let sum = 0;
      for (let k = Math.max(i, j); k < n; k++) sum += Linv[k][i] * Linv[k][j];
      return sum;
    }),
  );
}
