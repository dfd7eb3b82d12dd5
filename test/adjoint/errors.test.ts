import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AutoSwitch, BacksolveAdjoint, ConstantStepSize, ControlTerm, EulerMaruyama, KenCarp4, Milstein, MultiTerm, VirtualBrownianTree, diffeqsolveJvp, diffeqsolveVjp, ForwardSensitivity, ODETerm, RecursiveCheckpointAdjoint, Rodas5P, SaveAt, Tsit5,
} from "../../src/index.js";

const f = (_t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => { dy[0] = -a.k * y[0]!; };
const base = { terms: new ODETerm(f), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], args: { k: 1 } };

test("bad adjoint options name the option, the value and the fix", () => {
  assert.throws(() => new RecursiveCheckpointAdjoint({ checkpoints: 0 }), /`checkpoints` = 0 must be a whole number ≥ 1 \(the initial state takes one\)/);
  assert.throws(() => new RecursiveCheckpointAdjoint({ checkpoints: 2.5 }), /`checkpoints` = 2.5 must be a whole number/);
  assert.throws(() => new RecursiveCheckpointAdjoint({ keepAllBytes: -1 }), /`keepAllBytes` = -1 must be a number of bytes ≥ 0/);
  assert.throws(() => new RecursiveCheckpointAdjoint({ checkpoint: 3 } as never), /unknown option `checkpoint`; the options are checkpoints and keepAllBytes/);
  assert.throws(() => new BacksolveAdjoint({ rtol: 1e-6 } as never), /unknown option `rtol`; the options are solver, stepsizeController, maxSteps and state/);
  assert.throws(() => new BacksolveAdjoint({ state: "store" as never }), /`state` = "store" must be "backsolve" or "interpolate"/);
  assert.throws(() => diffeqsolveVjp({ ...base, adjoint: {} as never }), /`adjoint` must be new RecursiveCheckpointAdjoint\(\), new BacksolveAdjoint\(\), new ForwardSensitivity\(\)/);
  assert.throws(() => diffeqsolveVjp({ ...base, tol: 1 } as never), /unknown option `tol`/);
});

test("what cannot be differentiated is refused with the alternative", () => {
  assert.throws(
    () => diffeqsolveVjp({ ...base, solver: new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() }), adjoint: new RecursiveCheckpointAdjoint() }),
    /AutoSwitch\(Tsit5, Rodas5P\) declares no step map .*; use adjoint: new BacksolveAdjoint\(\) or new ForwardSensitivity\(\) with it/,
  );
  assert.throws(() => diffeqsolveVjp({ ...base, saveat: new SaveAt({ ts: [0.5], fn: (_t, y) => y[0]! ** 2 }) }), /SaveAt fn is not differentiated; save the state/);
  assert.throws(() => diffeqsolveVjp({ ...base, saveat: new SaveAt({ steps: true }) }), /SaveAt steps is not differentiated .* SaveAt\(\{ ts \}\)/);
});

test("an SDE solver without a step adjoint, and an IMEX split with an adjoint that needs one ODE term, are refused naming what works", () => {
  const sde = {
    ...base, terms: new MultiTerm(new ODETerm(f), new ControlTerm((_t: number, _y: Float64Array, _a: unknown, g: Float64Array) => { g[0] = 0.1; }, new VirtualBrownianTree({ t0: 0, t1: 1, tol: 1e-6, seed: 1 }))),
    solver: new EulerMaruyama(), dt0: 0.01, stepsizeController: new ConstantStepSize(),
  };
  // Euler–Maruyama over a VirtualBrownianTree is differentiated step by step; Milstein is not.
  assert.doesNotThrow(() => diffeqsolveVjp(sde).pullback([[1]]));
  assert.throws(() => diffeqsolveVjp({ ...sde, solver: new Milstein() }), /gradients through SDE solves are taken for EulerMaruyama, EulerHeun and ReversibleHeun/);
  const imex = { ...base, terms: new MultiTerm(new ODETerm(f), new ODETerm(f)), solver: new KenCarp4() };
  assert.throws(() => diffeqsolveVjp({ ...imex, adjoint: new BacksolveAdjoint() }), /`terms` must be new ODETerm\(f\), got a MultiTerm \(for KenCarp4's IMEX split, use the default adjoint: new RecursiveCheckpointAdjoint\(\)\)/);
  assert.doesNotThrow(() => diffeqsolveVjp(imex).pullback([[1]]));
});

test("cotangents of the wrong shape are named with the count expected", () => {
  const { pullback } = diffeqsolveVjp({ ...base, saveat: new SaveAt({ ts: [0.5, 1] }) });
  assert.throws(() => pullback([[1]]), /`ysBar` has 1 entries but the solution has 2 saved rows; give one cotangent per row of sol.ys \(null for zero\)/);
  assert.throws(() => pullback(new Float64Array(3)), /`ysBar` has 3 numbers but the solution has 2 saved rows of 1; give 2/);
  assert.throws(() => pullback("x"), /`ysBar` must be an array with one cotangent per saved row \(2\)/);
  assert.throws(() => pullback([[NaN], null]), /`ysBar\[0\]` component 0 is NaN; cotangents must be finite numbers/);
  // A row with more (or fewer) numbers than the state is an error, never truncated.
  assert.throws(() => pullback([[1, 2], null]), /`ysBar\[0\]` has 2 numbers but the state has 1 components; give 1/);
  assert.throws(() => pullback([null, Float64Array.of()]), /`ysBar\[1\]` has 0 numbers but the state has 1 components/);
  // Structured states: a row shaped like y0 with an extra component is named with both sizes.
  const structured = diffeqsolveVjp({ ...base, y0: { x: 1, v: [0] }, terms: new ODETerm((_t, y, a: { k: number }, dy) => { dy[0] = -a.k * y[0]!; dy[1] = 0; }) });
  assert.throws(() => structured.pullback([{ x: 1, v: [0, 1] }]), /`ysBar\[0\]` must be 2 numbers or a value shaped like y0 \(it has 3 components, the state 2\)/);
  assert.doesNotThrow(() => structured.pullback([{ x: 1, v: [0] }]));
  assert.throws(() => diffeqsolveJvp(base, { y0: [1, 0] }), /`tangents\.y0` has 2 components but y0 has 1/);
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
