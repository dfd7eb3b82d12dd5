// The integrator API against diffeqsolve, for every solver family: the same steps and the same
// Solution bit for bit, one step at a time, across a snapshot (in this thread and across a
// worker_threads boundary), and in slices (solveAsync). Runs on the built package (dist), which a
// worker thread can import; `npm test` builds it first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import {
  diffeqsolve, init, resume, solveAsync, Solution, RESULTS, SolveError, ODETerm, Tsit5, Dopri5, SaveAt, PIDController,
  AbstractStepSizeController, StepRecord, StepDecision,
} from "../../dist/index.js";
import { cases } from "./fixtures/problems.mjs";

type Sol = InstanceType<typeof Solution>;

function assertSameSolution(a: Sol, b: Sol, what: string): void {
  assert.equal(a.result, b.result, `${what}: result`);
  assert.equal(a.tFinal, b.tFinal, `${what}: tFinal`);
  assert.deepEqual(a.stats, b.stats, `${what}: stats`);
  assert.equal(a.ts.length, b.ts.length, `${what}: number of rows`);
  for (let i = 0; i < a.ts.length; i++) if (!Object.is(a.ts[i], b.ts[i])) assert.fail(`${what}: ts[${i}] ${a.ts[i]} vs ${b.ts[i]}`);
  for (let i = 0; i < a.ysFlat.length; i++) if (!Object.is(a.ysFlat[i], b.ysFlat[i])) assert.fail(`${what}: ysFlat[${i}] ${a.ysFlat[i]} vs ${b.ysFlat[i]}`);
  assert.equal(a.events.length, b.events.length, `${what}: events`);
  for (let i = 0; i < a.events.length; i++) assert.equal(a.events[i]!.t, b.events[i]!.t, `${what}: event ${i}`);
}

/** The accepted step ends of a solve (diffeqsolve with SaveAt steps). */
function stepEnds(name: string): Float64Array {
  const o = cases[name]!();
  return diffeqsolve({ ...o, saveat: new SaveAt({ steps: true }), event: o.event }).ts;
}

test("step() takes diffeqsolve's steps and gives its Solution bit for bit, for every solver family", () => {
  for (const name of Object.keys(cases)) {
    const expected = diffeqsolve(cases[name]!());
    const integrator = init(cases[name]!());
    const ts: number[] = [];
    while (integrator.step()) ts.push(integrator.t);
    ts.push(integrator.t);
    assert.equal(integrator.done, true);
    assertSameSolution(integrator.solution(), expected, name);
    // The step ends are those of a solve that saves every step (after an event or a jump the
    // integrator's t is where the solver restarted, so those cases are compared by their Solution only).
    const o = cases[name]!();
    if (o.event === undefined && o.stepsizeController?.jumpTs === undefined) assert.deepEqual(ts, Array.from(stepEnds(name)), `${name}: step ends`);
  }
});

test("saveState/resume in this thread continues bit for bit (structuredClone of the snapshot, a third of the way)", () => {
  for (const name of Object.keys(cases)) {
    const expected = diffeqsolve(cases[name]!());
    const first = init(cases[name]!());
    for (let k = 0; k < Math.floor(expected.stats.numAcceptedSteps / 3) && first.step(); k++);
    const snapshot = structuredClone(first.saveState());
    const second = resume(snapshot, cases[name]!());
    while (second.step());
    assertSameSolution(second.solution(), expected, `${name} (resumed)`);
    // The first integrator is untouched by the snapshot and goes on to the same end.
    while (first.step());
    assertSameSolution(first.solution(), expected, `${name} (the original)`);
  }
});

test("a snapshot resumed in a worker thread finishes bit for bit like the uninterrupted solve", async () => {
  const worker = new Worker(new URL("./fixtures/resume-worker.mjs", import.meta.url));
  try {
    for (const name of Object.keys(cases)) {
      const expected = diffeqsolve(cases[name]!());
      const integrator = init(cases[name]!());
      for (let k = 0; k < Math.floor(expected.stats.numAcceptedSteps / 2) && integrator.step(); k++);
      const reply = await new Promise<{ json?: string; error?: string }>((resolve) => {
        worker.once("message", resolve);
        worker.postMessage({ name, snapshot: integrator.saveState() });
      });
      assert.equal(reply.error, undefined, reply.error);
      const dense = expected.hasDense ? { solver: cases[name]!().solver } : {};
      const back = Solution.fromJSON(JSON.parse(reply.json!), dense);
      assertSameSolution(back, expected, `${name} (resumed in a worker)`);
      if (expected.hasDense) assert.deepEqual(Array.from(back.evaluate(1.7)), Array.from(expected.evaluate(1.7)));
    }
  } finally {
    await worker.terminate();
  }
});

test("advanceTo(t) returns the state at t from the interpolant without changing the steps", () => {
  const name = "Tsit5 Lorenz, ts and dense";
  const expected = diffeqsolve(cases[name]!());
  const integrator = init(cases[name]!());
  for (const t of [0.5, 1.25, 2, 3.5, 4]) {
    const y = integrator.advanceTo(t);
    const i = Array.from(expected.ts).indexOf(t);
    assert.deepEqual(Array.from(y), Array.from(expected.ys[i]!), `y(${t})`);
  }
  assertSameSolution(integrator.solution(), expected, "after advanceTo");
  // On a terminating event the integrator stops there, before the target.
  const o = { ...cases["Dopri5 bouncing ball with events"]!(), event: undefined };
  const ball = init({ ...o, event: new (cases["Dopri5 bouncing ball with events"]!().event.constructor)({ cond: (t: number, y: Float64Array) => y[0]!, terminal: true }) });
  const y = ball.advanceTo(5);
  assert.equal(ball.done, true);
  assert.equal(ball.result, RESULTS.eventOccurred);
  assert.ok(Math.abs(ball.t - Math.sqrt(20 / 9.81)) < 1e-9, `stopped at the floor: ${ball.t}`);
  assert.ok(Math.abs(y[0]!) < 1e-9);
});

test("bad use of an integrator gets a named error that says what to do", () => {
  const o = cases["Tsit5 Lorenz, ts and dense"]!();
  const integrator = init(o);
  integrator.advanceTo(1);
  assert.throws(() => integrator.advanceTo(0.5), /advanceTo\(t\): t = 0.5 is behind the integrator \(at t = .*\); it only moves towards t1 = 4/);
  assert.throws(() => integrator.advanceTo(5), /t = 5 is outside the interval \[0, 4\]/);
  assert.throws(() => integrator.advanceTo(Number.NaN), /t must be a finite number; got number NaN/);
  while (integrator.step());
  assert.throws(() => integrator.step(), /integrator.step\(\): the solve has ended \(reached t1 = 4\)/);
  // init validates as diffeqsolve does.
  assert.throws(() => init({ ...o, t1: "4" as never }), /`t1` must be a finite number; got the string "4" \(a string; write 4 without quotes\)/);
  // A snapshot of another problem, or of another format version, is refused.
  const snap = init(o).saveState();
  assert.throws(() => resume(snap, cases["Rodas5P ROBER"]!()), /the snapshot was saved from another problem/);
  assert.throws(() => resume(snap, { ...o, t1: 5 }), /another problem/);
  assert.throws(() => resume({ ...snap, version: 99 }, o), /format version 99, but this odeflow reads version 1/);
  assert.throws(() => resume({} as never, o), /`snapshot` must come from integrator.saveState\(\)/);
  // A failure throws a SolveError with the solution so far (or not, with throw: false).
  const failing = init({ ...o, maxSteps: 10 });
  assert.throws(() => { while (failing.step()); }, (e: unknown) => e instanceof SolveError && e.result === RESULTS.maxStepsReached);
  const quiet = init({ ...o, maxSteps: 10, throw: false });
  while (quiet.step());
  assert.equal(quiet.result, RESULTS.maxStepsReached);
});

test("a solve stopped at maxSteps resumes from its snapshot with a larger maxSteps, bit for bit", () => {
  const name = "Rodas5P ROBER";
  const expected = diffeqsolve({ ...cases[name]!(), maxSteps: 10_000 });
  const short = init({ ...cases[name]!(), maxSteps: 40, throw: false });
  while (short.step());
  assert.equal(short.result, RESULTS.maxStepsReached);
  const more = resume(short.saveState(), { ...cases[name]!(), maxSteps: 10_000 });
  while (more.step());
  assertSameSolution(more.solution(), expected, "resumed with more steps");
});

test("solveAsync gives diffeqsolve's solution, lets a setInterval tick during a long solve, and stops on abort with the rows so far", async () => {
  const name = "Dopri8 Arenstorf, every step";
  assertSameSolution(await solveAsync(cases[name]!()), diffeqsolve(cases[name]!()), "solveAsync");
  // A long solve (~1 s): a 5 ms interval must fire many times while it runs.
  const long = () => ({ ...cases["Tsit5 Lorenz, ts and dense"]!(), t1: 400, maxSteps: 10_000_000, stepsizeController: new PIDController({ rtol: 1e-12, atol: 1e-14 }), saveat: new SaveAt({ t1: true }) });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  const sol = await solveAsync(long(), { sliceMs: 5 });
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.equal(sol.result, RESULTS.successful);
  assert.ok(ticks >= Math.min(10, elapsed / 50), `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  // Abort after 30 ms: the result says so, and no saved row lies beyond where it stopped.
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 30);
  const stopped = await solveAsync({ ...long(), saveat: new SaveAt({ steps: 10 }) }, { signal: controller.signal });
  assert.equal(stopped.result, RESULTS.aborted);
  assert.ok(stopped.tFinal > 0 && stopped.tFinal < 400, `stopped at ${stopped.tFinal}`);
  assert.ok(stopped.ts.length > 0 && stopped.ts[stopped.ts.length - 1]! <= stopped.tFinal);
  assert.match(stopped.message, /aborted/);
  // Bad run options.
  await assert.rejects(solveAsync(cases[name]!(), { sliceMs: 0 }), /`sliceMs` = number 0 must be a number of milliseconds > 0/);
  await assert.rejects(solveAsync(cases[name]!(), { signal: {} as never }), /`signal` must be an AbortSignal/);
});

test("a step-size controller written outside the package works without touching the loop", () => {
  // Doubles the step after an accepted step whose error is below 1/4, halves it on a rejection.
  interface State { extraFnEvals: number; detail: string; dt: Float64Array; dir: number; }
  class Doubling extends AbstractStepSizeController<State> {
    readonly adaptive = true;
    init(problem: { dt0: number | undefined; dir: number }): State {
      return { extraFnEvals: 0, detail: "", dt: Float64Array.of(Math.abs(problem.dt0 ?? 1e-3)), dir: problem.dir };
    }
    propose(s: State, rec: Float64Array): number {
      rec[StepRecord.T_NEXT] = rec[StepRecord.T]! + s.dir * s.dt[0]!;
      rec[StepRecord.REACH] = s.dt[0]!;
      return StepDecision.PROPOSED;
    }
    adapt(s: State, rec: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
      let err = 0;
      for (let i = 0; i < y1.length; i++) err = Math.max(err, Math.abs(yErr[i]!) / (1e-8 + 1e-6 * Math.abs(y1[i]!)));
      const h = Math.abs(rec[StepRecord.H]!);
      if (err > 1) {
        s.dt[0] = h / 2;
        return StepDecision.REJECT;
      }
      s.dt[0] = err < 0.25 ? 2 * h : h;
      return StepDecision.ACCEPT;
    }
    describe() {
      return { name: "Doubling", options: {} };
    }
  }
  const sol = diffeqsolve({
    terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; }),
    solver: new Dopri5(), t0: 0, t1: 3, dt0: 0.01, y0: [1], stepsizeController: new Doubling(), saveat: new SaveAt({ ts: [1, 2, 3] }),
  });
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(sol.ys[i]![0]! - Math.exp(-(i + 1))) < 1e-6, `y(${i + 1})`);
  assert.ok(sol.stats.numSteps < 100, `${sol.stats.numSteps} steps`);
  // The same controller drives a lockstep-free ensemble and an integrator unchanged.
  const integrator = init({
    terms: new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; }),
    solver: new Tsit5(), t0: 0, t1: 1, dt0: 0.01, y0: [1], stepsizeController: new Doubling(),
  });
  assert.ok(Math.abs(integrator.advanceTo(1)[0]! - Math.exp(-1)) < 1e-6);
});

test("a Solution survives JSON and structuredClone (typed arrays as arrays), with evaluate given its solver", () => {
  const name = "Tsit5 Lorenz, ts and dense";
  const sol = diffeqsolve(cases[name]!());
  const json = JSON.parse(JSON.stringify(sol));
  assert.ok(Array.isArray(json.ts) && Array.isArray(json.ysFlat), "typed arrays are written as arrays of numbers");
  for (const copy of [Solution.fromJSON(json, { solver: new Tsit5() }), Solution.fromJSON(structuredClone(sol), { solver: new Tsit5() })]) {
    assertSameSolution(copy, sol, "copy");
    assert.deepEqual(Array.from(copy.evaluate(2.2)), Array.from(sol.evaluate(2.2)));
    assert.deepEqual(copy.ysAs(1), sol.ysAs(1));
  }
  assert.throws(() => Solution.fromJSON(json).evaluate(1), /rebuilt from data without its solver; pass it: Solution.fromJSON\(data, \{ solver: new Tsit5\(\) \}\)/);
  assert.throws(() => Solution.fromJSON(json, { solver: new Dopri5() }), /made by Tsit5, but `solver` is Dopri5/);
  assert.throws(() => Solution.fromJSON({ ...json, ysFlat: [1] }), /ysFlat has 1 numbers, but 6 rows of 3 need 18/);
});
