import { bfgs, invertSymmetric, STALLED_ITERATIONS, nelderMead, numericalGradient, numericalHessian, withNumericalGradient, type Objective, type Smooth } from './optimisers';

/** Rosenbrock's valley in n dimensions: minimum 0 at (1, ..., 1), a curved narrow valley that defeats naive descent. */
const rosenbrock: Objective = (x) => {
  let sum = 0;
  for (let i = 0; i < x.length - 1; i++) sum += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return sum;
};
const rosenbrockSmooth: Smooth = (x) => {
  const gradient = new Array<number>(x.length).fill(0);
  for (let i = 0; i < x.length - 1; i++) {
    const inner = x[i + 1] - x[i] ** 2;
    gradient[i] += -400 * x[i] * inner - 2 * (1 - x[i]);
    gradient[i + 1] += 200 * inner;
  }
  return { value: rosenbrock(x), gradient };
};
/** Beale: minimum 0 at (3, 0.5). */
const beale: Objective = ([x, y]) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2;
/** Himmelblau: four minima of value 0, one of them at (3, 2). */
const himmelblau: Objective = ([x, y]) => (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2;
/** x - ln x summed: minimum n at (1, ..., 1), undefined (Infinity) for x <= 0, where a full Newton step from 3 lands. */
const logBarrier: Objective = (x) => x.reduce((sum, xi) => sum + (xi > 0 ? xi - Math.log(xi) : Infinity), 0);

const expectNear = (actual: readonly number[], expected: readonly number[], tolerance: number) =>
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(tolerance));

describe('BFGS', () => {
  it('finds the Rosenbrock minimum from the classic start (-1.2, 1) with the analytic gradient', () => {
    const result = bfgs(rosenbrockSmooth, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.method).toBe('bfgs');
    expectNear(result.x, [1, 1], 1e-6);
    expect(result.value).toBeLessThan(1e-12);
  });

  it('finds the 4-dimensional Rosenbrock minimum with a numerical gradient', () => {
    const result = bfgs(withNumericalGradient(rosenbrock), [-1.2, 1, -1.2, 1], { gradientTolerance: 1e-7 });
    expect(result.converged).toBe(true);
    expectNear(result.x, [1, 1, 1, 1], 1e-5);
  });

  it('finds Beale and Himmelblau minima', () => {
    expectNear(bfgs(withNumericalGradient(beale), [1, 1]).x, [3, 0.5], 1e-5);
    const h = bfgs(withNumericalGradient(himmelblau), [2.5, 2.5]);
    expectNear(h.x, [3, 2], 1e-6);
  });

  it('backs off when a step lands where the objective is undefined', () => {
    const result = bfgs(withNumericalGradient(logBarrier), [3, 0.05]);
    expect(result.converged).toBe(true);
    expectNear(result.x, [1, 1], 1e-6);
  });

  it('with a ridge tolerance, stops on a flat ridge (steps that move far and gain next to nothing) where the gradient rule walks on', () => {
    // The valley u = v falls towards its limit like e^-u (a likelihood approaching its value at a boundary, as
    // Pareto/NBD's towards a common dropout rate): each step gains a fraction of what is left, and the gradient stays
    // above 1e-8 until u = 18.
    const ridge: Smooth = ([u, v]) => ({ value: (u - v) ** 2 + Math.exp(-u), gradient: [2 * (u - v) - Math.exp(-u), -2 * (u - v)] });
    const walked = bfgs(ridge, [0, 0], { gradientTolerance: 1e-8 });
    const stopped = bfgs(ridge, [0, 0], { gradientTolerance: 1e-8, ridgeTolerance: 1e-3 });
    expect(walked.converged).toBe(true);
    expect(walked.x[0]).toBeGreaterThan(15);
    expect(stopped.converged).toBe(true);
    expect(stopped.reason).toMatch(new RegExp(`^a flat ridge: ${STALLED_ITERATIONS} steps in a row each moved by more than 0.1 and gained less than 1.0e-3 \\(gradient [\\d.e+-]+\\)$`));
    expect(stopped.iterations).toBeLessThan(walked.iterations);
    stopped.x.forEach((x) => expect(Number.isFinite(x)).toBe(true));
    // What is left to gain there is of the order of the tolerance, not more.
    expect(stopped.value).toBeLessThan(1e-2);
    expect(stopped.x[0]).toBeLessThan(walked.x[0]);
  });

  it('the ridge tolerance does not stop a fit converging to an interior minimum (its steps shrink)', () => {
    const free = bfgs(rosenbrockSmooth, [-1.2, 1]);
    const guarded = bfgs(rosenbrockSmooth, [-1.2, 1], { ridgeTolerance: 1e-3 });
    expect(guarded.x).toEqual(free.x);
    expect(guarded.reason).toBe(free.reason);
  });

  it('says it did not converge when the iterations run out', () => {
    const result = bfgs(rosenbrockSmooth, [-1.2, 1], { maxIterations: 3 });
    expect(result.converged).toBe(false);
    expect(result.reason).toBe('3 iterations');
  });
});

describe('Nelder-Mead', () => {
  it('finds the Rosenbrock, Beale and Himmelblau minima without derivatives', () => {
    const r = nelderMead(rosenbrock, [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(r.method).toBe('nelder-mead');
    expectNear(r.x, [1, 1], 1e-5);
    expectNear(nelderMead(beale, [1, 1]).x, [3, 0.5], 1e-5);
    expectNear(nelderMead(himmelblau, [2.5, 2.5]).x, [3, 2], 1e-6);
  });

  it('finds the 4-dimensional Rosenbrock minimum (adaptive coefficients)', () => {
    const result = nelderMead(rosenbrock, [-1.2, 1, -1.2, 1], { maxIterations: 5000 });
    expect(result.converged).toBe(true);
    expectNear(result.x, [1, 1, 1, 1], 1e-4);
  });

  it('moves away from where the objective is undefined', () => {
    expectNear(nelderMead(logBarrier, [0.1, 0.05]).x, [1, 1], 1e-5);
  });
});

describe('finite differences and the inverse', () => {
  // f = 1/2 x'Ax + b'x with a known A: gradient Ax + b, Hessian A.
  const A = [
    [4, 1, 0.5],
    [1, 3, 0.2],
    [0.5, 0.2, 2],
  ];
  const b = [1, -2, 0.5];
  const quadratic: Objective = (x) => 0.5 * x.reduce((s, xi, i) => s + xi * A[i].reduce((t, aij, j) => t + aij * x[j], 0), 0) + b.reduce((s, bi, i) => s + bi * x[i], 0);
  const gradient = (x: readonly number[]) => A.map((row, i) => row.reduce((t, aij, j) => t + aij * x[j], 0) + b[i]);

  it('gradient and Hessian match the closed forms', () => {
    const x = [0.3, -1.1, 2];
    expectNear(numericalGradient(quadratic, x), gradient(x), 1e-8);
    numericalHessian(quadratic, x).forEach((row, i) => expectNear(row, A[i], 1e-5));
    numericalHessian(quadratic, x, gradient).forEach((row, i) => expectNear(row, A[i], 1e-8));
  });

  it('inverts a positive-definite matrix and refuses one that is not', () => {
    const inverse = invertSymmetric(A);
    expect(inverse).not.toBeNull();
    A.forEach((row, i) =>
      expectNear(
        inverse!.map((_, j) => row.reduce((t, aik, k) => t + aik * inverse![k][j], 0)),
        [0, 1, 2].map((j) => (i === j ? 1 : 0)),
        1e-12,
      ),
    );
    expect(invertSymmetric([[1, 2], [2, 1]])).toBeNull();
    expect(invertSymmetric([[1, 0], [0, 0]])).toBeNull();
  });
});
