// Allocation in the step loop. The one allocation V8 forces is boxing a double `t` when it calls a
// function it does not inline (16 bytes a call); the loop must add nothing of its own (no arrays,
// closures or objects per step).
//
// 1. The acceptance test: over a 10⁶-step solve, count minor GCs (PerformanceObserver "gc" entries)
//    and compare with a bare loop making the same number of non-inlined vector-field calls with a
//    double t. It runs in a child process with the young generation fixed at 1 MB semi-spaces
//    (--min/--max-semi-space-size=1), so that a GC count is a byte count (~1 MB each); with the
//    default, growing young generation a count hides a 6× difference in bytes.
// 2. A sanity check of bytes per step in the steady state: a ProgressMeter (called by the loop every
//    64 accepted steps) samples the new-space size from inside the running solve, once it is optimised.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import * as odeflow from "../src/index.js";
import type { AbstractSolver, ProgressMeter } from "../src/index.js";

const { ConstantStepSize, diffeqsolve, Dopri5, Euler, ODETerm, PIDController } = odeflow;

/** The tiny problem: y' = -y on [0, 1]. */
const decay = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
  dy[0] = -y[0]!;
};
const term = new ODETerm(decay);

function solveSteps(name: "Euler" | "Dopri5", steps: number, progressMeter?: ProgressMeter) {
  if (name === "Euler") {
    return diffeqsolve({
      terms: term, solver: new Euler(), t0: 0, t1: 1, dt0: 1 / steps, y0: [1],
      stepsizeController: new ConstantStepSize(), maxSteps: steps + 1, progressMeter,
    });
  }
  // dtmax = 1/steps: every step is the same size, so the solve takes `steps` accepted steps.
  return diffeqsolve({
    terms: term, solver: new Dopri5(), t0: 0, t1: 1, y0: [1],
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9, dtmax: 1 / steps }), maxSteps: 2 * steps, progressMeter,
  });
}

/**
 * `calls` calls of f with a double t through a call site that has seen six different functions:
 * V8 does not inline a megamorphic call, so each call boxes t (16 bytes).
 */
function bareLoop(f: (t: number, y: Float64Array, a: unknown, dy: Float64Array) => void, calls: number, y: Float64Array, dy: Float64Array): number {
  const h = 1 / calls;
  for (let k = 0; k < calls; k++) {
    f(k * h, y, null, dy);
    y[0] = y[0]! + h * dy[0]!;
  }
  return y[0]!;
}

/** Child: prints {case: [solveMinorGCs, bareMinorGCs, steps, fnEvals]} as JSON. */
async function child(): Promise<void> {
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
  });
  obs.observe({ entryTypes: ["gc"] });
  // The observer delivers asynchronously: wait a tick before reading the count.
  const tick = () => new Promise((r) => setTimeout(r, 20));
  const gc = (globalThis as { gc?: () => void }).gc!;
  const y = new Float64Array(1);
  const dy = new Float64Array(1);
  for (let i = 0; i < 6; i++) bareLoop(new Function("t", "y", "a", "dy", `dy[0] = -y[0] + ${i} * t;`) as typeof decay, 1000, y, dy);
  const out: Record<string, number[]> = {};
  for (const name of ["Euler", "Dopri5"] as const) {
    solveSteps(name, 100_000); // warm up: compile the loop and the kernels
    // No gc() here: a full GC would collect the warm-up's objects, and V8 throws away optimised code
    // that embeds them, so the measured solve would start unoptimised.
    await tick();
    minor = 0;
    const sol = solveSteps(name, 1_000_000);
    await tick();
    const solveGCs = minor;
    gc();
    await tick();
    minor = 0;
    bareLoop(decay, sol.stats.numFnEvals, y, dy);
    await tick();
    out[name] = [solveGCs, minor, sol.stats.numSteps, sol.stats.numFnEvals];
  }
  obs.disconnect();
  process.stdout.write(JSON.stringify(out));
}

if (process.env.ODEFLOW_ALLOCATION_CHILD === "1") {
  await child();
} else {
  let childOut: Record<string, [number, number, number, number]> | undefined;
  function gcCounts(): Record<string, [number, number, number, number]> {
    if (childOut === undefined) {
      const r = spawnSync(
        process.execPath,
        ["--expose-gc", "--min-semi-space-size=1", "--max-semi-space-size=1", "--import", "tsx", fileURLToPath(import.meta.url)],
        { env: { ...process.env, ODEFLOW_ALLOCATION_CHILD: "1" }, encoding: "utf8", timeout: 55_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      childOut = JSON.parse(r.stdout) as Record<string, [number, number, number, number]>;
    }
    return childOut;
  }
  function checkGCs(name: string, t: { diagnostic(s: string): void }): void {
    const [solveGCs, bareGCs, steps, evals] = gcCounts()[name]!;
    t.diagnostic(`${name}: ${steps} steps, ${evals} f-evaluations: ${solveGCs} minor GCs (bare loop: ${bareGCs}), 1 MB semi-spaces`);
    assert.equal(steps, 1_000_000);
    assert.ok(bareGCs >= evals / 100_000, `${name}: the bare loop must allocate (≥ 16 B a call): ${bareGCs} GCs`);
    // Slack: 10 GCs (10 MB, i.e. 10 B/step over 10⁶ steps) for what a solve does once: validation,
    // workspace and output buffers, the Solution, and steps run unoptimised while V8 compiles the
    // loop. One extra boxed double per step is 16 MB: caught.
    assert.ok(solveGCs <= bareGCs + 10, `${name}: ${solveGCs} minor GCs during the solve vs ${bareGCs} for the bare loop`);
  }

  test("a 10⁶-step Dopri5 solve makes no more minor GCs than a bare loop of the same non-inlined vector-field calls", { timeout: 60_000 }, (t) => {
    checkGCs("Dopri5", t);
  });

  test("a 10⁶-step fixed-step Euler solve makes no more minor GCs than a bare loop of the same non-inlined vector-field calls", { timeout: 60_000 }, (t) => {
    checkGCs("Euler", t);
  });

  const newSpace = v8.getHeapSpaceStatistics().findIndex((s) => s.space_name === "new_space");
  const newSpaceUsed = () => v8.getHeapSpaceStatistics()[newSpace]!.space_used_size;

  /** Samples the new-space size every 32·64 accepted steps, from inside the loop. */
  class AllocationSampler implements ProgressMeter {
    private samples: number[] = [];
    private calls = 0;
    start(): void {}
    finish(): void {}
    update(): void {
      if ((++this.calls & 31) === 0) {
        const a = newSpaceUsed();
        const b = newSpaceUsed(); // the cost of a sample itself, subtracted below
        this.samples.push(a, b);
      }
    }
    /** Median bytes per step over the GC-free sampling intervals of the second half of the solve (optimised by then). */
    bytesPerStep(): number {
      const d: number[] = [];
      for (let i = 2 * Math.ceil(this.samples.length / 4); i + 1 < this.samples.length; i += 2) {
        const grown = this.samples[i]! - this.samples[i - 1]!;
        const sampleCost = this.samples[i + 1]! - this.samples[i]!;
        if (grown > 0) d.push((grown - sampleCost) / (32 * 64));
      }
      assert.ok(d.length >= 5, "enough GC-free sampling intervals");
      return d.sort((x, y) => x - y)[d.length >> 1]!;
    }
  }

  /** Steady-state bytes per step and f-evaluations per step of a 1.25·10⁵-step solve. */
  function measure(name: string): { perStep: number; evals: number } {
    const make = (odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[name]!;
    const fixed = new make().errorOrder === 0;
    const run = (sampler: AllocationSampler) =>
      fixed
        ? diffeqsolve({ terms: term, solver: new make(), t0: 0, t1: 1, dt0: 8e-6, y0: [1], stepsizeController: new ConstantStepSize(), maxSteps: 1e6, progressMeter: sampler })
        : diffeqsolve({ terms: term, solver: new make(), t0: 0, t1: 1, y0: [1], stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9, dtmax: 8e-6 }), maxSteps: 1e6, progressMeter: sampler });
    run(new AllocationSampler()); // warm up: V8 compiles the loop, the step and its kernel
    // V8 optimises on a background thread: on a loaded machine the optimised code may arrive during
    // the first measured solve, whose early steps then ran unoptimised (boxing). Steady state is
    // the least of up to three solves.
    let perStep = Infinity;
    let evals = 0;
    for (let k = 0; k < 3 && perStep > 1; k++) {
      const sampler = new AllocationSampler();
      const sol = run(sampler);
      perStep = Math.min(perStep, sampler.bytesPerStep());
      evals = Math.round(sol.stats.numFnEvals / sol.stats.numSteps);
    }
    return { perStep, evals };
  }

  const ALL = ["Euler", "Heun", "Midpoint", "Ralston", "Bosh3", "Dopri5", "Tsit5", "Vern7", "Vern9", "Dopri8"];
  const measured = new Map<string, { perStep: number; evals: number }>();
  const get = (name: string) => {
    if (!measured.has(name)) measured.set(name, measure(name));
    return measured.get(name)!;
  };

  test("steady-state bytes per step, every explicit RK method: boxed doubles only, no arrays, closures or objects", { timeout: 60_000 }, (t) => {
    for (const name of ALL) {
      const { perStep, evals } = get(name);
      t.diagnostic(`${name}: ${perStep.toFixed(1)} B/step, ${evals} f-evaluations/step`);
      // Measured 16–96 B: boxed doubles (16 B each) at calls V8 does not inline: the loop passes t
      // and dt to solver.step, the step passes t, dt, t1 to its kernel, the kernel t + c·dt to f.
      // 8 boxes (128 B) is the bound: any array (a Float64Array is > 100 B), closure with its
      // context, or object made per step on top of the boxes pushes past it.
      assert.ok(perStep <= 128, `${name}: ${perStep} bytes per step`);
    }
  });

  test(
    "no allocation in the step loop: under 1 B per step for every explicit RK method, in a process that has used several solvers",
    { timeout: 60_000 },
    (t) => {
      const over: string[] = [];
      for (const name of ALL) {
        const { perStep, evals } = get(name);
        // 0.25 B a step is the sampler's own progress call (every 64 steps it receives t, a double).
        void evals;
        if (perStep > 1) over.push(`${name} ${perStep.toFixed(1)} B`);
      }
      t.diagnostic(over.length === 0 ? "no explicit method allocates in its steps" : `allocating: ${over.join(", ")}`);
      assert.deepEqual(over, []);
    },
  );
}
