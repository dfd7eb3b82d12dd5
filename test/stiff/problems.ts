/**
 * Shared helpers for the stiff-solver tests: the published reference problems (ROBER, VDPOL) from
 * ../shared/reference/problems.json, closed-form test problems, and the log–log slope fit.
 */
import { readReferenceProblems } from "../reference/path.js";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { ConstantStepSize } from "../../src/controllers/constant.js";
import { SaveAt } from "../../src/saveat.js";
import type { AbstractSolver } from "../../src/solvers/solver.js";

const json = readReferenceProblems();

export interface RefProblem {
  name: string;
  n: number;
  y0: number[];
  t0: number;
  f: (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
  reference: { t: number; y: number[] }[];
}

/** A reference problem by name, its right-hand side compiled from the JSON's expressions. */
export function refProblem(name: string): RefProblem {
  const p = json.problems.find((q: { name: string }) => q.name === name);
  const body = (p.rhs as string[]).map((e, i) => `dy[${i}] = ${e};`).join("\n");
  const f = new Function("t", "y", "args", "dy", body) as RefProblem["f"];
  return { name, n: p.n, y0: p.y0, t0: p.t0, f, reference: p.reference };
}

/** Exact Jacobian of ROBER (row-major 3 × 3). */
export function roberJac(_t: number, y: Float64Array, _a: unknown, J: Float64Array): void {
  J[0] = -0.04; J[1] = 1e4 * y[2]!; J[2] = 1e4 * y[1]!;
  J[3] = 0.04; J[4] = -1e4 * y[2]! - 6e7 * y[1]!; J[5] = -1e4 * y[1]!;
  J[6] = 0; J[7] = 6e7 * y[1]!; J[8] = 0;
}

/**
 * Largest error relative to the requested tolerance over all reference points and components:
 * max |y_i − ref_i| / (rtol |ref_i| + atol).
 */
export function errorOverTolerance(ys: ArrayLike<ArrayLike<number>>, ref: { y: number[] }[], rtol: number, atol: number): number {
  let worst = 0;
  ref.forEach((r, k) => r.y.forEach((v, i) => {
    const e = Math.abs(ys[k]![i]! - v) / (rtol * Math.abs(v) + atol);
    if (!(e <= worst)) worst = e;
  }));
  return worst;
}

/**
 * Linear non-autonomous test problem (Hairer & Wanner's example): y1' = −2y1 + y2 + 2 sin t,
 * y2' = y1 − 2y2 + 2(cos t − sin t), y(0) = (2, 3); exact y = (2e^{−t} + sin t, 2e^{−t} + cos t).
 */
export const linear = {
  y0: [2, 3],
  f(t: number, y: Float64Array, _a: unknown, dy: Float64Array): void {
    dy[0] = -2 * y[0]! + y[1]! + 2 * Math.sin(t);
    dy[1] = y[0]! - 2 * y[1]! + 2 * (Math.cos(t) - Math.sin(t));
  },
  exact(t: number): number[] {
    return [2 * Math.exp(-t) + Math.sin(t), 2 * Math.exp(-t) + Math.cos(t)];
  },
};

/** Prothero–Robinson: y' = λ (y − sin t) + cos t, y(0) = 0; exact y = sin t. */
export function protheroRobinson(lambda: number) {
  return {
    y0: [0],
    f(t: number, y: Float64Array, _a: unknown, dy: Float64Array): void {
      dy[0] = lambda * (y[0]! - Math.sin(t)) + Math.cos(t);
    },
    exact(t: number): number[] {
      return [Math.sin(t)];
    },
  };
}

/** Least-squares slope of log(err) against log(dt). */
export function slope(dts: number[], errs: number[]): number {
  const xs = dts.map(Math.log);
  const ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

/**
 * ROBER as an index-1 DAE (Hairer & Wanner, *Solving ODEs II*, §VI.1): the third equation replaced
 * by the conservation law 0 = y1 + y2 + y3 − 1, with mass matrix {@link ROBER_DAE_MASS}; its
 * solution is ROBER's, so the published ROBER values apply.
 */
export function roberDae(_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void {
  dy[0] = -0.04 * y[0]! + 1e4 * y[1]! * y[2]!;
  dy[1] = 0.04 * y[0]! - 1e4 * y[1]! * y[2]! - 3e7 * y[1]! * y[1]!;
  dy[2] = y[0]! + y[1]! + y[2]! - 1;
}

/** M = diag(1, 1, 0) of {@link roberDae}. */
export const ROBER_DAE_MASS = [[1, 0, 0], [0, 1, 0], [0, 0, 0]];

/** A test problem with a closed-form solution (as {@link linear} and {@link protheroRobinson}). */
export type Problem = { y0: number[]; f: (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void; exact: (t: number) => number[] };

/**
 * Empirical convergence orders with constant steps dt on [0, 2]: the log–log slopes of the final
 * error and of the dense-output error at the step midpoints (maximum over components and points).
 */
export function constantStepSlopes(make: () => AbstractSolver<any>, p: Problem, dts: number[]): { end: number; mid: number } {
  const end: number[] = [];
  const mid: number[] = [];
  for (const dt of dts) {
    const T = 2;
    const sol = diffeqsolve({
      terms: new ODETerm(p.f), solver: make(), t0: 0, t1: T, dt0: dt, y0: p.y0,
      stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ t1: true, dense: true }),
    });
    end.push(Math.max(...p.exact(T).map((v, i) => Math.abs(v - sol.ys[0]![i]!))));
    let m = 0;
    for (let k = 0; (k + 0.5) * dt < T; k++) {
      const tm = (k + 0.5) * dt;
      const y = sol.evaluate(tm) as Float64Array;
      p.exact(tm).forEach((v, i) => (m = Math.max(m, Math.abs(v - y[i]!))));
    }
    mid.push(m);
  }
  return { end: slope(dts, end), mid: slope(dts, mid) };
}
