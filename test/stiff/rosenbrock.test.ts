import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { PIDController } from "../../src/controllers/pid.js";
import { SaveAt } from "../../src/saveat.js";
import { RESULTS, SolveError } from "../../src/results.js";
import { Rodas5P, Rosenbrock23, RODAS5P_TABLEAU } from "../../src/solvers/implicit/rosenbrock.js";
import { constantStepSlopes, errorOverTolerance, linear, protheroRobinson, refProblem, ROBER_DAE_MASS, roberDae } from "./problems.js";

const R23_DTS = [0.1, 0.05, 0.025, 0.0125];
const R5_DTS = [0.2, 0.1, 0.05, 0.025];

test("Rosenbrock23 converges with order 2 (solution and dense output) on a linear problem and on Prothero–Robinson", () => {
  for (const p of [linear, protheroRobinson(-10), protheroRobinson(-1e4)]) {
    const s = constantStepSlopes(() => new Rosenbrock23(), p, R23_DTS);
    assert.ok(Math.abs(s.end - 2) <= 0.25, `slope ${s.end}`);
    assert.ok(Math.abs(s.mid - 2) <= 0.25, `dense slope ${s.mid}`);
  }
});

test("Rodas5P converges with order 5 (solution and dense output) on a linear problem and non-stiff Prothero–Robinson", () => {
  for (const p of [linear, protheroRobinson(-10)]) {
    const s = constantStepSlopes(() => new Rodas5P(), p, R5_DTS);
    assert.ok(Math.abs(s.end - 5) <= 0.25, `slope ${s.end}`);
    // Dense output of order 4: local interpolation error O(dt^5), global O(dt^5).
    assert.ok(s.mid >= 4 - 0.25, `dense slope ${s.mid}`);
  }
});

test("Rodas5P on stiff Prothero–Robinson (λ = −1e4, −1e6): order reduced to 3, as Rosenbrock methods' stage order predicts", () => {
  for (const lambda of [-1e4, -1e6]) {
    const s = constantStepSlopes(() => new Rodas5P(), protheroRobinson(lambda), R5_DTS);
    assert.ok(Math.abs(s.end - 3) <= 0.25, `λ=${lambda}: slope ${s.end}`);
    assert.ok(Math.abs(s.mid - 4) <= 0.25, `λ=${lambda}: dense slope ${s.mid}`);
  }
});

test("Rodas5P's transcribed coefficients satisfy c_i = Σ_j α_ij, d_i = Σ_j γ_ij and Σ b_i = 1 in the untransformed form", () => {
  const T = RODAS5P_TABLEAU;
  const s = T.stages;
  // Γ⁻¹ = I/γ − C (Hairer & Wanner IV.7): invert the lower-triangular matrix, then α = a Γ.
  const Gi = (i: number, j: number): number => (i === j ? 1 / T.gamma : j < i ? -T.C[i * s + j]! : 0);
  const G: number[][] = Array.from({ length: s }, () => new Array<number>(s).fill(0));
  for (let j = 0; j < s; j++) {
    for (let i = 0; i < s; i++) {
      let v = i === j ? 1 : 0;
      for (let k = 0; k < i; k++) v -= Gi(i, k) * G[k]![j]!;
      G[i]![j] = v / Gi(i, i);
    }
  }
  let sumB = 0;
  for (let i = 0; i < s; i++) {
    let alpha = 0;
    let gamma = 0;
    for (let j = 0; j < s; j++) {
      let a = 0;
      for (let k = 0; k < s; k++) a += T.a[i * s + k]! * G[k]![j]!;
      alpha += a;
      gamma += G[i]![j]!;
      sumB += T.b[i]! * G[i]![j]!;
    }
    assert.ok(Math.abs(alpha - T.c[i]!) < 1e-13, `c_${i + 1}`);
    assert.ok(Math.abs(gamma - T.d[i]!) < 1e-13, `d_${i + 1}`);
  }
  assert.ok(Math.abs(sumB - 1) < 1e-13);
});

test("ROBER as an index-1 DAE (M = diag(1, 1, 0), algebraic y1 + y2 + y3 = 1) matches the published ROBER values", () => {
  const rober = refProblem("ROBER");
  const ts = rober.reference.map((r) => r.t);
  const massMatrix = ROBER_DAE_MASS;
  for (const [solver, rtol, bound] of [[new Rodas5P({ massMatrix }), 1e-6, 100], [new Rodas5P({ massMatrix }), 1e-8, 100]] as const) {
    const atol = 1e-6 * rtol;
    const sol = diffeqsolve({
      terms: new ODETerm(roberDae), solver, t0: 0, t1: 1e11, y0: [1, 0, 0], saveat: new SaveAt({ ts }),
      stepsizeController: new PIDController({ rtol, atol }), maxSteps: 1_000_000,
    });
    const e = errorOverTolerance(sol.ys, rober.reference, rtol, atol);
    assert.ok(e <= bound, `${solver.name}: error/tolerance ${e}`);
  }
});

test("Rosenbrock23 with a nonsingular mass matrix: 2 y1' = 2 f1 solves ROBER; a singular one is refused with a clear message", () => {
  const rober = refProblem("ROBER");
  const scaled = (t: number, y: Float64Array, a: unknown, dy: Float64Array): void => {
    rober.f(t, y, a, dy);
    dy[0] = 2 * dy[0]!;
  };
  const ts = rober.reference.map((r) => r.t);
  const rtol = 1e-6;
  const sol = diffeqsolve({
    terms: new ODETerm(scaled), solver: new Rosenbrock23({ massMatrix: [[2, 0, 0], [0, 1, 0], [0, 0, 1]] }), t0: 0, t1: 1e11,
    y0: [1, 0, 0], saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol: 1e-6 * rtol }),
  });
  assert.ok(errorOverTolerance(sol.ys, rober.reference, rtol, 1e-6 * rtol) <= 1000);
  assert.throws(
    () => diffeqsolve({ terms: new ODETerm(scaled), solver: new Rosenbrock23({ massMatrix: [[1, 0, 0], [0, 1, 0], [0, 0, 0]] }), t0: 0, t1: 1, y0: [1, 0, 0] }),
    /Rosenbrock23: `massMatrix` is singular .* Use new Rodas5P\(\{ massMatrix \}\)/,
  );
});

test("banded and dense linear solvers give the closed-form solution of the semi-discrete heat equation", () => {
  // y' = A y, A = tridiag(1, −2, 1)/h²: y0 = sin(π x_i) is an eigenvector with λ = −4 sin²(πh/2)/h².
  const n = 63;
  const h = 1 / (n + 1);
  const y0 = Array.from({ length: n }, (_, i) => Math.sin(Math.PI * (i + 1) * h));
  const lambda = (-4 * Math.sin((Math.PI * h) / 2) ** 2) / (h * h);
  const f = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let i = 0; i < n; i++) dy[i] = ((i > 0 ? y[i - 1]! : 0) - 2 * y[i]! + (i < n - 1 ? y[i + 1]! : 0)) / (h * h);
  };
  const jacSparsity = Array.from({ length: n }, (_, i) => [i - 1, i, i + 1].filter((j) => j >= 0 && j < n));
  const T = 0.1;
  for (const linearSolver of ["banded", "dense"] as const) {
    const sol = diffeqsolve({
      terms: new ODETerm({ f, jacSparsity }), solver: new Rodas5P({ linearSolver }), t0: 0, t1: T, y0,
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
    });
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(sol.ys[0]![i]! - Math.exp(lambda * T) * y0[i]!));
    assert.ok(err < 1e-7, `${linearSolver}: ${err}`);
    if (linearSolver === "banded") {
      // Coloured finite differences: three evaluations per Jacobian instead of n.
      assert.ok(sol.stats.numFnEvals < sol.stats.numJacobianEvals! * (3 + 2 + 8) + 10);
    }
  }
});

test("a singular iteration matrix ends the solve with RESULTS.singularMatrix, and no hang", () => {
  // M = 0 and f independent of y: W = αM − J = 0 for every step size.
  const terms = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = 1; });
  for (const solver of [new Rodas5P({ massMatrix: [[0]] })]) {
    const sol = diffeqsolve({ terms, solver, t0: 0, t1: 1, y0: [0], throw: false });
    assert.equal(sol.result, RESULTS.singularMatrix);
    assert.throws(() => diffeqsolve({ terms, solver, t0: 0, t1: 1, y0: [0] }), (e: unknown) => e instanceof SolveError && /singularMatrix/.test(e.message));
  }
});

test("NaN from the vector field ends with RESULTS.nonFiniteEncountered", () => {
  const terms = new ODETerm((t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = t > 0.5 ? NaN : -y[0]!; });
  const sol = diffeqsolve({ terms, solver: new Rodas5P(), t0: 0, t1: 1, y0: [1], throw: false });
  assert.equal(sol.result, RESULTS.nonFiniteEncountered);
});

test("bad options name the argument, the value and the fix", () => {
  assert.throws(() => new Rodas5P({ linearSolver: "simd" as never }), /`linearSolver` must be "auto", "dense", "banded", "sparse" or "gmres"; got the string "simd"/);
  assert.throws(() => new Rodas5P({ bandwidth: [1] as never }), /`bandwidth` must be \[ml, mu\]/);
  const terms = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; dy[1] = -y[1]!; });
  assert.throws(
    () => diffeqsolve({ terms, solver: new Rodas5P({ massMatrix: [[1, 0, 0]] }), t0: 0, t1: 1, y0: [1, 1] }),
    /`massMatrix` must be 2 × 2/,
  );
  // "banded" without a bandwidth detects the pattern from f; a field that throws on NaN input hides it.
  const guarded = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    if (y[0] !== y[0] || y[1] !== y[1]) throw new Error("NaN state");
    dy[0] = -y[0]!;
    dy[1] = -y[1]!;
  });
  assert.throws(
    () => diffeqsolve({ terms: guarded, solver: new Rosenbrock23({ linearSolver: "banded" }), t0: 0, t1: 1, y0: [1, 1] }),
    /linearSolver "banded" needs the Jacobian's sparsity pattern, and it could not be detected from f.*Pass it with the vector field, new ODETerm\(\{ f, jacSparsity \}\)/,
  );
});

test("autonomous: true skips ∂f/∂t (two evaluations per step fewer) with the same answer on an autonomous problem", () => {
  const rober = refProblem("ROBER");
  const ts = rober.reference.map((r) => r.t);
  const run = (autonomous: boolean) => diffeqsolve({
    terms: new ODETerm(rober.f), solver: new Rodas5P({ autonomous }), t0: 0, t1: 1e11, y0: rober.y0,
    saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-14 }),
  });
  const a = run(true);
  const b = run(false);
  assert.ok(errorOverTolerance(a.ys, rober.reference, 1e-8, 1e-14) <= 100);
  assert.equal(b.stats.numFnEvals - a.stats.numFnEvals, 2 * b.stats.numJacobianEvals!);
  assert.throws(() => new Rodas5P({ autonomous: "yes" as never }), /`autonomous` must be true or false; got the string "yes"/);
});
