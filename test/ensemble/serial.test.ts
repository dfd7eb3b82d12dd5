import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConstantStepSize, diffeqsolve, Dopri5, isOkay, ODETerm, PIDController, RESULTS, SaveAt, solveEnsemble, solveEnsembleSync,
  SolveError, type EnsembleSolution, type Solution,
} from "../../src/index.js";
import { blowup, lorenz } from "./fixtures/models.mjs";
import { fuzzParams } from "../fuzz-params.js";

const tsOut = [0.25, 0.5, 0.75, 1];
const lorenzArgs = (i: number, N: number) => ({ sigma: 10, rho: (21 * i) / (N - 1), beta: 8 / 3 });

/** Asserts that trajectory i of the ensemble is exactly (bit for bit) the single solve. */
function assertSame(ens: EnsembleSolution, i: number, sol: Solution): void {
  assert.equal(ens.result(i), sol.result, `result of trajectory ${i}`);
  assert.deepEqual(Array.from(ens.tsOf(i)), Array.from(sol.ts), `ts of trajectory ${i}`);
  const ys = ens.ysOf(i);
  assert.equal(ys.length, sol.ysFlat.length);
  for (let k = 0; k < ys.length; k++) assert.ok(Object.is(ys[k], sol.ysFlat[k]), `trajectory ${i}, value ${k}: ${ys[k]} vs ${sol.ysFlat[k]}`);
  const st = ens.stats(i);
  assert.equal(st.numSteps, sol.stats.numSteps);
  assert.equal(st.numAcceptedSteps, sol.stats.numAcceptedSteps);
  assert.equal(st.numRejectedSteps, sol.stats.numRejectedSteps);
  assert.equal(st.numFnEvals, sol.stats.numFnEvals);
  assert.ok(Object.is(ens.tFinal[i], sol.tFinal));
}

test("adaptive Lorenz ensemble is bit-identical to N separate diffeqsolve calls", async () => {
  const N = 40;
  const common = {
    terms: new ODETerm(lorenz),
    solver: new Dopri5(),
    t0: 0,
    t1: 1,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
    saveat: new SaveAt({ t0: true, ts: tsOut }),
  };
  const y0 = (i: number) => [1 + i / N, 0, 0];
  const ens = await solveEnsemble({ ...common, trajectories: N, y0, args: (i) => lorenzArgs(i, N) });
  assert.equal(ens.mode, "serial");
  assert.equal(ens.notice, null);
  assert.equal(ens.failed.length, 0);
  for (let i = 0; i < N; i++) assertSame(ens, i, diffeqsolve({ ...common, y0: y0(i), args: lorenzArgs(i, N) }));
  // Trajectories really differ (rho is swept), so sharing a step sequence would be caught.
  assert.notEqual(ens.stats(0).numSteps, ens.stats(N - 1).numSteps);
});

test("fixed-step (dt = 0.001) ensemble with per-trajectory args arrays is bit-identical to single solves", () => {
  const N = 8;
  const args = Array.from({ length: N }, (_, i) => lorenzArgs(i, N));
  const y0 = Array.from({ length: N }, () => [1, 0, 0]);
  const common = { terms: new ODETerm(lorenz), solver: new Dopri5(), t0: 0, t1: 1, dt0: 0.001, stepsizeController: new ConstantStepSize() };
  const ens = solveEnsembleSync({ ...common, trajectories: N, y0, args });
  for (let i = 0; i < N; i++) {
    const sol = diffeqsolve({ ...common, y0: y0[i]!, args: args[i] });
    assertSame(ens, i, sol);
    assert.equal(ens.stats(i).numSteps, 1000);
  }
});

test("heterogeneous stiffness: each trajectory keeps its own step count, equal to its single solve", () => {
  // y' = -λ (y - cos t): the explicit solver's stable step shrinks like 1/λ, so step counts vary ~100×.
  const N = 12;
  const lambda = (i: number) => 10 ** (i / 4); // 1 … 10^2.75
  const common = {
    terms: new ODETerm((t: number, y: Float64Array, a: { lambda: number }, dy: Float64Array) => {
      dy[0] = -a.lambda * (y[0]! - Math.cos(t));
    }),
    solver: new Dopri5(),
    t0: 0,
    t1: 10,
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }),
  };
  const ens = solveEnsembleSync({ ...common, trajectories: N, y0: () => [0], args: (i) => ({ lambda: lambda(i) }) });
  const steps: number[] = [];
  for (let i = 0; i < N; i++) {
    const sol = diffeqsolve({ ...common, y0: [0], args: { lambda: lambda(i) } });
    assertSame(ens, i, sol);
    steps.push(ens.stats(i).numSteps);
    // Closed form: y = λ(λ cos t + sin t)/(1 + λ²) − λ²/(1 + λ²) e^{−λt}.
    const l = lambda(i);
    const exact = (l * (l * Math.cos(10) + Math.sin(10))) / (1 + l * l) - ((l * l) / (1 + l * l)) * Math.exp(-l * 10);
    assert.ok(Math.abs(ens.final(i)[0]! - exact) < 1e-5, `trajectory ${i}: ${ens.final(i)[0]} vs ${exact}`);
  }
  assert.ok(Math.max(...steps) > 20 * Math.min(...steps), `step counts should vary widely: ${steps.join(", ")}`);
});

test("a blowing-up trajectory gets its own result code while the others succeed", () => {
  // y' = y², y(0) = y0: y(1) = y0 / (1 − y0) for y0 < 1; blows up at t = 1/y0 ≤ 1 for y0 ≥ 1.
  const y0s = [0.1, 0.5, 2, 0.9, 4];
  const common = {
    terms: new ODETerm(blowup),
    solver: new Dopri5(),
    t0: 0,
    t1: 1,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
    maxSteps: 2000,
  };
  const ens = solveEnsembleSync({ ...common, trajectories: y0s.length, y0: (i) => [y0s[i]!] });
  assert.deepEqual(ens.failed, [2, 4]);
  for (const i of [0, 1, 3]) {
    assert.equal(ens.result(i), RESULTS.successful);
    const exact = y0s[i]! / (1 - y0s[i]!);
    assert.ok(Math.abs(ens.final(i)[0]! - exact) < 1e-6 * exact, `trajectory ${i}`);
  }
  for (const i of [2, 4]) {
    assert.ok(!isOkay(ens.result(i)));
    assert.ok(ens.tFinal[i]! < 1 / y0s[i]! + 1e-9, `trajectory ${i} stopped before its blow-up time`);
    assert.match(ens.message(i), /t = /);
    const single = diffeqsolve({ ...common, y0: [y0s[i]!], throw: false });
    assertSame(ens, i, single);
  }
  // throw: true reports the first failure (after all are solved) and carries the ensemble.
  assert.throws(
    () => solveEnsembleSync({ ...common, trajectories: y0s.length, y0: (i) => [y0s[i]!], throw: true }),
    (e: unknown) => e instanceof SolveError && /trajectory 2 \(2 of 5 failed\)/.test(e.message) && (e.solution as EnsembleSolution).failed.length === 2,
  );
});

test("output hook keeps a summary per trajectory and reduce folds in trajectory order", () => {
  const N = 10;
  const common = { terms: new ODETerm(lorenz), solver: new Dopri5(), t0: 0, t1: 1, stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }) };
  const ens = solveEnsembleSync({
    ...common,
    trajectories: N,
    y0: () => [1, 0, 0],
    args: (i) => lorenzArgs(i, N),
    saveat: new SaveAt({ ts: [0.5, 1] }),
    output: {
      width: 2,
      fn: (out, ts, ys, i) => {
        out[0] = ys[3 + 2]!; // z at t = 1
        out[1] = i;
      },
    },
    reduce: { init: [] as number[], fn: (acc, row) => (acc.push(row[0]!), acc) },
  });
  assert.equal(ens.ts.length, 0, "saved rows are not stored when an output hook is given");
  assert.equal(ens.outputWidth, 2);
  for (let i = 0; i < N; i++) {
    const sol = diffeqsolve({ ...common, y0: [1, 0, 0], args: lorenzArgs(i, N) });
    assert.ok(Object.is(ens.output(i)[0], sol.ys[0]![2]));
    assert.equal(ens.output(i)[1], i);
    assert.ok(Object.is(ens.reduced![i], sol.ys[0]![2]));
  }
  // Without an output hook, reduce sees each trajectory's last saved row.
  const sum = solveEnsembleSync({
    ...common, trajectories: N, y0: () => [1, 0, 0], args: (i) => lorenzArgs(i, N),
    reduce: { init: 0, fn: (acc, row) => acc + row[0]! },
  });
  let expected = 0;
  for (let i = 0; i < N; i++) expected += diffeqsolve({ ...common, y0: [1, 0, 0], args: lorenzArgs(i, N) }).ys[0]![0]!;
  assert.equal(sum.reduced, expected);
});

test("accessors: structured states, views, bounds and memory per trajectory", () => {
  const ens = solveEnsembleSync({
    terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => {
      dy[0] = y[1]!;
      dy[1] = -y[0]!;
    }),
    solver: new Dopri5(),
    t0: 0,
    t1: Math.PI / 2,
    trajectories: 3,
    y0: (i) => ({ x: i, v: [0] }),
    saveat: new SaveAt({ t0: true, t1: true }),
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
  });
  // x(t) = i cos t, v(t) = −i sin t.
  const s = ens.stateAs(2, 1) as { x: number; v: number[] };
  assert.ok(Math.abs(s.x) < 1e-8 && Math.abs(s.v[0]! + 2) < 1e-8);
  assert.deepEqual(ens.stateAs(1, 0), { x: 1, v: [0] });
  assert.equal(ens.tsOf(1)[1], Math.PI / 2);
  assert.equal(ens.ysOf(1).length, 4);
  assert.throws(() => ens.state(1, 2), /k = 2 is out of range; trajectory 1 saved 2 rows/);
  assert.throws(() => ens.final(3), /i = 3 is out of range; the ensemble has 3 trajectories/);
  // 2 rows × (1 time + 2 states) doubles, plus 4-byte count, 1-byte code, 8-byte tFinal, 4 × 4-byte counters.
  assert.equal(ens.bytesPerTrajectory, 2 * 3 * 8 + 4 + 1 + 8 + 16);
});

test("bad ensemble options get errors that name the argument, the value and the fix", async () => {
  const base = { terms: new ODETerm(blowup), solver: new Dopri5(), t0: 0, t1: 0.1 };
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 0, y0: () => [1] }), /`trajectories` = number 0 must be a whole number ≥ 1/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: [[1], [2]] }), /`y0` is an array of 2 entries but trajectories = 3/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 3, y0: 1 as never }), /`y0` must be a function \(i\) => y0_i .* pass y0: \(\) => value/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: (i) => (i === 0 ? [1] : [1, 2]) }), /`y0` of trajectory 1 has 2 components; trajectory 0 has 1/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: (i) => [i === 0 ? 1 : NaN] }), /`y0` of trajectory 1, component 0, is NaN/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: () => [1], args: [{ k: 1 }] }), /`args` is an array of 1 entries but trajectories = 2/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: () => [1], args: (i) => ({ k: i === 1 ? Infinity : 1 }) }), /solveEnsemble: `args\(1\).k` is Infinity/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: () => [1], t1: NaN }), /solveEnsemble: `t1` must be a finite number/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: () => [1], saveat: new SaveAt({ dense: true }) }), /dense: true.*not available for ensembles/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: () => [1], threads: 2 }), /worker threads need the asynchronous solveEnsemble/);
  await assert.rejects(() => solveEnsemble({ ...base, trajectories: 2, y0: () => [1], threads: 0 }), /`threads` = number 0 must be "auto" or a whole number ≥ 1/);
  assert.throws(() => solveEnsembleSync({ ...base, trajectories: 2, y0: () => [1], output: { width: 0, fn: () => {} } }), /`output` must be \{ width, fn \}/);
  assert.throws(() => solveEnsembleSync({ solver: new Dopri5(), t0: 0, t1: 1, trajectories: 2, y0: () => [1] }), /give `terms`/);
});

test("a vector field that throws fails only its own trajectory (callbackError, with the error's message); the others finish", () => {
  const sol = solveEnsembleSync({
    terms: new ODETerm((t: number, y: Float64Array, a: { bad: boolean }, dy: Float64Array) => {
      if (a.bad && t > 0) throw new Error("bad parameter");
      dy[0] = -y[0]!;
    }),
    solver: new Dopri5(), t0: 0, t1: 1, trajectories: 4, y0: () => [1], args: (i) => ({ bad: i === 2 }),
  });
  for (const i of [0, 1, 3]) {
    assert.equal(sol.result(i), RESULTS.successful);
    assert.ok(Math.abs(sol.final(i)[0]! - Math.exp(-1)) < 1e-3);
  }
  assert.equal(sol.result(2), RESULTS.callbackError);
  assert.match(sol.message(2), /vector field.*bad parameter/);
  assert.throws(
    () => solveEnsembleSync({
      terms: new ODETerm((t: number, y: Float64Array, a: { bad: boolean }, dy: Float64Array) => {
        if (a.bad && t > 0) throw new Error("bad parameter");
        dy[0] = -y[0]!;
      }),
      solver: new Dopri5(), t0: 0, t1: 1, trajectories: 4, y0: () => [1], args: (i) => ({ bad: i === 2 }), throw: true,
    }),
    /callbackError at trajectory 2 .*bad parameter/,
  );
});

test("property: any small ensemble (random y0, args, tolerances, output times) equals its single solves bit for bit", async () => {
  const fc = await import("fast-check");
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 30, noNaN: true })), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 3, max: 9 }),
      fc.uniqueArray(fc.double({ min: 0, max: 0.5, noNaN: true }), { maxLength: 4 }),
      (members, exp, times) => {
        const ts = times.slice().sort((a, b) => a - b);
        const common = {
          terms: new ODETerm(lorenz),
          solver: new Dopri5(),
          t0: 0,
          t1: 0.5,
          stepsizeController: new PIDController({ rtol: 10 ** -exp, atol: 10 ** -exp }),
          saveat: new SaveAt({ ts, t1: true }),
        };
        const y0 = (i: number) => [members[i]![0], 1, 1];
        const args = (i: number) => ({ sigma: 10, rho: members[i]![1], beta: 8 / 3 });
        const ens = solveEnsembleSync({ ...common, trajectories: members.length, y0, args });
        for (let i = 0; i < members.length; i++) assertSame(ens, i, diffeqsolve({ ...common, y0: y0(i), args: args(i) }));
      },
    ),
    fuzzParams(20261128, 40),
  );
});

test("terminating events end each trajectory at its own event time (eventOccurred, an okay result)", async () => {
  const { Event } = await import("../../src/index.js");
  // A ball dropped from height h_i hits the ground at t = sqrt(2 h_i / g).
  const g = 9.81;
  const heights = [1, 5, 20, 0.1];
  const common = {
    terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => {
      dy[0] = y[1]!;
      dy[1] = -g;
    }),
    solver: new Dopri5(),
    t0: 0,
    t1: 10,
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
    event: new Event({ cond: (t: number, y: Float64Array) => y[0]!, direction: "down", terminal: true }),
  };
  const ens = solveEnsembleSync({ ...common, trajectories: heights.length, y0: (i) => [heights[i]!, 0] });
  assert.deepEqual(ens.failed, []);
  for (let i = 0; i < heights.length; i++) {
    assert.equal(ens.result(i), RESULTS.eventOccurred);
    assert.ok(Math.abs(ens.tFinal[i]! - Math.sqrt((2 * heights[i]!) / g)) < 1e-9, `trajectory ${i}: ${ens.tFinal[i]}`);
    assertSame(ens, i, diffeqsolve({ ...common, y0: [heights[i]!, 0] }));
  }
});

test("SaveAt({ steps }): each trajectory's rows (one per accepted step) are packed one after another", async () => {
  const N = 6;
  const common = {
    terms: new ODETerm(lorenz), solver: new Dopri5(), t0: 0, t1: 1,
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6 }), saveat: new SaveAt({ steps: true, t0: true }),
  };
  const args = (i: number) => lorenzArgs(i, N);
  const ens = solveEnsembleSync({ ...common, trajectories: N, y0: () => [1, 0, 0], args });
  assert.equal(ens.rowsPerTrajectory, 0);
  let total = 0;
  for (let i = 0; i < N; i++) {
    const sol = diffeqsolve({ ...common, y0: [1, 0, 0], args: args(i) });
    assertSame(ens, i, sol);
    assert.equal(ens.rowStart![i], total);
    total += sol.ts.length;
  }
  assert.equal(ens.ts.length, total);
  assert.notEqual(ens.counts[0], ens.counts[N - 1], "trajectories take different numbers of steps");
  // reduce sees each trajectory's last row; threads fall back to the calling thread, saying why.
  const last = solveEnsembleSync({ ...common, trajectories: N, y0: () => [1, 0, 0], args, reduce: { init: [] as number[], fn: (a, row) => (a.push(row[2]!), a) } });
  for (let i = 0; i < N; i++) assert.ok(Object.is(last.reduced![i], ens.final(i)[2]));
  const warn = console.warn;
  console.warn = () => {};
  try {
    const t = await solveEnsemble({ ...common, trajectories: N, y0: () => [1, 0, 0], args, threads: 2 });
    assert.equal(t.mode, "serial");
    assert.match(t.notice!, /SaveAt\(\{ steps \}\)` saves a different number of rows per trajectory/);
  } finally {
    console.warn = warn;
  }
});
