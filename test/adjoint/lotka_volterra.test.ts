import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BacksolveAdjoint, Bosh3, compile, ConstantStepSize, diffeqsolve, diffeqsolveJvp, diffeqsolveVjp, Dopri5, Dopri8, ForwardSensitivity, Heun,
  ODETerm, PIDController, RecursiveCheckpointAdjoint, SaveAt, Tsit5, Vern7, Vern9, type Adjoint, type AbstractSolver,
} from "../../src/index.js";

// Lotka–Volterra: x' = αx − βxy, y' = δxy − γy.
const lv = compile(
  (_t: number, y: Float64Array, a: { alpha: number; beta: number; gamma: number; delta: number }, dy: Float64Array) => {
    dy[0] = a.alpha * y[0]! - a.beta * y[0]! * y[1]!;
    dy[1] = a.delta * y[0]! * y[1]! - a.gamma * y[1]!;
  },
  { args: { alpha: 0, beta: 0, gamma: 0, delta: 0 } },
);
const ARGS = { alpha: 1.5, beta: 1, gamma: 3, delta: 1 };
const Y0 = [1, 1];
const TS = [0.5, 1.7, 3, 4.2, 6.5, 8, 10];
const W = TS.map((_, i) => [Math.cos(i + 1), Math.sin(2 * i + 1)]);
const NAMES = ["alpha", "beta", "gamma", "delta"] as const;

/** L = Σ ⟨W_i, y(t_i)⟩ from a tightly solved forward run (Vern9, rtol 1e-13). */
function loss(y0: number[], args: typeof ARGS): number {
  const sol = diffeqsolve({
    terms: new ODETerm(lv.f), solver: new Vern9(), t0: 0, t1: 10, y0, args,
    stepsizeController: new PIDController({ rtol: 1e-13, atol: 1e-13 }), saveat: new SaveAt({ ts: TS }),
  });
  let L = 0;
  sol.ys.forEach((row, i) => (L += W[i]![0]! * row[0]! + W[i]![1]! * row[1]!));
  return L;
}

/** Central differences of tightly solved runs: [dL/dy0_0, dL/dy0_1, dL/dα, dL/dβ, dL/dγ, dL/dδ]. */
const fd: number[] = (() => {
  const out: number[] = [];
  for (let j = 0; j < 2; j++) {
    const h = 1e-5;
    const p = [...Y0];
    const m = [...Y0];
    p[j] += h;
    m[j] -= h;
    out.push((loss(p, ARGS) - loss(m, ARGS)) / (2 * h));
  }
  for (const name of NAMES) {
    const h = 1e-5 * Math.abs(ARGS[name]);
    out.push((loss(Y0, { ...ARGS, [name]: ARGS[name] + h }) - loss(Y0, { ...ARGS, [name]: ARGS[name] - h })) / (2 * h));
  }
  return out;
})();

function gradient(adjoint: Adjoint, solver: AbstractSolver<any> = new Tsit5(), rtol = 1e-10) {
  const { pullback } = diffeqsolveVjp({
    terms: new ODETerm(lv), solver, t0: 0, t1: 10, y0: Y0, args: ARGS,
    stepsizeController: new PIDController({ rtol, atol: rtol * 1e-2 }), saveat: new SaveAt({ ts: TS }), adjoint,
  });
  const g = pullback(W);
  const a = g.args as Record<string, number>;
  return [...(g.y0 as number[]), ...NAMES.map((k) => a[k]!)];
}

function assertClose(actual: number[], expected: number[], rel: number, what: string): void {
  const scale = Math.max(...expected.map(Math.abs));
  actual.forEach((x, i) => {
    assert.ok(Math.abs(x - expected[i]!) <= rel * Math.max(Math.abs(expected[i]!), 1e-3 * scale), `${what}[${i}]: ${x} vs ${expected[i]} (rel ${Math.abs(x - expected[i]!) / Math.abs(expected[i]!)})`);
  });
}

test("finite differences are converged (step h and h/4 agree) so they can judge the adjoints", () => {
  // Check one parameter at a second step size: truncation error is far below 1e-6 relative.
  const h = 2.5e-6 * ARGS.gamma;
  const g = (loss(Y0, { ...ARGS, gamma: ARGS.gamma + h }) - loss(Y0, { ...ARGS, gamma: ARGS.gamma - h })) / (2 * h);
  assert.ok(Math.abs(g - fd[4]!) <= 1e-7 * Math.abs(fd[4]!), `${g} vs ${fd[4]}`);
});

const cases: [string, () => Adjoint][] = [
  ["RecursiveCheckpointAdjoint", () => new RecursiveCheckpointAdjoint()],
  ["RecursiveCheckpointAdjoint (3 checkpoints)", () => new RecursiveCheckpointAdjoint({ checkpoints: 3 })],
  ["BacksolveAdjoint", () => new BacksolveAdjoint({ stepsizeController: new PIDController({ rtol: 1e-11, atol: 1e-13 }) })],
  ["ForwardSensitivity", () => new ForwardSensitivity()],
];
for (const [name, make] of cases) {
  test(`Lotka–Volterra: ${name} matches central finite differences of tight forward solves to 1e-6 relative`, () => {
    assertClose(gradient(make()), fd, 1e-6, name);
  });
}

test("the discrete adjoint equals forward-mode differentiation of the same discretisation to 1e-12 (every explicit RK method, interpolated outputs)", () => {
  const solvers: [string, () => AbstractSolver<any>][] = [
    ["Tsit5", () => new Tsit5()], ["Dopri5", () => new Dopri5()], ["Dopri8", () => new Dopri8()], ["Vern7", () => new Vern7()],
    ["Vern9", () => new Vern9()], ["Bosh3", () => new Bosh3()], ["Heun", () => new Heun()],
  ];
  for (const [name, make] of solvers) {
    const rev = gradient(new RecursiveCheckpointAdjoint({ checkpoints: 4 }), make(), 1e-6);
    const fwd = gradient(new ForwardSensitivity(), make(), 1e-6);
    const scale = Math.max(...fwd.map(Math.abs));
    rev.forEach((x, i) => assert.ok(Math.abs(x - fwd[i]!) <= 1e-12 * scale, `${name}[${i}]: ${x} vs ${fwd[i]}`));
    // ... and differs from the exact gradient by the discretisation error (so the test has teeth).
    assert.ok(Math.max(...rev.map((x, i) => Math.abs(x - fd[i]!))) > 1e-11 * scale, `${name}: suspiciously exact`);
  }
});

test("diffeqsolveJvp agrees with the pullback (⟨ȳ, J v⟩ = ⟨Jᵀ ȳ, v⟩) on fixed steps", () => {
  const opts = {
    terms: new ODETerm(lv), solver: new Tsit5(), t0: 0, t1: 10, dt0: 0.05, y0: Y0, args: ARGS,
    stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ ts: TS }),
  };
  const g = diffeqsolveVjp(opts).pullback(W);
  const v = { y0: [0.3, -0.7], args: { alpha: 0.1, beta: -0.2, gamma: 0.5, delta: 1 } };
  const { tangents } = diffeqsolveJvp(opts, v);
  let lhs = 0;
  tangents.forEach((row, i) => (lhs += W[i]![0]! * row[0]! + W[i]![1]! * row[1]!));
  const ga = g.args as Record<string, number>;
  const gy = g.y0 as number[];
  const rhs = gy[0]! * 0.3 - gy[1]! * 0.7 + NAMES.reduce((s, k) => s + ga[k]! * v.args[k], 0);
  assert.ok(Math.abs(lhs - rhs) <= 1e-12 * Math.abs(lhs), `${lhs} vs ${rhs}`);
});
