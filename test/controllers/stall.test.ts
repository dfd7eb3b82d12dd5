// StallDetector: flat, tiny steps that cannot reach t1 within maxSteps are reported early; solves
// that progress, or that will finish within maxSteps, never are.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StallDetector } from "../../src/controllers/stall.js";
import { diffeqsolve, ODETerm, PIDController, RESULTS, SaveAt, Tsit5 } from "../../src/index.js";
import { refProblem } from "../stiff/problems.js";

/** Feeds steps dt(k) from t0; returns the 1-based index of the step at which a stall is reported (0: never). */
function run(d: StallDetector, t0: number, count: number, dt: (k: number) => number): number {
  let t = t0;
  for (let k = 0; k < count; k++) {
    const h = dt(k);
    if (d.observe(t, h)) return k + 1;
    t += h;
  }
  return 0;
}

test("a constant step of 5e-11 over a span of 1e-3 (the ring modulator's old crawl) is stalled after window × blocks steps", () => {
  // minFraction 0: judged on the window alone (the default waits for a tenth of maxSteps, tested below).
  const d = new StallDetector({ minFraction: 0 });
  d.reset(0, 1e-3, 1e6);
  assert.equal(run(d, 0, 100_000, () => 5e-11), 1500);
  assert.ok(Math.abs(d.projectedSteps - (1e-3 - 1500 * 5e-11) / 5e-11) < 1);
  assert.match(d.detail(), /the last 1500 steps averaged 5\.00e-11 \(5\.0e-8 of the span\)/);
  assert.match(d.detail(), /needs ~2\.0e\+7 more steps, and maxSteps = 1000000 leaves 998500/);
  // Allowed 10⁷ steps, the 2·10⁷ needed are not "far" beyond (factor 10): not stalled.
  d.reset(0, 1e-3, 1e7);
  assert.equal(run(d, 0, 100_000, () => 5e-11), 0);
});

test("steps that vary within a factor 4 still count as flat; growing, varied or finishing solves are not stalled", () => {
  const d = new StallDetector({ minFraction: 0 });
  // Jitter between 1e-3 and 1.9e-3 (an explicit solver at its stability limit), span 1e5.
  d.reset(0, 1e5, 100_000);
  assert.equal(run(d, 0, 10_000, (k) => (k % 3 === 0 ? 1.9e-3 : 1e-3)), 1500);
  // A step that keeps growing by 1% per step.
  d.reset(0, 1e5, 100_000);
  assert.equal(run(d, 0, 5000, (k) => 1e-6 * 1.01 ** k), 0);
  // Slow growth, 2× per block of 500: flat within blocks, but the mean grows past `growth`.
  d.reset(0, 1e9, 100_000);
  assert.equal(run(d, 0, 20_000, (k) => 2 ** (k / 500)), 0);
  // Steps spread by more than 4× within each block (a rejection pattern with a wide swing).
  d.reset(0, 1e5, 100_000);
  assert.equal(run(d, 0, 20_000, (k) => (k % 2 === 0 ? 1e-3 : 1e-2)), 0);
  // Flat and small, but the solve finishes within maxSteps: 1e5 steps needed, 1e5 allowed.
  d.reset(0, 1, 100_000);
  assert.equal(run(d, 0, 20_000, () => 1e-5), 0);
  // A transient of tiny flat steps for two blocks, then the step recovers.
  d.reset(0, 1, 100_000);
  assert.equal(run(d, 0, 20_000, (k) => (k < 1000 ? 1e-12 : 1e-3)), 0);
  // Backward in time.
  d.reset(0, -1e-3, 1e6);
  assert.equal(run(d, 0, 10_000, () => -5e-11), 1500);
});

test("Tsit5 on ROBER (stiff): its accepted steps, fed to the detector, are reported stalled after 1500 steps instead of running to maxSteps", () => {
  const rober = refProblem("ROBER");
  const sol = diffeqsolve({
    terms: new ODETerm(rober.f), solver: new Tsit5(), t0: 0, t1: 1e5, y0: rober.y0, throw: false,
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-10 }), saveat: new SaveAt({ steps: true }),
  });
  // The solve itself ends stalled after a tenth of its 10⁵ steps (the default minFraction).
  assert.equal(sol.result, RESULTS.stalled);
  assert.ok(sol.stats.numAcceptedSteps >= 10_000 && sol.stats.numAcceptedSteps <= 11_000, `${sol.stats.numAcceptedSteps} steps`);
  assert.match(sol.message, /Rodas5P/);
  const d = new StallDetector({ minFraction: 0 });
  d.reset(0, 1e5, 100_000);
  let at = 0;
  for (let i = 0; i + 1 < sol.ts.length && at === 0; i++) if (d.observe(sol.ts[i]!, sol.ts[i + 1]! - sol.ts[i]!)) at = i + 1;
  assert.ok(at > 0 && at <= 2500, `stalled at step ${at}`);
  assert.ok(d.projectedSteps > 1e7, `${d.projectedSteps} steps projected`);
  assert.match(d.detail(), /needs ~\d\.\de\+7 more steps/);
});

test("by default a stall is only called once a tenth of maxSteps is spent: a stiff transient may crawl and then speed up", () => {
  const d = new StallDetector();
  d.reset(0, 1e-3, 1e6);
  assert.equal(run(d, 0, 200_000, () => 5e-11), 100_000);
});

test("options are checked; observeStep reads [t, dt] from a typed array", () => {
  assert.throws(() => new StallDetector({ window: 0 }), /window/);
  assert.throws(() => new StallDetector({ blocks: 1.5 }), /whole number/);
  assert.throws(() => new StallDetector({ flatness: 0.5 }), /flatness/);
  assert.throws(() => new StallDetector({ factor: Number.NaN }), /factor/);
  assert.throws(() => new StallDetector({ minFraction: 2 }), /minFraction/);
  const d = new StallDetector({ window: 10, blocks: 2, minFraction: 0 });
  d.reset(0, 1, 1000);
  const times = new Float64Array(2);
  let stalled = false;
  for (let k = 0; k < 20 && !stalled; k++) {
    times[0] = k * 1e-9;
    times[1] = 1e-9;
    stalled = d.observeStep(times);
  }
  assert.ok(stalled);
  assert.equal(d.steps, 20);
});

test("RESULTS.stalled and the step-limit messages name stiffness and the solvers to use; every code has its own message", async () => {
  const { RESULTS, resultMessage, resultName } = await import("../../src/index.js");
  assert.equal(resultName(RESULTS.stalled), "stalled");
  assert.match(resultMessage(RESULTS.stalled), /stiff/);
  for (const s of ["Rodas5P", "BDF", "RadauIIA5", "Kvaerno5", "AutoSwitch"]) assert.match(resultMessage(RESULTS.stalled), new RegExp(s));
  for (const code of [RESULTS.maxStepsReached, RESULTS.dtMinReached]) {
    assert.match(resultMessage(code), /stiff/);
    for (const s of ["Rodas5P", "BDF", "RadauIIA5", "AutoSwitch"]) assert.match(resultMessage(code), new RegExp(s));
  }
  const codes = Object.values(RESULTS);
  assert.equal(new Set(codes).size, codes.length, "codes are distinct");
  assert.deepEqual(codes.slice(0, 8), [0, 1, 2, 3, 4, 5, 6, 7], "existing codes keep their numbers");
  const messages = codes.map((c) => resultMessage(c));
  assert.equal(new Set(messages).size, codes.length);
  for (const m of messages) assert.doesNotMatch(m, /^Unknown result code/);
});
