import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BacksolveAdjoint, diffeqsolveJvp, diffeqsolveVjp, ForwardSensitivity, ODETerm, RecursiveCheckpointAdjoint, Rodas5P, SaveAt, Tsit5,
} from "../../src/index.js";

const f = (_t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => { dy[0] = -a.k * y[0]!; };
const base = { terms: new ODETerm(f), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], args: { k: 1 } };

test("bad adjoint options name the option, the value and the fix", () => {
  assert.throws(() => new RecursiveCheckpointAdjoint({ checkpoints: 0 }), /`checkpoints` = 0 must be a whole number ≥ 1 \(the initial state takes one\)/);
  assert.throws(() => new RecursiveCheckpointAdjoint({ checkpoints: 2.5 }), /`checkpoints` = 2.5 must be a whole number/);
  assert.throws(() => new RecursiveCheckpointAdjoint({ checkpoint: 3 } as never), /unknown option `checkpoint`; the only option is checkpoints/);
  assert.throws(() => new BacksolveAdjoint({ rtol: 1e-6 } as never), /unknown option `rtol`; the options are solver, stepsizeController, maxSteps and state/);
  assert.throws(() => new BacksolveAdjoint({ state: "store" as never }), /`state` = "store" must be "backsolve" or "interpolate"/);
  assert.throws(() => diffeqsolveVjp({ ...base, adjoint: {} as never }), /`adjoint` must be new RecursiveCheckpointAdjoint\(\), new BacksolveAdjoint\(\), new ForwardSensitivity\(\)/);
  assert.throws(() => diffeqsolveVjp({ ...base, tol: 1 } as never), /unknown option `tol`/);
});

test("what cannot be differentiated is refused with the alternative", () => {
  assert.throws(
    () => diffeqsolveVjp({ ...base, solver: new Rodas5P(), adjoint: new RecursiveCheckpointAdjoint() }),
    /implemented for the explicit Runge–Kutta solvers .* not Rodas5P; use adjoint: new BacksolveAdjoint\(\) or new ForwardSensitivity\(\)/,
  );
  assert.throws(() => diffeqsolveVjp({ ...base, saveat: new SaveAt({ ts: [0.5], fn: (_t, y) => y[0]! ** 2 }) }), /SaveAt fn is not differentiated; save the state/);
  assert.throws(() => diffeqsolveVjp({ ...base, saveat: new SaveAt({ steps: true }) }), /SaveAt steps is not differentiated .* SaveAt\(\{ ts \}\)/);
});

test("cotangents of the wrong shape are named with the count expected", () => {
  const { pullback } = diffeqsolveVjp({ ...base, saveat: new SaveAt({ ts: [0.5, 1] }) });
  assert.throws(() => pullback([[1]]), /`ysBar` has 1 entries but the solution has 2 saved rows; give one cotangent per row of sol.ys \(null for zero\)/);
  assert.throws(() => pullback(new Float64Array(3)), /`ysBar` has 3 numbers but the solution has 2 saved rows of 1; give 2/);
  assert.throws(() => pullback("x"), /`ysBar` must be an array with one cotangent per saved row \(2\)/);
  assert.throws(() => pullback([[NaN], null]), /`ysBar\[0\]` component 0 is NaN; cotangents must be finite numbers/);
  // null rows are zero.
  const g = pullback([null, [1]]);
  assert.ok(Math.abs((g.y0 as number[])[0]! - Math.exp(-1)) < 1e-3);
});

test("diffeqsolveJvp checks its tangents", () => {
  assert.throws(() => diffeqsolveJvp(base, null as never), /`tangents` must be an object \{ y0\?, args\? \}/);
  assert.throws(() => diffeqsolveJvp(base, { p: 1 } as never), /unknown tangent `p`; the tangents are y0 and args/);
  assert.throws(() => diffeqsolveJvp(base, { args: { k: NaN } }), /tangent of `args` slot k is NaN/);
  assert.throws(() => diffeqsolveJvp({ ...base, adjoint: new ForwardSensitivity() } as never, {}), /`adjoint` is not an option of diffeqsolveJvp/);
});

test("a compiled-style vector field whose parameters are missing from args is named", () => {
  const vf = { f, vjpArgs: () => {}, argNames: ["k", "m"], nArgs: 2 };
  assert.throws(() => diffeqsolveVjp({ ...base, terms: new ODETerm(vf) }), /the vector field's parameter `m` is not a number in `args` \(its numeric slots are k\)/);
});
