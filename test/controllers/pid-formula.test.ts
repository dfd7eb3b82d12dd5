/**
 * The adaptive step-size rules, pinned to an independent implementation of the maths.
 *
 * A scripted solver (written here against the public solver protocol) keeps y ≡ 0 and writes the
 * error estimate yErr = err_k · atol on its k-th step attempt, with atol = 1 and y = 0 so that the
 * scaled RMS norm the loop computes is exactly err_k. The step sizes the loop then takes depend
 * only on the controller, and are compared with `referenceSteps` below, written from the formulas:
 *
 * - Söderlind's PID filter (G. Söderlind, "Digital filters in adaptive time-stepping", ACM TOMS 29
 *   (2003) 1–26), as in diffrax: with ε = 1/err and k the solver's error order, an accepted step
 *   gives the next dt = |h| · safety · ε_n^{β1} ε_{n−1}^{β2} ε_{n−2}^{β3}, β1 = (P + I + D)/k,
 *   β2 = −(P + 2D)/k, β3 = D/k; the history ε_{n−1}, ε_{n−2} is 1 at the start and after a restart,
 *   and keeps ε ≤ 10⁴ (err floored at 1e-4, Hairer's facold);
 *   the factor is clipped to [factormin, factormax], and to ≤ 1 right after a rejection (Hairer's
 *   rule, *Solving ODEs I*, §II.4). Rejected steps do not enter the history.
 * - A rejected step (err > 1) retries with |h| · max(factormin, min(1, safety · err^{−1/k})).
 * - dt is clipped to dtmax, raised to dtmin; a step whose end would fall within 1% of dt short of
 *   t1 (or of the next stepTs time) is stretched onto it, never beyond dtmax (Hairer's codes).
 * - jumpTs: the step stops at the last double before the jump and the solver restarts at the
 *   first double after it.
 *
 * Time comparisons are to 1e-12 relative: the loop computes x^β as exp(β log x), the reference
 * uses Math.pow.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { diffeqsolve, ODETerm, PIDController, RESULTS, SaveAt } from "../../src/index.js";
import type { AbstractSolver, PIDControllerOptions, SolverState } from "../../src/index.js";

// --- The scripted solver ---------------------------------------------------------------------------

interface ScriptedState extends SolverState {
  attempt: number;
}

/** One call of `step` (t, signed h) or of `restart` (t, h = NaN). */
interface Call {
  t: number;
  h: number;
}

/**
 * A solver whose k-th step attempt reports the scaled error `errs[k]` (cycled) and leaves y at 0.
 * It records every step (t, h) and restart (t) the loop asks for.
 */
class ScriptedSolver implements AbstractSolver<ScriptedState> {
  readonly name = "Scripted";
  readonly order: number;
  readonly hasSecondaryError = false;
  readonly calls: Call[] = [];
  constructor(readonly errorOrder: number, private readonly errs: readonly number[]) {
    this.order = errorOrder;
  }
  init(): ScriptedState {
    return { numFnEvals: 0, attempt: 0 };
  }
  restart(_state: ScriptedState, t: number, _y: Float64Array): Float64Array {
    this.calls.push({ t, h: NaN });
    return new Float64Array(1);
  }
  step(state: ScriptedState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    this.calls.push({ t: times[0]!, h: times[1]! });
    y1[0] = y0[0]!;
    yErr[0] = this.errs[state.attempt++ % this.errs.length]!;
    return 0;
  }
  accept(): void {}
  interpolate(_state: ScriptedState, _theta: number, out: Float64Array): void {
    out[0] = 0;
  }
  interpolateDerivative(_state: ScriptedState, _theta: number, out: Float64Array): void {
    out[0] = 0;
  }
  denseSize(): number {
    return 0;
  }
  writeDense(): void {}
  evaluateDense(_d: Float64Array, _o: number, _n: number, _dt: number, _theta: number, _der: boolean, out: Float64Array): void {
    out[0] = 0;
  }
}

const zero = new ODETerm((_t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = 0;
});

// --- The reference controller, from the formulas in the header -----------------------------------

interface Setting {
  k: number;
  t0: number;
  t1: number;
  dt0: number;
  errs: readonly number[];
  controller?: PIDControllerOptions;
  maxSteps?: number;
}

interface Outcome {
  calls: Call[];
  accepted: number[];
  result: "successful" | "dtMinReached" | "maxStepsReached";
}

/** The step attempts (and restarts) the rules in the header prescribe. */
function referenceSteps(s: Setting): Outcome {
  const o = s.controller ?? {};
  const P = o.pcoeff ?? 0;
  const I = o.icoeff ?? 1;
  const D = o.dcoeff ?? 0;
  const safety = o.safety ?? 0.9;
  const fmin = o.factormin ?? 0.2;
  const fmax = o.factormax ?? 10;
  const dtmin = o.dtmin ?? 0;
  const span = Math.abs(s.t1 - s.t0);
  const dtmax = Math.min(span, o.dtmax ?? Infinity);
  const dir = s.t1 >= s.t0 ? 1 : -1;
  const maxSteps = s.maxSteps ?? 100_000;
  // Landing points strictly ahead, sorted in the direction of integration.
  const ahead = (xs: ArrayLike<number> | undefined): number[] =>
    Array.from(xs ?? []).filter((x) => dir * (x - s.t0) > 0).sort((a, b) => dir * (a - b));
  const stepTs = ahead(o.stepTs);
  const jumps = ahead(o.jumpTs);
  const calls: Call[] = [{ t: s.t0, h: NaN }];
  const accepted: number[] = [];
  let t = s.t0;
  let dt = Math.abs(s.dt0);
  let eps1 = 1; // ε_{n−1}
  let eps2 = 1; // ε_{n−2}
  let afterReject = false;
  let attempt = 0;
  while (t !== s.t1) {
    if (attempt >= maxSteps) return { calls, accepted, result: "maxStepsReached" };
    dt = Math.min(dt, dtmax);
    const raised = dt <= dtmin;
    if (raised) dt = dtmin;
    // The nearest of t1, the next stepTs and the last double before the next jump.
    while (stepTs.length > 0 && dir * (stepTs[0]! - t) <= 0) stepTs.shift();
    const before = jumps.length > 0 ? prevDouble(jumps[0]!, dir) : undefined;
    const targets = [s.t1, stepTs[0], before].filter((x): x is number => x !== undefined && dir * (x - s.t1) <= 0);
    const stop = targets.reduce((a, b) => (dir * (b - a) < 0 ? b : a));
    const reach = Math.min(1.01 * dt, dtmax);
    const land = Math.abs(stop - t) <= reach;
    const tEnd = land ? stop : t + dir * dt;
    const h = tEnd - t;
    calls.push({ t, h });
    const err = s.errs[attempt++ % s.errs.length]!;
    if (err <= 1) {
      const eps = 1 / err;
      let factor = safety * eps ** ((P + I + D) / s.k) * eps1 ** (-(P + 2 * D) / s.k) * eps2 ** (D / s.k);
      factor = Math.min(fmax, Math.max(fmin, factor));
      if (afterReject) factor = Math.min(factor, 1);
      afterReject = false;
      eps2 = eps1;
      eps1 = Math.min(eps, 1e4); // the history floors err at 1e-4 (Hairer's facold = max(err, 1e-4))
      dt = Math.abs(h) * factor;
      t = tEnd;
      accepted.push(t);
      if (land && stop === before) {
        t = nextDouble(jumps.shift()!, dir);
        calls.push({ t, h: NaN });
        eps1 = eps2 = 1;
      }
    } else {
      const factor = Math.max(fmin, Math.min(1, safety * err ** (-1 / s.k)));
      if (raised || Math.abs(h) <= dtmin) {
        if (!o.forceDtmin) return { calls, accepted, result: "dtMinReached" };
        // Accepted at dtmin; the PID history and the rejection flag are left as they were.
        t = tEnd;
        accepted.push(t);
      } else {
        afterReject = true;
      }
      dt = Math.abs(h) * factor;
    }
  }
  return { calls, accepted, result: "successful" };
}

/** The double next to x towards −∞ (dir = 1) or +∞ (dir = −1): the last one before a jump. */
function prevDouble(x: number, dir: number): number {
  return nextDouble(x, -dir);
}

/** The adjacent double of x in direction dir (x finite, non-zero or zero). */
function nextDouble(x: number, dir: number): number {
  const b = new Float64Array([x]);
  const u = new BigInt64Array(b.buffer);
  if (x === 0) {
    u[0] = 1n;
    return dir > 0 ? b[0]! : -b[0]!;
  }
  u[0]! += (x > 0) === (dir > 0) ? 1n : -1n;
  return b[0]!;
}

// --- Driving the loop ------------------------------------------------------------------------------

function solve(s: Setting) {
  const solver = new ScriptedSolver(s.k, s.errs);
  const sol = diffeqsolve({
    terms: zero, solver, t0: s.t0, t1: s.t1, dt0: s.dt0, y0: [0], throw: false, maxSteps: s.maxSteps,
    saveat: new SaveAt({ steps: true }),
    stepsizeController: new PIDController({ rtol: 0, atol: 1, ...s.controller }),
  });
  return { sol, calls: solver.calls };
}

const close = (a: number, b: number, scale: number): boolean => a === b || Math.abs(a - b) <= 1e-12 * scale;
/** Scale of the rounding in a time t reached from t0 by steps (their sizes add up to |t − t0|). */
const timeScale = (t0: number, t: number): number => Math.abs(t0) + Math.abs(t - t0) + Math.abs(t);

/** The loop's attempts, accepted step ends and outcome equal the reference's (times to 1e-12). */
function check(label: string, s: Setting): Outcome {
  const ref = referenceSteps(s);
  const { sol, calls } = solve(s);
  const n = Math.min(calls.length, ref.calls.length);
  for (let i = 0; i < n; i++) {
    const [a, r] = [calls[i]!, ref.calls[i]!];
    const what = Number.isNaN(r.h) ? "restart" : "step";
    assert.ok(Number.isNaN(a.h) === Number.isNaN(r.h), `${label}: call ${i} is a ${Number.isNaN(a.h) ? "restart" : "step"}, expected a ${what}`);
    assert.ok(close(a.t, r.t, timeScale(s.t0, r.t)), `${label}: ${what} ${i} at t = ${a.t}, expected ${r.t}`);
    if (what === "step") assert.ok(close(a.h, r.h, Math.abs(r.h)), `${label}: step ${i} from t = ${r.t} has h = ${a.h}, expected ${r.h}`);
  }
  assert.equal(calls.length, ref.calls.length, `${label}: ${calls.length} calls, expected ${ref.calls.length}`);
  assert.equal(sol.result, RESULTS[ref.result], `${label}: result ${sol.message}`);
  assert.equal(sol.stats.numSteps, ref.calls.filter((c) => !Number.isNaN(c.h)).length, `${label}: numSteps`);
  assert.equal(sol.stats.numAcceptedSteps, ref.accepted.length, `${label}: numAcceptedSteps`);
  assert.equal(sol.stats.numSteps - sol.stats.numAcceptedSteps, sol.stats.numRejectedSteps, `${label}: numRejectedSteps`);
  assert.equal(sol.ts.length, ref.accepted.length, `${label}: saved steps`);
  ref.accepted.forEach((t, i) => assert.ok(close(sol.ts[i]!, t, timeScale(s.t0, t)), `${label}: accepted step ${i} ends at ${sol.ts[i]}, expected ${t}`));
  return ref;
}

/** A reproducible sequence of errors in [lo, hi) (a linear congruential generator). */
function errors(count: number, lo: number, hi: number, seed: number): number[] {
  let x = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.push(lo * (hi / lo) ** (x / 2 ** 32)); // log-uniform
  }
  return out;
}

/** Errors with every fifth attempt rejected (err in (1, 30)), the others accepted. */
function withRejections(seed: number): number[] {
  const acc = errors(40, 1e-4, 1, seed);
  const rej = errors(10, 1.5, 30, seed + 1);
  return acc.flatMap((e, i) => (i % 4 === 3 ? [e, rej[i >> 2]!] : [e]));
}

// --- Tests -------------------------------------------------------------------------------------------

test("I, PI and PID controllers: steps from fixed error sequences equal the Söderlind formula, for error orders 1.5 … 8", () => {
  const coefficients = [
    { name: "I", pcoeff: 0, icoeff: 1, dcoeff: 0 },
    { name: "PI (0.4, 0.3)", pcoeff: 0.4, icoeff: 0.3, dcoeff: 0 },
    { name: "PID (0.2, 0.4, 0.15)", pcoeff: 0.2, icoeff: 0.4, dcoeff: 0.15 },
    { name: "PID (−0.1, 0.6, 0.08)", pcoeff: -0.1, icoeff: 0.6, dcoeff: 0.08 },
  ];
  for (const k of [1.5, 2, 3, 5, 8]) {
    for (const c of coefficients) {
      const { name, ...coeffs } = c;
      const ref = check(`${name}, k = ${k}`, { k, t0: 0, t1: 1e200, dt0: 1e-3, errs: errors(30, 1e-3, 1, 11 * k), maxSteps: 60, controller: { ...coeffs, factormax: 1e6, factormin: 1e-6 } });
      assert.equal(ref.calls.length, 61, "the whole sequence is used (no step reaches t1)");
    }
  }
});

test("rejected steps: shrink by safety·err^(−1/k) within [factormin, 1], stay out of the PID history, and the next step may not grow", () => {
  for (const k of [2, 5]) {
    for (const coeffs of [{}, { pcoeff: 0.3, icoeff: 0.4 }, { pcoeff: 0.1, icoeff: 0.5, dcoeff: 0.1 }]) {
      const ref = check(`k = ${k} ${JSON.stringify(coeffs)}`, { k, t0: 0, t1: 1e6, dt0: 1e-2, errs: withRejections(k), maxSteps: 50, controller: coeffs });
      assert.ok(ref.accepted.length < 45, "the sequence has rejections");
    }
  }
  // After a rejection the error is tiny (1e-6): the formula alone would grow the step ×10, the rule holds it.
  const s: Setting = { k: 5, t0: 0, t1: 100, dt0: 0.1, errs: [0.5, 4, 1e-6, 1e-6, 0.5], maxSteps: 5 };
  const ref = check("no growth after a rejection", s);
  const hs = ref.calls.slice(1).map((c) => c.h);
  assert.ok(close(hs[2]!, hs[1]! * Math.max(0.2, 0.9 * 4 ** (-1 / 5)), hs[1]!), "the retry shrinks by safety·err^(−1/k)");
  assert.ok(close(hs[3]!, hs[2]!, hs[2]!), `the accepted retry does not grow the next step: ${hs[3]} vs ${hs[2]}`);
  assert.ok(close(hs[4]!, 10 * hs[3]!, hs[3]!), "the one after grows by factormax again");
  // A huge error: the retry is clipped to factormin.
  const big = check("factormin on rejection", { k: 3, t0: 0, t1: 100, dt0: 0.1, errs: [1e9, 0.5], maxSteps: 3, controller: { factormin: 0.3 } });
  assert.ok(close(big.calls[2]!.h, 0.03, 0.03), `retry ${big.calls[2]!.h}`);
});

test("factormax and factormin clip the accepted-step factor on both sides (err = 0 included)", () => {
  // err = 1e-12 with k = 5: the formula asks for ×226; err = 0 for ×∞. Both are clipped to factormax.
  for (const factormax of [1.5, 10, 50]) {
    const ref = check(`factormax ${factormax}`, { k: 5, t0: 0, t1: 1e9, dt0: 1e-3, errs: [1e-12, 0, 0.5], maxSteps: 9, controller: { factormax } });
    const hs = ref.calls.slice(1).map((c) => c.h);
    assert.ok(close(hs[1]!, factormax * hs[0]!, hs[1]!) && close(hs[2]!, factormax * hs[1]!, hs[2]!), `${factormax}: ${hs}`);
  }
  // err = 1: the formula gives safety = 0.9, under factormin = 0.95; a PI controller whose history
  // asks for a strong cut (ε_{n−1} = 1e6) is raised to factormin too.
  check("factormin, I", { k: 3, t0: 0, t1: 1e9, dt0: 1e-3, errs: [1, 1, 0.01], maxSteps: 6, controller: { factormin: 0.95 } });
  const ref = check("factormin, PI", { k: 3, t0: 0, t1: 1e9, dt0: 1e-3, errs: [1e-6, 0.9, 0.5], maxSteps: 6, controller: { pcoeff: 0.7, icoeff: 0.3, factormin: 0.5 } });
  const hs = ref.calls.slice(1).map((c) => c.h);
  assert.ok(close(hs[2]!, 0.5 * hs[1]!, hs[2]!), `the PI step after ε = 1e6 is cut to factormin: ${hs}`);
});

test("after an exact step (err = 0) a PI controller does not collapse the next step: the history floors err at 1e-4", () => {
  // Without the floor ε_{n−1} = ∞ gives ∞^β2 = 0 and the next step would be cut to factormin.
  const ref = check("PI after err = 0", { k: 5, t0: 0, t1: 1e9, dt0: 1e-3, errs: [0, 0.5, 0.5, 0.5], maxSteps: 6, controller: { pcoeff: 0.4, icoeff: 0.3 } });
  const hs = ref.calls.slice(1).map((c) => c.h);
  // With the floor: 0.9 · 2^(0.7/5) · (10⁴)^(−0.4/5) ≈ 0.475, well above factormin = 0.2.
  assert.ok(hs[2]! > 0.4 * hs[1]!, `the step after the exact one was not cut to factormin: ${hs}`);
});

test("dtmax caps every step (also the 1% stretch onto t1); dtmin raises small steps, and a rejection there fails or is forced", () => {
  check("dtmax", { k: 5, t0: 0, t1: 3, dt0: 0.01, errs: errors(20, 1e-8, 1, 5), controller: { dtmax: 0.25 } });
  // Constant factor 1 (err = safety^k): steps of exactly dt = 0.3 = dtmax; t1 = 0.302 is within 1% of
  // one step but stretching would exceed dtmax: a step of 0.3, then one of 0.002.
  const ref = check("dtmax vs stretch", { k: 5, t0: 0, t1: 0.302, dt0: 0.3, errs: [0.9 ** 5], controller: { dtmax: 0.3 } });
  assert.equal(ref.accepted.length, 2);
  // dtmin: errors that shrink steps below dtmin; retried at dtmin, and a rejection at dtmin fails.
  const shrink = [0.5, 1e3, 1e3, 1e3, 1e3, 0.5];
  const failed = check("dtmin", { k: 2, t0: 0, t1: 10, dt0: 0.5, errs: shrink, controller: { dtmin: 0.01 } });
  assert.equal(failed.result, "dtMinReached");
  const forced = check("forceDtmin", { k: 2, t0: 0, t1: 1, dt0: 0.5, errs: shrink, controller: { dtmin: 0.01, forceDtmin: true } });
  assert.equal(forced.result, "successful");
});

test("the 1% stretch: a step ending within 1.01·dt of t1 or of a stepTs time lands on it; 1.02·dt does not", () => {
  // err = safety^k makes every factor exactly 1 (up to exp/log rounding): steps of dt = 0.1.
  const flat = [0.9 ** 5];
  for (const [t1, steps] of [[1.0005, 10], [1.0009, 10], [1.0011, 11], [1.002, 11], [1.0049, 11]] as const) {
    const ref = check(`t1 = ${t1}`, { k: 5, t0: 0, t1, dt0: 0.1, errs: flat });
    assert.equal(ref.accepted.length, steps, `t1 = ${t1}: ${ref.accepted.length} steps`);
  }
  // stepTs at 0.5005, within 1% of the step from 0.4: one stretched step of 0.1005 lands on it (and
  // sets dt = 0.1005). 0.704 lies 1.025 such steps beyond 0.601: a full step to 0.7015, then a sliver.
  const ref = check("stepTs", { k: 5, t0: 0, t1: 1, dt0: 0.1, errs: flat, controller: { stepTs: [0.704, 0.5005] } });
  assert.ok(ref.accepted.includes(0.5005) && ref.accepted.includes(0.704));
  const i = ref.accepted.indexOf(0.5005);
  assert.ok(close(ref.accepted[i - 1]!, 0.4, 1), "0.5005 is reached from 0.4 by one stretched step");
  const j = ref.accepted.indexOf(0.704);
  assert.ok(close(ref.accepted[j - 1]!, 0.7015, 1), `0.704 is reached by a sliver after a full step, from ${ref.accepted[j - 1]}`);
});

test("backward integration (t1 < t0): the same rules, mirrored (stepTs, jumps, stretch, rejections)", () => {
  check("backward I", { k: 5, t0: 2, t1: -1, dt0: -0.01, errs: withRejections(3) });
  check("backward PID", { k: 3, t0: 2, t1: -1, dt0: -0.01, errs: withRejections(4), controller: { pcoeff: 0.2, icoeff: 0.4, dcoeff: 0.1, stepTs: [1.5, 0.3], jumpTs: [0.9], dtmax: 0.2 } });
  const ref = check("backward stretch", { k: 5, t0: 1, t1: -0.0005, dt0: -0.1, errs: [0.9 ** 5] });
  assert.equal(ref.accepted.length, 10);
});

test("jumpTs: the step stops at the last double before the jump, the solver restarts just after it with a fresh PID history", () => {
  const errs = withRejections(9);
  const ref = check("jumps, PID", { k: 4, t0: 0, t1: 3, dt0: 0.01, errs, controller: { pcoeff: 0.2, icoeff: 0.5, dcoeff: 0.1, jumpTs: [2.2, 0.7], stepTs: [1.3] } });
  const restarts = ref.calls.filter((c) => Number.isNaN(c.h)).map((c) => c.t);
  assert.deepEqual(restarts, [0, nextDouble(0.7, 1), nextDouble(2.2, 1)]);
  assert.ok(ref.accepted.includes(prevDouble(0.7, 1)) && ref.accepted.includes(prevDouble(2.2, 1)) && ref.accepted.includes(1.3));
});
