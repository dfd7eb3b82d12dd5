// An ensemble planned for solving elsewhere (planEnsemble / solveEnsembleRange / plan.accept):
// ranges solved in any order and any size, some twice, give solveEnsemble's solution bit for bit.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile, Dopri5, ODETerm, PIDController, planEnsemble, SaveAt, solveEnsemble, solveEnsembleRange, type EnsemblePart, type EnsembleSolution,
} from "../../src/index.js";
import { blowup, indexAndX, lorenz } from "./fixtures/models.mjs";

const url = new URL("./fixtures/models.mjs", import.meta.url).href;
const N = 97;
const options = {
  module: { url, vectorField: "lorenz", output: "indexAndX" },
  solver: new Dopri5(), t0: 0, t1: 1, trajectories: N,
  y0: () => [1, 0, 0],
  args: (i: number) => ({ sigma: 10, rho: (21 * i) / (N - 1), beta: 8 / 3 }),
  stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
  saveat: new SaveAt({ ts: [0.5, 1] }),
  output: { width: 2, keepSaved: true, fn: indexAndX },
  reduce: { init: 0, fn: (acc: number, row: Float64Array) => acc + row[1]! },
};

function assertIdentical(a: EnsembleSolution, b: EnsembleSolution): void {
  for (const key of ["ts", "ys", "counts", "results", "tFinal", "numSteps", "numAcceptedSteps", "numRejectedSteps", "numFnEvals", "outputs"] as const) {
    const x = a[key] as ArrayLike<number>;
    const y = b[key] as ArrayLike<number>;
    assert.equal(x.length, y.length, key);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) assert.fail(`${key}[${i}]: ${x[i]} vs ${y[i]}`);
  }
  assert.ok(Object.is(a.reduced, b.reduced), `reduced: ${a.reduced} vs ${b.reduced}`);
}

test("ranges solved out of order, in uneven sizes and some twice give solveEnsemble's solution bit for bit", async () => {
  const plan = await planEnsemble(options);
  assert.equal(plan.trajectories, N);
  assert.deepEqual(JSON.parse(JSON.stringify(plan.problem.descriptor.vectorField)), { kind: "module", url, name: "lorenz" });
  const ranges: [number, number][] = [[60, 97], [0, 1], [1, 33], [33, 60], [20, 40]]; // [20, 40) twice
  for (const [s, e] of ranges) {
    plan.accept(await solveEnsembleRange(plan.problem, plan.inputs(s, e), { sliceMs: 1 }));
  }
  assert.equal(plan.pending, 0);
  assert.deepEqual(plan.missing(), []);
  const sol = plan.solution();
  assert.equal(sol.mode, "distributed");
  const local = await solveEnsemble({ ...options, terms: new ODETerm(lorenz) });
  assertIdentical(sol, local);
  assert.equal(sol.output(41)[0], 41, "the output hook sees the trajectory's own index");
});

test("a part that disagrees with one accepted before is refused; missing ranges are named", async () => {
  const plan = await planEnsemble({ ...options, trajectories: 10 });
  const part = await solveEnsembleRange(plan.problem, plan.inputs(0, 5));
  plan.accept(part);
  const forged: EnsemblePart = { ...part, ys: part.ys.map((y, k) => (k === 7 ? y + 1e-12 : y)) };
  assert.throws(() => plan.accept(forged), /trajectory 1 came back twice with different ys/);
  assert.deepEqual(plan.missing(), [[5, 10]]);
  assert.throws(() => plan.solution(), /5 of 10 trajectories are not in yet \(first missing range \[5, 10\)\)/);
  assert.throws(() => plan.inputs(3, 11), /range \[3, 11\) is not within the ensemble's 10 trajectories/);
  assert.throws(() => plan.accept({ ...part, start: 5, end: 10, counts: part.counts.subarray(0, 2) }), /part.counts holds 2 numbers; trajectories \[5, 10\) need 5/);
});

test("numerical failures travel as result codes and messages; closures are refused with the reason", async () => {
  const y0s = [0.1, 2, 0.5, 4];
  const o = {
    module: { url, vectorField: "blowup" }, solver: new Dopri5(), t0: 0, t1: 1, trajectories: 4, y0: (i: number) => [y0s[i]!],
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }), maxSteps: 2000,
  };
  const plan = await planEnsemble(o);
  plan.accept(await solveEnsembleRange(plan.problem, plan.inputs(2, 4)));
  plan.accept(await solveEnsembleRange(plan.problem, plan.inputs(0, 2)));
  const local = await solveEnsemble({ ...o, terms: new ODETerm(blowup) });
  assertIdentical(plan.solution(), local);
  assert.deepEqual(plan.solution().failed, [1, 3]);
  assert.equal(plan.solution().message(3), local.message(3));

  await assert.rejects(
    planEnsemble({ ...o, module: undefined, terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => void (dy[0] = -y[0]!), { compile: false }) }),
    /planEnsemble: the vector field is a plain function \(a closure cannot travel to a worker\); name the module that exports it/,
  );
  // A compiled vector field travels as its source, and so does a plain one that `new ODETerm` compiles.
  const vf = compile((t: number, [y]: number[]) => [-y], {});
  const c = await planEnsemble({ ...o, module: undefined, terms: new ODETerm(vf) });
  assert.equal(c.problem.descriptor.vectorField.kind, "source");
  const auto = await planEnsemble({ ...o, module: undefined, terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => void (dy[0] = -y[0]!)) });
  assert.equal(auto.problem.descriptor.vectorField.kind, "source");
});
