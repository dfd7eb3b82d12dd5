// Delay differential equations by the method of steps: closed forms, published test problems
// (MATLAB's dde23/ddesd examples, the DDETST set of Enright & Hayashi), convergence orders with
// constant delays, steps landing on the propagated discontinuities, neutral equations, and the
// loop's features (events, SaveAt, dense output, ensembles) on a delay solve.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Bosh3, ConstantStepSize, DelayTerm, diffeqsolve, Event, Heun, MethodOfSteps, ODETerm, PIDController, RadauIIA5, RK4, Rodas5P, SaveAt,
  solveEnsembleSync, Tsit5, Vern7, init, resume,
} from "../../src/index.js";
import type { AbstractSolver, DelayVectorField } from "../../src/index.js";
import { EulerMaruyama } from "../../src/index.js";
import { linearDde } from "./reference.js";

const minus: DelayVectorField = (_t, _y, _a, dy, h) => {
  dy[0] = -h.delayed[0]![0]!;
};

/** y′ = −y(t − 1), y = 1 for t ≤ 0: on [k − 1, k], y = Σ_{j=0}^{k} (−1)ʲ (t − j + 1)ʲ / j!. */
function exactMinus(t: number): number {
  let s = 0;
  let fact = 1;
  for (let j = 0; j <= Math.floor(t) + 1; j++) {
    if (j > 0) fact *= j;
    const u = t - (j - 1);
    if (u <= 0) break;
    s += ((-1) ** j * u ** j) / fact;
  }
  return s;
}

function maxError(sol: { ts: Float64Array; ys: Float64Array[] }, exact: (t: number) => number[]): number {
  let err = 0;
  for (let i = 0; i < sol.ts.length; i++) {
    const e = exact(sol.ts[i]!);
    for (let j = 0; j < e.length; j++) err = Math.max(err, Math.abs(sol.ys[i]![j]! - e[j]!));
  }
  return err;
}

test("y′ = −y(t − 1), y = 1 before 0: the piecewise polynomial on [0, 5], steps on 1, 2, 3, 4", () => {
  const term = new DelayTerm(minus, { delays: [1], history: 1 });
  for (const rtol of [1e-6, 1e-10]) {
    const sol = diffeqsolve({
      terms: term, solver: new Tsit5(), t0: 0, t1: 5, y0: [1], saveat: new SaveAt({ steps: true }),
      stepsizeController: new PIDController({ rtol, atol: rtol }),
    });
    // Tsit5 integrates each polynomial piece (degree ≤ 5) to rounding once the steps land on the breaks.
    assert.ok(maxError(sol, (t) => [exactMinus(t)]) < 1e-13, `rtol ${rtol}: ${maxError(sol, (t) => [exactMinus(t)])}`);
    for (const k of [1, 2, 3, 4]) assert.ok(Array.from(sol.ts).includes(k), `a step ends on ${k}`);
    // t0 (order 1), then 1, 2, 3, 4 (orders 2 … 5): Tsit5 is of order 5.
    assert.equal(sol.stats.numDiscontinuities, 5);
  }
});

test("MATLAB dde23 example ddex1 against its exact piecewise polynomial solution", () => {
  // y1′ = y1(t − 1), y2′ = y1(t − 1) + y2(t − 0.2), y3′ = y2(t); history 1; on [0, 5].
  const exact = linearDde(3, 0.2, 25, [1, 1, 1], [
    [{ dst: 0, src: 0, lag: 5, coef: 1 }],
    [{ dst: 1, src: 0, lag: 5, coef: 1 }, { dst: 1, src: 1, lag: 1, coef: 1 }],
    [{ dst: 2, src: 1, lag: 0, coef: 1 }],
  ]);
  const term = new DelayTerm((_t, y, _a, dy, h) => {
    dy[0] = h.delayed[0]![0]!;
    dy[1] = h.delayed[0]![0]! + h.delayed[1]![1]!;
    dy[2] = y[1]!;
  }, { delays: [1, 0.2], history: 1 });
  for (const solver of [new Tsit5(), new Vern7(), new Rodas5P()]) {
    const sol = diffeqsolve({
      terms: term, solver, t0: 0, t1: 5, y0: [1, 1, 1], saveat: new SaveAt({ ts: Array.from({ length: 51 }, (_, i) => i / 10) }),
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
    });
    const scale = Math.abs(exact(5)[2]!);
    assert.ok(maxError(sol, exact) / scale < 1e-7, `${solver.name}: ${maxError(sol, exact) / scale}`);
  }
});

test("convergence orders with a constant delay and a discontinuous history (steps land on t0 + τ)", () => {
  // y′ = −y(t − 1), φ(t) = eᵗ: y′ jumps at 0 (−1/e against φ′ = 1), y″ at 1.
  const exact = (t: number) => [t <= 1 ? 1 - Math.exp(t - 1) + Math.exp(-1) : -(1 + Math.exp(-1)) * (t - 1) + Math.exp(t - 2)];
  const term = new DelayTerm(minus, { delays: [1], history: (t) => Math.exp(t) });
  const untracked = new DelayTerm(minus, { delays: [1], history: (t) => Math.exp(t), trackOrder: 0 });
  const cases: [AbstractSolver<any>, number, number[]][] = [
    [new Heun(), 2, [16, 32]],
    [new Bosh3(), 3, [16, 32]],
    [new RK4(), 4, [8, 16]],
    [new Tsit5(), 5, [8, 16]],
    [new Rodas5P(), 5, [8, 16]],
  ];
  const solve = (t: DelayTerm, solver: AbstractSolver<any>, N: number) => diffeqsolve({
    terms: t, solver, t0: 0, t1: 2, dt0: 0.7 / N, y0: [1], stepsizeController: new ConstantStepSize(),
    saveat: new SaveAt({ ts: [0.5, 1.25, 2] }),
  });
  for (const [solver, p, [n1, n2]] of cases) {
    const e1 = maxError(solve(term, solver, n1!), exact);
    const e2 = maxError(solve(term, solver, n2!), exact);
    const order = Math.log2(e1 / e2);
    assert.ok(order > p - 0.4, `${solver.name}: observed order ${order.toFixed(2)} (errors ${e1}, ${e2}), expected ${p}`);
  }
  // Without tracking, the step that spans t = 1 limits a fifth-order method to low accuracy.
  const tracked = maxError(solve(term, new Tsit5(), 64), exact);
  const spanned = maxError(solve(untracked, new Tsit5(), 64), exact);
  assert.ok(spanned > 1e3 * tracked, `untracked ${spanned} against tracked ${tracked}`);
});

test("delays shorter than the steps: the overlap is iterated (explicit and implicit solvers)", () => {
  // y′ = a y + b y(t − τ) with y = e^{λt} (history included): λ = a + b e^{−λτ}.
  const lam = -1;
  const a = -2;
  const tau = 0.01;
  const b = (lam - a) * Math.exp(lam * tau);
  const term = new DelayTerm((_t, y, _a, dy, h) => {
    dy[0] = a * y[0]! + b * h.delayed[0]![0]!;
  }, { delays: [tau], history: (t) => Math.exp(lam * t) });
  for (const solver of [new Tsit5(), new Vern7(), new Rodas5P(), new RadauIIA5()]) {
    const rtol = 1e-8;
    const sol = diffeqsolve({
      terms: term, solver, t0: 0, t1: 10, y0: [1], saveat: new SaveAt({ steps: true }),
      stepsizeController: new PIDController({ rtol, atol: rtol * 1e-3 }),
    });
    let rel = 0;
    for (let i = 0; i < sol.ts.length; i++) rel = Math.max(rel, Math.abs(sol.ys[i]![0]! / Math.exp(lam * sol.ts[i]!) - 1));
    assert.ok(rel < 30 * rtol, `${solver.name}: relative error ${rel}`);
    assert.ok(sol.stats.numOverlapIterations > 0, `${solver.name} iterated`);
    // Most steps are far longer than the delay.
    assert.ok(sol.stats.numAcceptedSteps < 10 / (3 * tau), `${solver.name}: ${sol.stats.numAcceptedSteps} steps`);
  }
});

test("state-dependent delay: DDETST D1 = MATLAB ddesd example (Enright & Hayashi), exact log t and 1/t", () => {
  const term = new DelayTerm((_t, y, _a, dy, h) => {
    const s = Math.exp(1 - y[1]!);
    dy[0] = y[1]!;
    dy[1] = -h.delayed[0]![1]! * y[1]! ** 2 * s;
  }, { delays: [(t, y) => t - Math.exp(1 - y[1]!)], history: (t) => [Math.log(t), 1 / t] });
  for (const solver of [new Tsit5(), new Vern7(), new Rodas5P()]) {
    const sol = diffeqsolve({
      terms: term, solver, t0: 0.1, t1: 5, y0: [Math.log(0.1), 10], saveat: new SaveAt({ steps: true }),
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
    });
    const err = maxError(sol, (t) => [Math.log(t), 1 / t]);
    assert.ok(err < 1e-6, `${solver.name}: ${err}`);
  }
});

test("time-dependent delay: DDETST B1 (Neves), exact log t", () => {
  const term = new DelayTerm((_t, _y, _a, dy, h) => {
    dy[0] = 1 - h.delayed[0]![0]!;
  }, { delays: [(t) => t - Math.exp(1 - 1 / t)], history: (t) => Math.log(t) });
  const sol = diffeqsolve({
    terms: term, solver: new Vern7(), t0: 0.1, t1: 10, y0: [Math.log(0.1)], saveat: new SaveAt({ steps: true }),
    stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }),
  });
  assert.ok(maxError(sol, (t) => [Math.log(t)]) < 1e-8, `${maxError(sol, (t) => [Math.log(t)])}`);
});

test("a variable delay's discontinuities are located by root finding and the steps land on them", () => {
  // y′ = −y(t − τ(t)), τ = t/2 + 1/2, y = 1 before 0: t − τ = t/2 − 1/2 reaches 0 at t = 1 and 1 at t = 3.
  // Exact: y = 1 − t on [0, 1]; y = −(3/2)(t − 1) + (t² − 1)/4 on [1, 3].
  const exact = (t: number) => [t <= 1 ? 1 - t : -1.5 * (t - 1) + (t * t - 1) / 4];
  const term = new DelayTerm(minus, { delays: [(t) => t / 2 + 0.5], history: 1 });
  const sol = diffeqsolve({
    terms: term, solver: new Tsit5(), t0: 0, t1: 3, y0: [1], saveat: new SaveAt({ steps: true }),
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-10 }),
  });
  for (const xi of [1, 3]) {
    const nearest = Math.min(...Array.from(sol.ts, (t) => Math.abs(t - xi)));
    assert.ok(nearest < 1e-9, `a step ends within ${nearest} of ${xi}`);
  }
  assert.ok(maxError(sol, exact) < 1e-12, `${maxError(sol, exact)}`);
});

test("neutral equations: jumps of y′ propagate without smoothing; the solver restarts on each", () => {
  // y′(t) = 1 − y′(t − 1)/2, y = 1 before 0 (φ′ = 0): y′ = 1, 1/2, 3/4, 5/8, … on [k, k + 1].
  const term = new DelayTerm((_t, _y, _a, dy, h) => {
    dy[0] = 1 - 0.5 * h.derivatives[0]![0]!;
  }, { delays: [1], history: 1, neutral: true });
  const exact = (t: number) => {
    let y = 1;
    let slope = 1;
    for (let k = 0; k < 5; k++) {
      const span = Math.min(1, Math.max(0, t - k));
      y += slope * span;
      slope = 1 - 0.5 * slope;
    }
    return [y];
  };
  for (const solver of [new Tsit5(), new Rodas5P()]) {
    const sol = diffeqsolve({
      terms: term, solver, t0: 0, t1: 5, y0: [1], saveat: new SaveAt({ steps: true }),
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
    });
    assert.ok(maxError(sol, exact) < 1e-10, `${solver.name}: ${maxError(sol, exact)}`);
    for (const k of [1, 2, 3, 4]) assert.ok(Array.from(sol.ts).includes(k), `${solver.name}: a step ends on ${k}`);
  }
});

test("neutral, state-dependent delays with closed forms: DDETST F3 (log(t + 3)) and H2 (sin t)", () => {
  const f3 = new DelayTerm((t, y, _a, dy, h) => {
    const alpha = 0.5 * t * (1 - Math.cos(2 * Math.PI * t));
    dy[0] = Math.exp(-y[0]!) + 0.2 * (Math.sin(h.derivatives[0]![0]!) - Math.sin(1 / (3 + alpha)));
  }, { delays: [(t) => 0.5 * t * (1 + Math.cos(2 * Math.PI * t))], history: Math.log(3), historyDerivative: () => 1 / 3, neutral: true });
  const h2 = new DelayTerm((t, y, _a, dy, h) => {
    const s = Math.sin(t);
    const a = t * s * s;
    dy[0] = Math.cos(t) * (1 + h.delayed[0]![0]!) + 0.1 * y[0]! * h.derivatives[0]![0]! + 0.9 * s * Math.cos(a) - Math.sin(t + a);
  }, { delays: [(t, y) => t * (1 - y[0]! ** 2)], history: 0, historyDerivative: () => 1, neutral: true });
  const cases = [
    { term: f3, t1: 10, y0: Math.log(3), exact: (t: number) => [Math.log(t + 3)] },
    { term: h2, t1: Math.PI, y0: 0, exact: (t: number) => [Math.sin(t)] },
  ];
  for (const c of cases) {
    const sol = diffeqsolve({
      terms: c.term, solver: new Vern7(), t0: 0, t1: c.t1, y0: [c.y0], saveat: new SaveAt({ steps: true }),
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
    });
    assert.ok(maxError(sol, c.exact) < 1e-7, `${maxError(sol, c.exact)}`);
  }
});

test("a history with a given kink: the kink propagates and the steps land on it", () => {
  // φ(t) = |t + 1/2| for t ≤ 0: its kink at −1/2 reaches 1/2 through the delay 1.
  const term = new DelayTerm(minus, { delays: [1], history: (t) => Math.abs(t + 0.5), discontinuities: [-0.5] });
  const sol = diffeqsolve({
    terms: term, solver: new Tsit5(), t0: 0, t1: 1, y0: [0.5], saveat: new SaveAt({ steps: true }),
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
  });
  assert.ok(Array.from(sol.ts).includes(0.5));
  // y = 1/2 + ∫₀ᵗ −|s − 1/2| ds.
  const exact = (t: number) => [t <= 0.5 ? 0.5 - (0.5 * t - 0.5 * t * t) : 0.5 - 0.125 - 0.5 * (t - 0.5) ** 2];
  assert.ok(maxError(sol, exact) < 1e-12, `${maxError(sol, exact)}`);
});

test("events, output times and dense output work on a delay solve", () => {
  const term = new DelayTerm(minus, { delays: [1], history: 1 });
  // y = 1 − t on [0, 1]: the terminal event y = 1/2 fires at t = 1/2.
  const stop = new Event({ cond: (_t, y) => y[0]! - 0.5, terminal: true });
  const ev = diffeqsolve({ terms: term, solver: new Tsit5(), t0: 0, t1: 5, y0: [1], event: stop });
  assert.equal(ev.resultName, "eventOccurred");
  assert.ok(Math.abs(ev.tFinal - 0.5) < 1e-12);
  // An event that changes the state: y += 1 at t = 1.5 (scheduled); the jump propagates to 2.5 (order 1).
  const kick = new Event({ times: [1.5], affect: (_t, y) => {
    y[0] = y[0]! + 1;
  } });
  const sol = diffeqsolve({
    terms: term, solver: new Tsit5(), t0: 0, t1: 3, y0: [1], event: kick, saveat: new SaveAt({ steps: true, dense: true }),
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-10 }),
  });
  assert.ok(Array.from(sol.ts).includes(2.5), "a step lands on 2.5, where the kick arrives through the delay");
  // After the kick: y′ = −y(t − 1) is unchanged until 2.5, then reads the kicked state.
  assert.ok(Math.abs(sol.evaluate(2)[0]! - (exactMinus(2) + 1)) < 1e-10);
  const saved = diffeqsolve({ terms: term, solver: new Tsit5(), t0: 0, t1: 5, y0: [1], saveat: new SaveAt({ ts: [0.3, 2.7, 4.1] }), stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }) });
  assert.ok(maxError(saved, (t) => [exactMinus(t)]) < 1e-7, "the 4th-order interpolant of Tsit5");
});

test("ensembles of delay solves: one history per trajectory, equal to the single solves", () => {
  // y′ = −k y(t − 1): y = 1 − k t on [0, 1], 1 − k t + k²(t − 1)²/2 on [1, 2].
  const term = new DelayTerm((_t, _y, a: { k: number }, dy, h) => {
    dy[0] = -a.k * h.delayed[0]![0]!;
  }, { delays: [1], history: 1 });
  const common = { terms: term, solver: new Tsit5(), t0: 0, t1: 2, stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-10 }) };
  const ens = solveEnsembleSync({ ...common, trajectories: 4, y0: () => [1], args: (i) => ({ k: 0.5 + i }) });
  for (let i = 0; i < 4; i++) {
    const k = 0.5 + i;
    assert.ok(Math.abs(ens.final(i)[0]! - (1 - 2 * k + (k * k) / 2)) < 1e-10, `trajectory ${i}`);
    const single = diffeqsolve({ ...common, y0: [1], args: { k } });
    assert.equal(ens.final(i)[0], single.ys[0]![0]);
  }
});

test("named errors: backward solves, other terms, SDE solvers, bad options", () => {
  const term = new DelayTerm(minus, { delays: [1], history: 1 });
  assert.throws(() => diffeqsolve({ terms: term, solver: new Tsit5(), t0: 1, t1: 0, y0: [1] }), /forward in time.*t1 = 0 < t0 = 1/);
  assert.throws(() => diffeqsolve({ terms: new ODETerm((_t, y, _a, dy) => { dy[0] = -y[0]!; }), solver: new MethodOfSteps(new Tsit5()), t0: 0, t1: 1, y0: [1] }), /needs `terms` = new DelayTerm/);
  assert.throws(() => diffeqsolve({ terms: term, solver: new EulerMaruyama(), t0: 0, t1: 1, dt0: 0.1, y0: [1] }), /does not solve ODEs/);
  assert.throws(() => new DelayTerm(minus, { delays: [] }), /non-empty array/);
  assert.throws(() => new DelayTerm(minus, { delays: [0] }), /delays\[0\]` = 0 must be a finite number > 0/);
  assert.throws(() => new DelayTerm(minus, { delays: [1], histroy: 1 } as never), /unknown option `histroy` \(did you mean `history`\?\)/);
  assert.throws(() => diffeqsolve({ terms: new DelayTerm(minus, { delays: [1], history: [1, 2] }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1] }), /history has 2 components but y0 has 1/);
  assert.throws(() => diffeqsolve({ terms: new DelayTerm(minus, { delays: [() => NaN] }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1] }), /delays\[0\]\(t, y\) = NaN at t = 0/);
  // A delay that fails during the solve ends it with the data so far and the error.
  const bad = diffeqsolve({ terms: new DelayTerm(minus, { delays: [(t) => (t > 0.5 ? NaN : 1)] }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1], throw: false });
  assert.equal(bad.resultName, "callbackError");
  assert.match(bad.message, /delays\[0\]\(t, y\) = NaN/);
  assert.ok(bad.tFinal > 0 && bad.tFinal <= 0.5);
});

test("the integrator API: a delay solve stepped, saved mid-way and resumed equals diffeqsolve bit for bit", () => {
  // A state-dependent delay too, so the discontinuity tracker's root finding state is in the snapshot.
  for (const delays of [[1], [(t: number) => t / 2 + 0.5]]) {
    const term = new DelayTerm(minus, { delays, history: 1 });
    const options = {
      terms: term, solver: new Tsit5(), t0: 0, t1: 4, y0: [1], saveat: new SaveAt({ steps: true }),
      stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
    };
    const ref = diffeqsolve(options);
    const first = init(options);
    for (let i = 0; i < 3; i++) first.step();
    assert.ok(!first.done);
    const later = resume(structuredClone(first.saveState()), options);
    while (later.step());
    const sol = later.solution();
    assert.deepEqual(Array.from(sol.ts), Array.from(ref.ts));
    assert.deepEqual(Array.from(sol.ysFlat), Array.from(ref.ysFlat));
    assert.equal(sol.stats.numDiscontinuities, ref.stats.numDiscontinuities);
  }
});
