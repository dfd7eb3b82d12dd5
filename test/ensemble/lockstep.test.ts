import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Bosh3, ConstantStepSize, Dopri5, Heun, Tsit5, ODETerm, PIDController, RESULTS, SaveAt, StepTo, solveEnsembleSync, type BatchVectorField, type EnsembleSolution,
} from "../../src/index.js";
import { blowup, lorenz } from "./fixtures/models.mjs";

type P = { sigma: number; rho: number; beta: number };

/** Lorenz over lanes, structure of arrays: the same arithmetic as `lorenz`, lane by lane. */
const lorenzBatch: BatchVectorField<P> = (t, u, p, du, m, B) => {
  for (let b = 0; b < m; b++) {
    const x = u[b]!, y = u[B + b]!, z = u[2 * B + b]!;
    const a = p[b]!;
    du[b] = a.sigma * (y - x);
    du[B + b] = x * (a.rho - z) - y;
    du[2 * B + b] = x * y - a.beta * z;
  }
};

function assertIdentical(a: EnsembleSolution, b: EnsembleSolution): void {
  for (const key of ["ts", "ys", "counts", "results", "tFinal", "numSteps", "numAcceptedSteps", "numRejectedSteps", "numFnEvals", "outputs"] as const) {
    const x = a[key] as ArrayLike<number>;
    const y = b[key] as ArrayLike<number>;
    assert.equal(x.length, y.length, key);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) assert.fail(`${key}[${i}]: ${x[i]} vs ${y[i]}`);
  }
}

const N = 150;
const base = {
  terms: new ODETerm(lorenz),
  solver: new Dopri5(),
  t0: 0,
  t1: 1,
  trajectories: N,
  y0: (i: number) => [1, i / N, 0],
  args: (i: number) => ({ sigma: 10, rho: (21 * i) / (N - 1), beta: 8 / 3 }),
  saveat: new SaveAt({ t0: true, ts: [0.1, 0.25, 0.5, 1] }),
};

test("lockstep batches (adaptive, several batches, lanes finishing at different steps) equal serial bit for bit", () => {
  const o = { ...base, stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }) };
  const serial = solveEnsembleSync(o);
  const lock = solveEnsembleSync({ ...o, lockstep: { f: lorenzBatch, batchSize: 64 } });
  assert.equal(lock.mode, "lockstep");
  assert.equal(lock.notice, null);
  // Lanes really finish at different steps, so compaction is exercised.
  assert.ok(Math.max(...serial.numSteps) > Math.min(...serial.numSteps) + 10);
  assertIdentical(lock, serial);
  // The generic loops (used where new Function is forbidden) give the same bits as the generated kernel.
  assertIdentical(solveEnsembleSync({ ...o, lockstep: { f: lorenzBatch, batchSize: 64, generated: false } }), serial);
  // A PID (not only I) controller, a max norm and per-component tolerances follow the same formulas.
  const pid = { ...base, stepsizeController: new PIDController({ rtol: [1e-7, 1e-7, 1e-6], atol: 1e-9, pcoeff: 0.2, icoeff: 0.4, dcoeff: 0.1, norm: "max" }) };
  assertIdentical(solveEnsembleSync({ ...pid, lockstep: { f: lorenzBatch, batchSize: 50 } }), solveEnsembleSync(pid));
  // Given dt0 instead of the automatic initial step.
  for (const solver of [new Bosh3(), new Tsit5()]) {
    const other = { ...o, solver };
    assertIdentical(solveEnsembleSync({ ...other, lockstep: { f: lorenzBatch, batchSize: 64 } }), solveEnsembleSync(other));
  }
  const dt0 = { ...o, dt0: 1e-3 };
  assertIdentical(solveEnsembleSync({ ...dt0, lockstep: { f: lorenzBatch } }), solveEnsembleSync(dt0));
});

test("lockstep follows the serial loop backward in time, at dtmin (failing or forced) and with dtmax", () => {
  const cases = [
    { t0: 1, t1: 0, saveat: new SaveAt({ ts: [0.75, 0.5, 0], t0: true }), stepsizeController: new PIDController({ rtol: 1e-7, atol: 1e-7 }) },
    { stepsizeController: new PIDController({ rtol: 1e-12, atol: 1e-12, dtmin: 0.02 }) },
    { stepsizeController: new PIDController({ rtol: 1e-12, atol: 1e-12, dtmin: 0.02, forceDtmin: true }) },
    { stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6, dtmax: 0.013 }) },
  ];
  for (const c of cases) {
    const o = { ...base, trajectories: 30, ...c };
    const serial = solveEnsembleSync(o);
    assertIdentical(solveEnsembleSync({ ...o, lockstep: { f: lorenzBatch, batchSize: 16 } }), serial);
    if (c.stepsizeController.dtmin > 0 && !c.stepsizeController.forceDtmin) assert.ok(serial.failed.length > 0, "dtmin makes trajectories fail");
  }
});

test("lockstep with a state longer than the unrolled kernels take (n = 12) equals serial bit for bit", () => {
  const n = 12;
  const chain = (t: number, y: Float64Array, a: { k: number }, dy: Float64Array) => {
    for (let j = 0; j < n; j++) dy[j] = -(j + 1) * a.k * y[j]! + (j > 0 ? y[j - 1]! : Math.sin(t));
  };
  const chainLanes: BatchVectorField<{ k: number }> = (t, y, a, dy, m, B) => {
    for (let b = 0; b < m; b++) {
      for (let j = 0; j < n; j++) dy[j * B + b] = -(j + 1) * a[b]!.k * y[j * B + b]! + (j > 0 ? y[(j - 1) * B + b]! : Math.sin(t[b]!));
    }
  };
  const o = {
    terms: new ODETerm(chain), solver: new Tsit5(), t0: 0, t1: 2, trajectories: 40,
    y0: (i: number) => Array.from({ length: n }, (_, j) => (i + j) / 10), args: (i: number) => ({ k: 0.5 + i / 10 }),
    stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }), saveat: new SaveAt({ ts: [0.5, 1.5] }),
  };
  assertIdentical(solveEnsembleSync({ ...o, lockstep: { f: chainLanes, batchSize: 16 } }), solveEnsembleSync(o));
});

test("lockstep with fixed steps (dt = 0.001) equals serial bit for bit", () => {
  const o = { ...base, dt0: 0.001, stepsizeController: new ConstantStepSize() };
  const serial = solveEnsembleSync(o);
  assertIdentical(solveEnsembleSync({ ...o, lockstep: { f: lorenzBatch, batchSize: 40 } }), serial);
  assertIdentical(solveEnsembleSync({ ...o, lockstep: { f: lorenzBatch, batchSize: 40, generated: false } }), serial);
});

test("lockstep: a blowing-up lane fails alone; maxSteps per lane; output hook", () => {
  const y0s = [0.1, 2, 0.5, 4, 0.9, 3, 0.2];
  const batch: BatchVectorField = (t, y, a, dy, m) => {
    for (let b = 0; b < m; b++) dy[b] = y[b]! * y[b]!;
  };
  const o = {
    terms: new ODETerm(blowup), solver: new Dopri5(), t0: 0, t1: 1, trajectories: y0s.length, y0: (i: number) => [y0s[i]!],
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }), maxSteps: 300,
    output: { width: 1, keepSaved: true, fn: (out: Float64Array, ts: Float64Array, ys: Float64Array) => { out[0] = ts.length === 0 ? -1 : ys[ys.length - 1]!; } },
  };
  const serial = solveEnsembleSync(o);
  const lock = solveEnsembleSync({ ...o, lockstep: { f: batch, batchSize: 4 } });
  assertIdentical(lock, serial);
  assert.deepEqual(lock.failed, [1, 3, 5]);
  for (const i of [1, 3, 5]) {
    assert.notEqual(lock.result(i), RESULTS.successful);
    assert.equal(lock.message(i), serial.message(i));
  }
  assert.ok(Math.abs(lock.output(2)[0]! - 1) < 1e-7); // y0 = 0.5: y(1) = 0.5 / 0.5
});

test("lockstep runs every controller through the loop's own phases: StepTo, stepTs/jumpTs and a custom norm equal serial", () => {
  const cases = [
    { ...base, stepsizeController: new StepTo({ ts: [0, 0.1, 0.25, 0.3, 0.5, 0.75, 1] }) },
    { ...base, stepsizeController: new PIDController({ rtol: 1e-7, atol: 1e-9, stepTs: [0.3, 0.7], jumpTs: [0.45] }) },
    { ...base, stepsizeController: new PIDController({ rtol: 1e-7, atol: 1e-9, norm: (e: Float64Array) => Math.max(Math.abs(e[0]!), Math.abs(e[2]!)) }) },
  ];
  for (const o of cases) assertIdentical(solveEnsembleSync({ ...o, lockstep: { f: lorenzBatch, batchSize: 40 } }), solveEnsembleSync(o));
});

test("a lockstep field that writes only lane 0, or nothing, is refused at t0 (it would give wrong answers)", () => {
  const lane0: BatchVectorField<P> = (t, u, p, du, m, B) => lorenzBatch(t, u, p, du, Math.min(m, 1), B);
  assert.throws(() => solveEnsembleSync({ ...base, lockstep: { f: lane0 } }), /lockstep.f does not compute what the vector field of `terms` does: for trajectory 1/);
  assert.throws(() => solveEnsembleSync({ ...base, lockstep: { f: () => {} } }), /lockstep.f does not compute .* trajectory 0 at t0, component 0 is NaN/);
});

test("lockstep refuses what it does not implement, saying what to do", () => {
  const o = { ...base, lockstep: { f: lorenzBatch } };
  assert.throws(
    () => solveEnsembleSync({ ...o, solver: new Heun(), dt0: 0.01, stepsizeController: new ConstantStepSize() }),
    /first-same-as-last methods .* not Heun; run without `lockstep`/,
  );
  assert.throws(() => solveEnsembleSync({ ...o, saveat: new SaveAt({ t1: true, fn: (t, y) => y[0]! }) }), /does not take SaveAt fn/);
  assert.throws(() => solveEnsembleSync({ ...o, saveat: new SaveAt({ steps: true }) }), /does not take SaveAt steps/);
  assert.throws(() => solveEnsembleSync({ ...base, lockstep: {} as never }), /`lockstep` must be \{ f, batchSize\? \}/);
  assert.throws(() => solveEnsembleSync({ ...base, lockstep: { f: lorenzBatch, batchSize: 0 } }), /`lockstep.batchSize` = 0 must be a whole number ≥ 1/);
});
