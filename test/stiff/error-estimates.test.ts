/**
 * Embedded error estimates of the implicit and stiff methods: order and size, one step at a time.
 *
 * Each method takes ONE step of size h from the exact solution of a smooth, nonlinear,
 * non-autonomous problem with a closed form (through the solver protocol: init, restart, step),
 * for a few h. Two log–log slopes are fitted:
 * - of the true local error ‖y1 − y(t + h)‖: order p + 1;
 * - of the estimate ‖yErr‖: min(p, p̂) + 1 for a pair of orders p (propagated) and p̂ (embedded),
 *   the exponent denominator the step-size controller uses (`errorOrder`).
 * A wrong embedded weight breaks the second slope; a wrong constant factor in front of the
 * estimate does not, so the size of the estimate is pinned where the theory gives it:
 * - Rosenbrock23 (ode23s: p = 2, error estimated from a third-order formula) estimates the error
 *   of y1 itself: ‖yErr‖ / ‖y1 − y(t + h)‖ → 1 (Shampine & Reichelt 1997, §3).
 * - ImplicitEuler's estimate is the difference with explicit Euler: yErr = y1 − (y0 + h f(t, y0)),
 *   up to the (I − hJ)⁻¹ filter, i.e. h² y'' + O(h³), twice implicit Euler's local error −h²/2 y''.
 * - BDF (NDF) of fixed order k from exact history: the estimate (κ_k γ_k + 1/(k+1)) (y1 − y⁽⁰⁾)
 *   and the local error of y1 = y(t + h) + e solving α_k (y1 − y⁽⁰⁾) + Σ_j γ_j ∇^j y_n = h f(y1)
 *   satisfy, to leading order, estimate / |e| = γ_{k+1} = Σ_{j ≤ k+1} 1/j (independent of κ_k;
 *   e.g. k = 1: e = 0.266 h² y'', estimate 0.399 h² y'', ratio 1.5).
 * - The other pairs (p̂ = p − 1) estimate the error of the embedded solution, so the estimate must
 *   exceed the true error of y1: the controller is then conservative.
 *
 * Explicit Runge–Kutta pairs are covered the same way in test/solvers/methods.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BDF, ImplicitEuler, KenCarp3, KenCarp4, KenCarp5, Kvaerno3, Kvaerno4, Kvaerno5, MultiTerm, ODETerm, RadauIIA5, Rodas5P, Rosenbrock23,
} from "../../src/index.js";
import type { AbstractSolver, AbstractTerm, SolverState } from "../../src/index.js";
import { primeBDFHistory, type BDFState } from "../../src/solvers/implicit/bdf.js";
import { slope } from "./problems.js";

// --- The problem: y = u(t) solves y' = u'(t) + g(y) − g(u(t)) for any g. ------------------------
// u(t) = (2 + sin t, e^{−t/4} cos t); g = gE + gI with gE(y) = (y2, −y1 y2), gI(y) = (−y1², −y2).
// Jacobian of g: [[−2 y1, 1], [−y2, −y1 − 1]] (eigenvalues ≈ −2 … −6 near the solution: not stiff,
// so the classical orders hold). For the IMEX methods gE is the explicit part, gI the implicit one.

function u(t: number, out: Float64Array): void {
  out[0] = 2 + Math.sin(t);
  out[1] = Math.exp(-t / 4) * Math.cos(t);
}
const us = new Float64Array(2);
function fE(t: number, y: Float64Array, _a: unknown, dy: Float64Array): void {
  u(t, us);
  const e = Math.exp(-t / 4);
  dy[0] = Math.cos(t) + y[1]! - us[1]!;
  dy[1] = e * (-Math.sin(t) - Math.cos(t) / 4) - y[0]! * y[1]! + us[0]! * us[1]!;
}
function fI(t: number, y: Float64Array, _a: unknown, dy: Float64Array): void {
  u(t, us);
  dy[0] = -y[0]! * y[0]! + us[0]! * us[0]!;
  dy[1] = -y[1]! + us[1]!;
}
const fEtmp = new Float64Array(2);
function f(t: number, y: Float64Array, a: unknown, dy: Float64Array): void {
  fE(t, y, a, fEtmp);
  fI(t, y, a, dy);
  dy[0]! += fEtmp[0]!;
  dy[1]! += fEtmp[1]!;
}
function jac(_t: number, y: Float64Array, _a: unknown, J: Float64Array): void {
  J[0] = -2 * y[0]!;
  J[1] = 1;
  J[2] = -y[1]!;
  J[3] = -y[0]! - 1;
}
function jacI(_t: number, y: Float64Array, _a: unknown, J: Float64Array): void {
  J[0] = -2 * y[0]!;
  J[1] = 0;
  J[2] = 0;
  J[3] = -1;
}

const T0 = 0.3;
const norm = (v: ArrayLike<number>): number => Math.hypot(v[0]!, v[1]!);

interface Method {
  make: () => AbstractSolver<any>;
  /** Order p of y1 and p̂ of the embedded formula (from the method's publication). */
  p: number;
  pHat: number;
  /** Step sizes: where both errors are well above round-off and in the asymptotic range. */
  hs: number[];
  imex?: boolean;
  /** BDF: the fixed order, started from exact history. */
  bdfOrder?: number;
}

/** One step of size h from y(T0): y1, the estimate and, for checks, y0 and f(T0, y0). */
function oneStep(m: Method, h: number) {
  const solver = m.make();
  const terms: AbstractTerm = m.imex ? new MultiTerm(new ODETerm(fE), new ODETerm({ f: fI, jac: jacI })) : new ODETerm({ f, jac });
  const state: SolverState = solver.init(f, 2, null, terms);
  // Newton iterations converged far below the local errors measured (implicit methods).
  const hooks = solver as { setTolerances?: (s: SolverState, rtol: number, atol: number) => void };
  hooks.setTolerances?.(state, m.bdfOrder === undefined ? 1e-12 : 1e-10, m.bdfOrder === undefined ? 1e-12 : 1e-10);
  const y0 = new Float64Array(2);
  u(T0, y0);
  solver.restart(state, T0, y0);
  if (m.bdfOrder !== undefined) {
    const k = m.bdfOrder;
    const history = Array.from({ length: k + 1 }, (_, j) => {
      const y = new Float64Array(2);
      u(T0 - j * h, y);
      return y;
    });
    primeBDFHistory(state as BDFState, history, h, k);
  }
  const y1 = new Float64Array(2);
  const yErr = new Float64Array(2);
  const status = solver.step(state, Float64Array.of(T0, h), y0, y1, yErr, new Float64Array(2));
  assert.equal(status, 0, `${solver.name}: the step of size ${h} failed with status ${status}`);
  const exact = new Float64Array(2);
  u(T0 + h, exact);
  const f0 = new Float64Array(2);
  f(T0, y0, null, f0);
  return { y0, y1, yErr, f0, estimate: norm(yErr), trueError: norm([y1[0]! - exact[0]!, y1[1]! - exact[1]!]) };
}

function measure(m: Method) {
  const runs = m.hs.map((h) => ({ h, ...oneStep(m, h) }));
  return {
    runs,
    estimateSlope: slope(m.hs, runs.map((r) => r.estimate)),
    trueSlope: slope(m.hs, runs.map((r) => r.trueError)),
    /** ‖yErr‖ / ‖y1 − y(t + h)‖ at the smallest h. */
    ratio: runs[runs.length - 1]!.estimate / runs[runs.length - 1]!.trueError,
  };
}

const METHODS: Record<string, Method> = {
  Rosenbrock23: { make: () => new Rosenbrock23(), p: 2, pHat: 3, hs: [0.04, 0.02, 0.01, 0.005] },
  Rodas5P: { make: () => new Rodas5P(), p: 5, pHat: 4, hs: [0.1, 0.05, 0.025] },
  ImplicitEuler: { make: () => new ImplicitEuler(), p: 1, pHat: 1, hs: [0.01, 0.005, 0.0025, 0.00125] },
  Kvaerno3: { make: () => new Kvaerno3(), p: 3, pHat: 2, hs: [0.05, 0.025, 0.0125, 0.00625] },
  Kvaerno4: { make: () => new Kvaerno4(), p: 4, pHat: 3, hs: [0.04, 0.02, 0.01, 0.005] },
  Kvaerno5: { make: () => new Kvaerno5(), p: 5, pHat: 4, hs: [0.1, 0.05, 0.025] },
  KenCarp3: { make: () => new KenCarp3(), p: 3, pHat: 2, hs: [0.05, 0.025, 0.0125, 0.00625], imex: true },
  KenCarp4: { make: () => new KenCarp4(), p: 4, pHat: 3, hs: [0.05, 0.025, 0.0125, 0.00625], imex: true },
  KenCarp5: { make: () => new KenCarp5(), p: 5, pHat: 4, hs: [0.1, 0.05, 0.025], imex: true },
  RadauIIA5: { make: () => new RadauIIA5(), p: 5, pHat: 3, hs: [0.1, 0.05, 0.025] },
};
const BDF_HS = [[0.02, 0.01, 0.005, 0.0025], [0.02, 0.01, 0.005, 0.0025], [0.04, 0.02, 0.01, 0.005], [0.04, 0.02, 0.01], [0.05, 0.025, 0.0125]];
const BDFS: Method[] = [1, 2, 3, 4, 5].map((k) => ({ make: () => new BDF({ maxOrder: k }), p: k, pHat: k, hs: BDF_HS[k - 1]!, bdfOrder: k }));

const TOL = 0.3;

test("one step from the exact solution: true local error of order p + 1 and estimate of order min(p, p̂) + 1, for every implicit method", () => {
  for (const [name, m] of Object.entries(METHODS)) {
    const r = measure(m);
    assert.ok(Math.abs(r.trueSlope - (m.p + 1)) <= TOL, `${name}: local error slope ${r.trueSlope.toFixed(2)}, expected ${m.p + 1}`);
    const q = Math.min(m.p, m.pHat) + 1;
    assert.ok(Math.abs(r.estimateSlope - q) <= TOL, `${name}: estimate slope ${r.estimateSlope.toFixed(2)}, expected ${q}`);
  }
});

test("Rosenbrock23 estimates the error of its own solution: ‖yErr‖ / ‖y1 − y(t + h)‖ → 1", () => {
  const r = measure(METHODS.Rosenbrock23!);
  for (const run of r.runs.slice(-2)) {
    const ratio = run.estimate / run.trueError;
    assert.ok(ratio >= 0.9 && ratio <= 1.1, `h = ${run.h}: estimate / true error = ${ratio.toFixed(3)} (a wrong error constant, e.g. dt/3 for dt/6, gives 2)`);
  }
});

test("ImplicitEuler's estimate is y1 minus the explicit Euler step (filtered), twice the local error", () => {
  const r = measure(METHODS.ImplicitEuler!);
  for (const run of r.runs) {
    const euler = [run.y0[0]! + run.h * run.f0[0]!, run.y0[1]! + run.h * run.f0[1]!];
    const diff = norm([run.y1[0]! - euler[0]!, run.y1[1]! - euler[1]!]);
    const vsEuler = run.estimate / diff;
    // The (I − hJ)⁻¹ filter changes it by O(h ‖J‖) ≲ 6%.
    assert.ok(Math.abs(vsEuler - 1) <= 0.1, `h = ${run.h}: ‖yErr‖ / ‖y1 − y_Euler‖ = ${vsEuler.toFixed(3)}`);
  }
  assert.ok(r.ratio >= 1.8 && r.ratio <= 2.2, `estimate / true error = ${r.ratio.toFixed(3)}, expected → 2`);
});

test("pairs with p̂ = p − 1 (Kvaerno, KenCarp, Rodas5P, RadauIIA5) never estimate less than the true error of y1", () => {
  for (const [name, m] of Object.entries(METHODS)) {
    if (m.pHat >= m.p) continue;
    const r = measure(m);
    for (const run of r.runs.slice(-2)) {
      assert.ok(run.estimate >= 2 * run.trueError, `${name}, h = ${run.h}: estimate ${run.estimate.toExponential(2)} vs true error ${run.trueError.toExponential(2)}`);
    }
  }
});

test("BDF of fixed order k = 1 … 5 from exact history: local error and estimate of order k + 1, estimate / error → γ_{k+1}", () => {
  for (const m of BDFS) {
    const k = m.bdfOrder!;
    const r = measure(m);
    assert.ok(Math.abs(r.trueSlope - (k + 1)) <= TOL, `BDF${k}: local error slope ${r.trueSlope.toFixed(2)}`);
    assert.ok(Math.abs(r.estimateSlope - (k + 1)) <= TOL, `BDF${k}: estimate slope ${r.estimateSlope.toFixed(2)}`);
    let gamma = 0;
    for (let j = 1; j <= k + 1; j++) gamma += 1 / j;
    assert.ok(Math.abs(r.ratio / gamma - 1) <= 0.1, `BDF${k}: estimate / error ${r.ratio.toFixed(3)}, expected γ_${k + 1} = ${gamma.toFixed(3)}`);
  }
});

test("errorOrder, the controller's exponent denominator, is the order of the estimate: min(p, p̂) + 1", () => {
  // BDF is left out: its order varies and its stepFactor hook chooses the step from the order in use.
  // ImplicitEuler: p = 1 with explicit Euler (p̂ = 1) as the embedded method, so errorOrder 2.
  for (const [name, m] of Object.entries(METHODS)) assert.equal(m.make().errorOrder, Math.min(m.p, m.pHat) + 1, name);
  assert.equal(new ImplicitEuler().errorOrder, 2);
});
