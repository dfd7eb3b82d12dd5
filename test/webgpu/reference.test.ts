// The CPU reference of the WebGPU ODE kernel (test/webgpu/reference.ts), in double precision,
// against the library's own loop: the reference is the kernel's algorithm written out in
// TypeScript, so agreeing with diffeqsolve step for step shows that the kernel's algorithm is the
// CPU loop's. (The GPU tests then compare the GPU with the same reference in float32.) No GPU here.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile, ConstantStepSize, diffeqsolve, Dopri8, Event, ODETerm, PIDController, RK4, SaveAt, Tsit5, Vern7,
} from "../../src/index.js";
import { prepareEnsemble } from "../../src/ensemble/options.js";
import { gpuProblem } from "../../src/ensemble/webgpu/problem.js";
import { referenceSolve } from "./reference.js";

const lorenz = compile((t: number, [x, y, z]: number[], { sigma, rho, beta }: { sigma: number; rho: number; beta: number }) =>
  [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]);

/** Solves trajectory i with the reference (double) and with diffeqsolve; returns both. */
function both(options: any, i: number) {
  const p = prepareEnsemble(options, options.terms);
  const gp = gpuProblem(p);
  const P = new Float64Array(Math.max(1, gp.np));
  gp.packParams(i, P, 0);
  const ref = referenceSolve(gp, p.y0s.subarray(i * p.n, (i + 1) * p.n), P, false);
  const { trajectories, y0, args, ...single } = options;
  const sol = diffeqsolve({ ...single, y0: y0(i), args: args(i), throw: false });
  return { ref, sol };
}

function assertSameSolve(options: any, i: number, what: string, exact: boolean): void {
  const { ref, sol } = both(options, i);
  assert.equal(ref.result, sol.result, `${what}: result`);
  assert.equal(ref.steps, sol.stats.numSteps, `${what}: steps`);
  assert.equal(ref.accepted, sol.stats.numAcceptedSteps, `${what}: accepted steps`);
  assert.equal(ref.rejected, sol.stats.numRejectedSteps, `${what}: rejected steps`);
  assert.equal(ref.evals, sol.stats.numFnEvals, `${what}: evaluations`);
  assert.equal(ref.rows, sol.ts.length, `${what}: rows`);
  for (let k = 0; k < ref.ys.length; k++) {
    const a = ref.ys[k]!;
    const b = sol.ysFlat[k]!;
    if (exact) assert.ok(Object.is(a, b), `${what}: value ${k}: ${a} vs ${b}`);
    else assert.ok(Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b)), `${what}: value ${k}: ${a} vs ${b}`);
  }
}

const N = 8;
const sweep = (extra: object) => ({
  terms: new ODETerm(lorenz), t0: 0, t1: 1, trajectories: N,
  y0: () => [1, 0, 0], args: (i: number) => ({ sigma: 10, rho: 28 * i / (N - 1), beta: 8 / 3 }),
  ...extra,
});

test("adaptive Tsit5 with the automatic first step: the reference takes diffeqsolve's steps, bit for bit", () => {
  const o = sweep({ solver: new Tsit5(), stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-8 }), saveat: new SaveAt({ t0: true, ts: [0.1, 0.5, 0.75], t1: true }) });
  // The automatic first step squares with ** in the CPU loop and with × here (the same for squares); bit for bit.
  for (let i = 0; i < N; i++) assertSameSolve(o, i, `Tsit5 trajectory ${i}`, true);
});

test("PID coefficients, Vern7's extra dense stages (non-FSAL) and Dopri8's second error estimate follow the CPU loop", () => {
  const pid = new PIDController({ rtol: 1e-7, atol: 1e-9, pcoeff: 0.2, icoeff: 0.4, dcoeff: 0.1 });
  for (const solver of [new Vern7(), new Dopri8()]) {
    const o = sweep({ solver, stepsizeController: pid, dt0: 1e-3, saveat: new SaveAt({ ts: [0.3, 0.6, 1] }) });
    // Counts exactly; values to 1e-12: the reference sums DOP853's and Vern7's error estimates in
    // another order than the generated kernel, so err differs in its last bit, and with the PID
    // history that can move a step end by an ulp.
    for (const i of [1, 4, 7]) assertSameSolve(o, i, `${solver.name} trajectory ${i}`, false);
  }
});

test("fixed steps (RK4, Tsit5) and maxSteps follow the CPU loop", () => {
  for (const solver of [new RK4(), new Tsit5()]) {
    const o = sweep({ solver, stepsizeController: new ConstantStepSize(), dt0: 0.013, saveat: new SaveAt({ ts: [0.5, 1] }) });
    for (const i of [0, 5]) assertSameSolve(o, i, `${solver.name} fixed trajectory ${i}`, true);
  }
  const o = sweep({ solver: new Tsit5(), stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-9 }), maxSteps: 20 });
  const { ref, sol } = both(o, 6);
  assert.equal(sol.result, 1);
  assert.equal(ref.result, sol.result);
  assert.equal(ref.steps, 20);
});

test("a terminating event: the reference locates it where diffeqsolve does (to the float32 root tolerance)", () => {
  // Lorenz x(t) for rho = 28 falls below 5 going down after its first peak.
  const o = sweep({
    solver: new Tsit5(), stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
    saveat: new SaveAt({ ts: [0.1, 0.2, 0.9], t1: true }),
    event: new Event({ cond: (t: number, y: Float64Array) => y[0] - 5, direction: "down", terminal: true }),
  });
  const { ref, sol } = both(o, 7);
  assert.equal(sol.result, 4, "eventOccurred");
  assert.equal(ref.result, sol.result);
  assert.equal(ref.steps, sol.stats.numSteps);
  assert.equal(ref.rows, sol.ts.length);
  // The root finder stops at a bracket of 2·ε32·t here (the GPU's float32 width), not 2·ε64·t.
  assert.ok(Math.abs(ref.tFinal - sol.tFinal) < 4 * 1.2e-7 * sol.tFinal, `event at ${ref.tFinal} vs ${sol.tFinal}`);
  for (let k = 0; k < ref.ys.length; k++) assert.ok(Math.abs(ref.ys[k]! - sol.ysFlat[k]!) < 1e-5, `row value ${k}`);
});
