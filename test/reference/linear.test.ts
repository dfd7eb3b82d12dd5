// y' = A y against the matrix exponential, y(t) = exp(tA) y0, in closed form: A = Q B Qᵀ with Q an
// orthogonal matrix (a product of Givens rotations) and B block-diagonal with a damped rotation
// block [[-a, w], [-w, -a]] (exp = e^{-at}·rotation by wt) and a Jordan block [[-l, 1], [0, -l]]
// (exp = e^{-lt}·[[1, t], [0, 1]]). Nothing here uses our solver to make expected values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Bosh3, diffeqsolve, Dopri5, Dopri8, ODETerm, PIDController, SaveAt, Tsit5, Vern7, Vern9 } from "../../src/index.js";
import type { AbstractSolver } from "../../src/index.js";
import { checkProportional } from "./load.js";

const a = 0.1;
const w = 1;
const l = 0.5;

/** 4×4 row-major product. */
function mul(X: number[], Y: number[]): number[] {
  const Z = new Array<number>(16).fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) Z[4 * i + j]! += X[4 * i + k]! * Y[4 * k + j]!;
  return Z;
}
function transpose(X: number[]): number[] {
  const Z = new Array<number>(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) Z[4 * j + i] = X[4 * i + j]!;
  return Z;
}
function givens(p: number, q: number, angle: number): number[] {
  const G = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  G[4 * p + p] = Math.cos(angle);
  G[4 * q + q] = Math.cos(angle);
  G[4 * p + q] = -Math.sin(angle);
  G[4 * q + p] = Math.sin(angle);
  return G;
}
const Q = [givens(0, 2, 0.7), givens(1, 3, -1.1), givens(0, 1, 0.4), givens(2, 3, 2.3)].reduce(mul);
const Qt = transpose(Q);
const B = [-a, w, 0, 0, -w, -a, 0, 0, 0, 0, -l, 1, 0, 0, 0, -l];
const A = mul(mul(Q, B), Qt);
function expB(t: number): number[] {
  const ea = Math.exp(-a * t);
  const el = Math.exp(-l * t);
  const c = Math.cos(w * t);
  const s = Math.sin(w * t);
  return [ea * c, ea * s, 0, 0, -ea * s, ea * c, 0, 0, 0, 0, el, el * t, 0, 0, 0, el];
}
const y0 = [1, -0.5, 0.25, 2];
function exact(t: number): number[] {
  const E = mul(mul(Q, expB(t)), Qt);
  return [0, 1, 2, 3].map((i) => E[4 * i]! * y0[0]! + E[4 * i + 1]! * y0[1]! + E[4 * i + 2]! * y0[2]! + E[4 * i + 3]! * y0[3]!);
}

const term = new ODETerm((_t: number, y: Float64Array, M: Float64Array, dy: Float64Array) => {
  for (let i = 0; i < 4; i++) dy[i] = M[4 * i]! * y[0]! + M[4 * i + 1]! * y[1]! + M[4 * i + 2]! * y[2]! + M[4 * i + 3]! * y[3]!;
});

test("the closed-form matrix exponential is right: d/dt exp(tA)y0 = A exp(tA)y0 and exp(0) = I", () => {
  // Central difference of the closed form against A·y: checks the construction itself.
  for (const t of [0.3, 2, 7]) {
    const h = 1e-5;
    const yp = exact(t + h);
    const ym = exact(t - h);
    const y = exact(t);
    for (let i = 0; i < 4; i++) {
      const fd = (yp[i]! - ym[i]!) / (2 * h);
      const Ay = A[4 * i]! * y[0]! + A[4 * i + 1]! * y[1]! + A[4 * i + 2]! * y[2]! + A[4 * i + 3]! * y[3]!;
      assert.ok(Math.abs(fd - Ay) < 1e-8, `component ${i} at t = ${t}: ${fd} vs ${Ay}`);
    }
  }
  exact(0).forEach((v, i) => assert.ok(Math.abs(v - y0[i]!) < 1e-14));
});

// A linear problem with decaying modes: the global error is the sum of damped local errors, so it
// stays within a few tolerance units; C = 20 allows for the ~100 steps' accumulation over [0, 10].
const C = 20;

test("y' = Ay matches exp(tA) y0 to C·tolerance at every rtol, and the error shrinks with rtol", () => {
  const ts = Array.from({ length: 11 }, (_, i) => i);
  const solvers: [string, () => AbstractSolver<any>, number[]][] = [
    ["Dopri5", () => new Dopri5(), [1e-4, 1e-6, 1e-8, 1e-10]],
    ["Bosh3", () => new Bosh3(), [1e-4, 1e-6, 1e-8]],
    ["Tsit5", () => new Tsit5(), [1e-4, 1e-6, 1e-8, 1e-10]],
    ["Vern7", () => new Vern7(), [1e-4, 1e-6, 1e-8, 1e-10]],
    ["Vern9", () => new Vern9(), [1e-4, 1e-6, 1e-8, 1e-10]],
    ["Dopri8", () => new Dopri8(), [1e-4, 1e-6, 1e-8, 1e-10]],
  ];
  for (const [name, make, rtols] of solvers) {
    const errors: number[] = [];
    for (const rtol of rtols) {
      const atol = rtol;
      const sol = diffeqsolve({
        terms: term, solver: make(), t0: 0, t1: 10, y0, args: Float64Array.from(A),
        saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol }), maxSteps: 100_000,
      });
      let scaled = 0;
      let abs = 0;
      for (let i = 0; i < ts.length; i++) {
        const x = exact(ts[i]!);
        for (let j = 0; j < 4; j++) {
          const d = Math.abs(sol.ys[i]![j]! - x[j]!);
          abs = Math.max(abs, d);
          scaled = Math.max(scaled, d / (atol + rtol * Math.abs(x[j]!)));
        }
      }
      assert.ok(scaled <= C, `${name} rtol ${rtol}: error ${abs.toExponential(2)} is ${scaled.toFixed(2)} tolerance units`);
      errors.push(abs);
    }
    checkProportional(errors, rtols, name);
  }
});
