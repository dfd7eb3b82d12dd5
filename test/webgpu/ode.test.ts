// The WebGPU ODE kernel, run on a WebGPU device (SwiftShader where there is no GPU), against the
// float32 reference of the same algorithm (test/webgpu/reference.ts, itself checked step for step
// against diffeqsolve in reference.test.ts) and against the CPU's double-precision solve.
//
// Bounds. With fixed steps the GPU and the float32 reference do the same arithmetic; they differ
// only where a GPU contracts a·b + c into one rounding (FMA) or rounds a transcendental
// differently, by a few ulps per step: |Δ| ≤ 8·steps·ε₃₂·(1 + |y|). With adaptive steps the step
// sizes come from exp and log, whose last bits differ between the GPU and Math.exp/Math.log; a
// step size a few ulps different can flip an accept/reject decision near err = 1, after which the
// two solves take different (equally valid) steps: step counts then differ by a few (slack: 3, or
// 10% of the steps), and values by the solver's error at the tolerance plus float32 rounding:
// |Δ| ≤ 10·(atol + rtol·|y|) + 64·steps·ε₃₂·(1 + |y|). The same bound holds against the CPU's
// double-precision solve at the same tolerance.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  compile, ConstantStepSize, Event, isOkay, ODETerm, PIDController, RESULTS, RK4, SaveAt, solveEnsemble, Tsit5, Vern7,
  type EnsembleSolution,
} from "../../src/index.js";
import { prepareEnsemble } from "../../src/ensemble/options.js";
import { gpuProblem } from "../../src/ensemble/webgpu/problem.js";
import type { NodeWebGPU } from "../../src/node/webgpu.js";
import { testDevice } from "./device.js";
import { referenceSolve, type ReferenceResult } from "./reference.js";

const EPS32 = 1.1920928955078125e-7;
let gpu: NodeWebGPU;
before(async () => {
  gpu = await testDevice();
});
after(() => gpu?.destroy());

const lorenz = compile((t: number, [x, y, z]: number[], { sigma, rho, beta }: { sigma: number; rho: number; beta: number }) =>
  [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]);
const N = 256;
/** The DiffEqGPU benchmark's sweep: ρ evenly over [0, 21]. */
const sweep = (extra: object): any => ({
  terms: new ODETerm(lorenz), t0: 0, t1: 1, trajectories: N,
  y0: () => [1, 0, 0], args: (i: number) => ({ sigma: 10, rho: (21 * i) / (N - 1), beta: 8 / 3 }),
  saveat: new SaveAt({ t0: true, ts: [0.25, 0.5, 0.75], t1: true }),
  ...extra,
});

/** The float32 reference of every trajectory. */
function references(options: any): ReferenceResult[] {
  const p = prepareEnsemble(options, options.terms);
  const gp = gpuProblem(p);
  const out: ReferenceResult[] = [];
  for (let i = 0; i < p.N; i++) {
    const P = new Float32Array(Math.max(1, gp.np));
    gp.packParams(i, P, 0);
    out.push(referenceSolve(gp, p.y0s.subarray(i * p.n, (i + 1) * p.n), P, true));
  }
  return out;
}

const gpuSolve = (options: any, webgpu: object = {}): Promise<EnsembleSolution> =>
  solveEnsemble({ ...options, backend: "webgpu", device: gpu.device, webgpu });

/** Every trajectory of the GPU solve against rows `ys(i)` with the stated value bound and step slack. */
function assertClose(g: EnsembleSolution, what: string, other: (i: number) => { ys: ArrayLike<number>; steps: number; result: number },
  bound: (y: number, steps: number) => number, slack: (steps: number) => number): void {
  for (let i = 0; i < g.trajectories; i++) {
    const o = other(i);
    assert.equal(g.result(i), o.result, `${what}, trajectory ${i}: result`);
    const steps = g.numSteps[i]!;
    assert.ok(Math.abs(steps - o.steps) <= slack(o.steps), `${what}, trajectory ${i}: ${steps} steps vs ${o.steps}`);
    const ys = g.ysOf(i);
    assert.equal(ys.length, o.ys.length, `${what}, trajectory ${i}: saved values`);
    for (let k = 0; k < ys.length; k++) {
      const y = o.ys[k]!;
      assert.ok(Math.abs(ys[k]! - y) <= bound(y, Math.max(steps, o.steps)), `${what}, trajectory ${i}, value ${k}: ${ys[k]} vs ${y}`);
    }
  }
}

test("fixed steps (RK4, Tsit5): every trajectory is the float32 reference's to a few ulps per step", async () => {
  for (const solver of [new RK4(), new Tsit5()]) {
    const o = sweep({ solver, dt0: 0.01, stepsizeController: new ConstantStepSize() });
    const g = await gpuSolve(o);
    assert.equal(g.mode, "webgpu");
    const ref = references(o);
    const fixed = (y: number, steps: number) => 8 * steps * EPS32 * (1 + Math.abs(y));
    assertClose(g, `${solver.name} fixed`, (i) => ref[i]!, fixed, () => 0);
    for (let i = 0; i < N; i++) assert.equal(g.numFnEvals[i], ref[i]!.evals);
    assert.deepEqual(Array.from(g.tsOf(N - 1)), [0, 0.25, 0.5, 0.75, 1]);
  }
});

test("adaptive Tsit5 and Vern7 (automatic first step, interpolated outputs): the float32 reference and the CPU's double solve", async () => {
  const cases = [
    { solver: new Tsit5(), stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-5 }) },
    { solver: new Vern7(), stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6 }) },
  ];
  const slack = (steps: number) => Math.max(3, 0.1 * steps);
  for (const extra of cases) {
    const o = sweep(extra);
    const { rtol, atol } = extra.stepsizeController as { rtol: number; atol: number };
    const bound = (y: number, steps: number) => 10 * (atol + rtol * Math.abs(y)) + 64 * steps * EPS32 * (1 + Math.abs(y));
    const g = await gpuSolve(o);
    assert.equal(g.notice, null, "rtol ≥ 1e-6 needs no float32 notice");
    const ref = references(o);
    assertClose(g, `${extra.solver.name} vs float32 reference`, (i) => ref[i]!, bound, slack);
    const cpu = await solveEnsemble(o);
    assertClose(g, `${extra.solver.name} vs CPU double`, (i) => ({ ys: cpu.ysOf(i), steps: cpu.numSteps[i]!, result: cpu.results[i]! }), bound, slack);
  }
});

test("chunked dispatch (trajectoriesPerDispatch) gives the same bits as one dispatch, and moments match the rows", async () => {
  const o = sweep({ solver: new Tsit5(), stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-5 }) });
  const one = await gpuSolve(o, { moments: true });
  const chunked = await gpuSolve(o, { trajectoriesPerDispatch: 50, moments: true });
  for (const key of ["ys", "ts", "results", "counts", "tFinal", "numSteps", "numRejectedSteps", "numFnEvals"] as const) {
    assert.deepEqual(chunked[key], one[key], key);
  }
  // Moments on the GPU against the mean and variance of the rows read back.
  const m = chunked.moments!;
  assert.deepEqual(Array.from(m.times), [0, 0.25, 0.5, 0.75, 1]);
  for (let r = 0; r < 5; r++) {
    assert.equal(m.count[r], N);
    for (let j = 0; j < 3; j++) {
      let mean = 0;
      for (let i = 0; i < N; i++) mean += one.state(i, r)[j]! / N;
      let v = 0;
      for (let i = 0; i < N; i++) v += (one.state(i, r)[j]! - mean) ** 2 / (N - 1);
      const e = r * 3 + j;
      assert.ok(Math.abs(m.mean[e]! - mean) <= 1e-5 * (1 + Math.abs(mean)), `mean of row ${r}, component ${j}: ${m.mean[e]} vs ${mean}`);
      assert.ok(Math.abs(m.variance[e]! - v) <= 1e-4 * (1e-3 + v), `variance of row ${r}, component ${j}: ${m.variance[e]} vs ${v}`);
    }
  }
  // keepSaved: false reads back no rows, the same codes and counters.
  const lean = await gpuSolve(o, { keepSaved: false, moments: true });
  assert.equal(lean.ys.length, 0);
  assert.deepEqual(lean.numSteps, one.numSteps);
  assert.deepEqual(lean.moments!.mean, one.moments!.mean, "the same folds as with the rows kept");
});

test("heterogeneous trajectories get their own result codes: success, stiff (maxSteps), blow-up, terminating event", async () => {
  // x' = v + k x², v' = μ(1 − x²)v − x: Van der Pol, with a blow-up term; the event x + level = 0 downward.
  const vdp = compile((t: number, [x, v]: number[], { k, mu }: { k: number; mu: number }) => [v + k * x * x, mu * (1 - x * x) * v - x]);
  const kinds: { k: number; mu: number; level: number; expect: number[] }[] = [
    { k: 0, mu: 1, level: 100, expect: [RESULTS.successful] },
    { k: 0, mu: 1e4, level: 100, expect: [RESULTS.maxStepsReached] },
    { k: 5, mu: 0, level: 100, expect: [RESULTS.dtMinReached, RESULTS.nonFiniteEncountered] },
    { k: 0, mu: 1, level: 1, expect: [RESULTS.eventOccurred] },
  ];
  const M = 64;
  const o: any = {
    terms: new ODETerm(vdp), solver: new Tsit5(), t0: 0, t1: 3, trajectories: M,
    y0: () => [2, 0], args: (i: number) => kinds[i % 4],
    stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-6 }), maxSteps: 3000,
    saveat: new SaveAt({ ts: [0.1, 1], t1: true }),
    event: new Event({ cond: (t: number, y: Float64Array, a: { level: number }) => y[0]! + a.level, direction: "down", terminal: true }),
  };
  const g = await gpuSolve(o);
  const ref = references(o);
  const cpu = await solveEnsemble(o);
  for (let i = 0; i < M; i++) {
    const kind = kinds[i % 4]!;
    assert.ok(kind.expect.includes(g.result(i)), `trajectory ${i} (${JSON.stringify(kind)}): ${g.result(i)}`);
    assert.equal(g.result(i), ref[i]!.result, `trajectory ${i}: the float32 reference's code`);
    // The CPU loop ends a crawling stiff solve early as stalled; the GPU kernel runs it to maxSteps.
    const cpuExpect = kind.expect[0] === RESULTS.maxStepsReached ? [RESULTS.maxStepsReached, RESULTS.stalled] : kind.expect;
    assert.ok(cpuExpect.includes(cpu.result(i)), `trajectory ${i}: the CPU's code ${cpu.result(i)}`);
    if (kind.expect[0] === RESULTS.maxStepsReached) assert.equal(g.numSteps[i], 3000);
    if (kind.expect[0] === RESULTS.eventOccurred) {
      // x = −1 on the way down, located on the interpolant: the CPU's double solve's event time.
      assert.ok(Math.abs(g.tFinal[i]! - cpu.tFinal[i]!) < 1e-4, `event time ${g.tFinal[i]} vs ${cpu.tFinal[i]}`);
      assert.ok(Math.abs(g.final(i)[0]! + 1) < 1e-5, `x at the event: ${g.final(i)[0]}`);
      assert.deepEqual(Array.from(g.tsOf(i)), [Math.fround(0.1), 1, g.tFinal[i]], "ts before the event, then the event's row for t1");
    }
    if (isOkay(g.result(i))) {
      const ys = g.ysOf(i);
      const c = cpu.ysOf(i);
      for (let k = 0; k < ys.length; k++) assert.ok(Math.abs(ys[k]! - c[k]!) < 1e-3 * (1 + Math.abs(c[k]!)), `trajectory ${i}, value ${k}`);
    } else {
      assert.ok(!g.ok(i) && g.failed.includes(i));
      assert.match(g.message(i), /on the GPU/);
    }
  }
});
