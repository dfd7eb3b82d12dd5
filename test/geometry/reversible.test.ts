/**
 * ReversibleStepSize (Hairer & Söderlind's explicit time-reversible step control) with symmetric
 * splitting methods: the map (y, ρ) ↦ (y′, ρ′) runs backwards exactly, the steps follow the
 * step-size function, and the energy error stays bounded without drift on eccentric orbits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AbstractSolver, ConstantStepSize, diffeqsolve, PartitionedTerm, ReversibleStepSize, SaveAt, SemiImplicitEuler, type SolverState, VelocityVerlet,
  Yoshida4,
} from "../../src/index.js";
import { H, REC_SIZE, T, T_NEXT } from "../../src/controllers/base.js";
import { RHO } from "../../src/controllers/reversible.js";
import type { InPlaceVectorField } from "../../src/terms.js";
import { kepler } from "../../examples/problems.js";

const r32 = (t: number, y: Float64Array) => Math.hypot(y[0]!, y[1]!) ** 1.5;
const r32rate = (t: number, y: Float64Array) => (1.5 * (y[0]! * y[2]! + y[1]! * y[3]!)) / (y[0]! * y[0]! + y[1]! * y[1]!);

/** N steps through the controller and solver protocols directly; ρ of the first step may be given. */
function drive(solver: AbstractSolver, term: PartitionedTerm, controller: ReversibleStepSize, y0: ArrayLike<number>, dir: number, N: number, rho?: number) {
  const f = term.vf.f as InPlaceVectorField;
  let y = Float64Array.from(y0), y1 = new Float64Array(4);
  const e = new Float64Array(4), e2 = new Float64Array(4);
  const ss = solver.init(f, 4, undefined, term) as SolverState;
  const f0 = solver.restart(ss, 0, y);
  const cs = controller.init({ t0: 0, t1: dir * 1e9, dir, dt0: undefined, n: 4, solver, f, args: undefined }, { solverState: ss, y0: y, f0 });
  if (rho !== undefined) cs.s[RHO] = rho;
  const rec = new Float64Array(REC_SIZE);
  const hs: number[] = [];
  let lastRho = NaN;
  for (let k = 0; k < N; k++) {
    controller.propose(cs, rec);
    rec[H] = rec[T_NEXT]! - rec[T]!;
    hs.push(Math.abs(rec[H]!));
    solver.step(ss, rec, y, y1, e, e2);
    lastRho = cs.s[RHO]!;
    controller.adapt(cs, rec, y, y1, e, e2, 0);
    solver.accept(ss);
    [y, y1] = [y1, y];
    rec[T] = rec[T_NEXT]!;
  }
  return { y, lastRho, hs, t: rec[T]! };
}

test("time-reversible: N steps forward, then N steps backward from the last ρ, retrace the start to round-off (symmetric methods only)", () => {
  const K = kepler(0.6);
  const term = new PartitionedTerm(K.first, K.second);
  for (const [solver, rate] of [[new VelocityVerlet(), r32rate], [new Yoshida4(), undefined]] as const) {
    const controller = new ReversibleStepSize({ epsilon: 0.05, stepFunction: r32, rate });
    const fwd = drive(solver, term, controller, K.y0, 1, 2000);
    assert.ok(fwd.t > 3 * K.period, `${solver.name}: reached t = ${fwd.t}`);
    const back = drive(solver, term, controller, fwd.y, -1, 2000, fwd.lastRho);
    const err = Math.max(...K.y0.map((v, i) => Math.abs(back.y[i]! - v)));
    assert.ok(err < 1e-10 && Math.abs(back.t + fwd.t) < 1e-9, `${solver.name}: back at t = ${-back.t}, |y − y0| = ${err}`);
  }
  // SemiImplicitEuler is not symmetric: the same experiment misses the start by O(h).
  const controller = new ReversibleStepSize({ epsilon: 0.05, stepFunction: r32, rate: r32rate });
  const fwd = drive(new SemiImplicitEuler(), term, controller, K.y0, 1, 2000);
  const back = drive(new SemiImplicitEuler(), term, controller, fwd.y, -1, 2000, fwd.lastRho);
  assert.ok(Math.max(...K.y0.map((v, i) => Math.abs(back.y[i]! - v))) > 1e-4);
});

test("the steps follow ε·s(y): h_max/h_min ≈ (r_apo/r_peri)^{3/2} on the Kepler orbit", () => {
  for (const e of [0.6, 0.9]) {
    const K = kepler(e);
    const { hs } = drive(new VelocityVerlet(), new PartitionedTerm(K.first, K.second), new ReversibleStepSize({ epsilon: 0.01, stepFunction: r32, rate: r32rate }), K.y0, 1, 20_000);
    const ratio = Math.max(...hs) / Math.min(...hs);
    const expected = ((1 + e) / (1 - e)) ** 1.5;
    assert.ok(Math.abs(ratio / expected - 1) < 0.02, `e = ${e}: ratio ${ratio}, expected ${expected}`);
  }
});

test("Kepler e = 0.9 over 300 orbits: adaptive Verlet's energy error is bounded, without drift, and 100× below fixed steps at equal cost", () => {
  const K = kepler(0.9);
  const term = new PartitionedTerm(K.first, K.second);
  const t1 = 300 * K.period;
  const H0 = K.energy(K.y0);
  const run = (controller: ReversibleStepSize | ConstantStepSize, dt0?: number) => {
    const sol = diffeqsolve({ terms: term, solver: new VelocityVerlet(), t0: 0, t1, dt0, y0: K.y0, stepsizeController: controller, maxSteps: 1e7, saveat: new SaveAt({ steps: 7, fn: (t, y) => K.energy(y) - H0 }) });
    const err = sol.ys.map((r) => Math.abs(r[0]!));
    const tenth = Math.floor(err.length / 10);
    return { first: Math.max(...err.slice(0, tenth)), last: Math.max(...err.slice(-tenth)), steps: sol.stats.numSteps, evals: sol.stats.numFnEvals };
  };
  const adaptive = run(new ReversibleStepSize({ epsilon: 0.05, stepFunction: r32, rate: r32rate }));
  assert.ok(adaptive.last < 1.05 * adaptive.first && adaptive.first < 1e-2, `adaptive: ${adaptive.first.toExponential(2)} then ${adaptive.last.toExponential(2)}`);
  const fixed = run(new ConstantStepSize(), t1 / adaptive.steps);
  assert.equal(fixed.evals, adaptive.evals);
  assert.ok(fixed.first > 100 * adaptive.first, `fixed steps: ${fixed.first.toExponential(2)}, adaptive: ${adaptive.first.toExponential(2)}`);
  // Without `rate`, a central difference of log s (over a tenth of a step) gives nearly the same
  // steps, for one more evaluation of the vector field a step.
  const fd = run(new ReversibleStepSize({ epsilon: 0.05, stepFunction: r32 }));
  assert.ok(Math.abs(fd.steps / adaptive.steps - 1) < 1e-3 && Math.abs(fd.first / adaptive.first - 1) < 1e-2, `${fd.steps} steps, ${fd.first}`);
  assert.equal(fd.evals, 2 * fd.steps + 2);
});

test("errors: dt0 with ReversibleStepSize, bad options, a step density that turns negative", () => {
  const K = kepler(0.6);
  const term = new PartitionedTerm(K.first, K.second);
  const c = new ReversibleStepSize({ epsilon: 0.01, stepFunction: r32, rate: r32rate });
  assert.throws(() => diffeqsolve({ terms: term, solver: new VelocityVerlet(), t0: 0, t1: 1, dt0: 0.1, y0: K.y0, stepsizeController: c }), /ReversibleStepSize chooses every step from epsilon.*omit `dt0`/);
  assert.throws(() => new ReversibleStepSize({ epsilon: 0, stepFunction: r32 }), /`epsilon` = number 0 must be a finite number > 0/);
  assert.throws(() => new ReversibleStepSize({ epsilon: 1, stepFunction: r32, dtmax: 1 } as never), /unknown option `dtmax`/);
  // A rate far too large for epsilon drives ρ below zero: the solve ends with what it computed and says why.
  const sol = diffeqsolve({
    terms: term, solver: new VelocityVerlet(), t0: 0, t1: 10, y0: K.y0, throw: false,
    stepsizeController: new ReversibleStepSize({ epsilon: 0.5, stepFunction: r32, rate: () => 100 }),
  });
  assert.equal(sol.resultName, "dtMinReached");
  assert.match(sol.message, /step density ρ = -?[0-9.e+-]+ is not positive and finite.*lower `epsilon`/);
});
