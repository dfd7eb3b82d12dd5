// Step-size controllers: ConstantStepSize, StepTo and every PIDController option, plus the
// automatic initial step.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  Bosh3, ConstantStepSize, diffeqsolve, Dopri5, Euler, ODETerm, PIDController, RESULTS, SaveAt, StepTo,
} from "../src/index.js";
import type { DiffeqsolveOptions } from "../src/index.js";
import { fuzzParams } from "./fuzz-params.js";

// y'' = -y: y = (cos t, -sin t) from (1, 0).
const osc = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = y[1]!;
  dy[1] = -y[0]!;
});
/** Step end times (SaveAt steps) and step sizes of a solve. */
function stepsOf(opts: Partial<DiffeqsolveOptions>) {
  const sol = diffeqsolve({ terms: osc, solver: new Dopri5(), t0: 0, t1: 10, y0: [1, 0], saveat: new SaveAt({ steps: true }), ...opts });
  const hs: number[] = [];
  let prev = sol.t0;
  for (const t of sol.ts) {
    hs.push(t - prev);
    prev = t;
  }
  return { sol, ts: Array.from(sol.ts), hs };
}
const ulp = (x: number): number => Number.EPSILON * Math.max(1, Math.abs(x));

test("ConstantStepSize: N = ⌈|t1 − t0|/|dt0|⌉ steps, t_k = t0 + k(t1 − t0)/N, landing exactly on t1", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -100, max: 100, noNaN: true }),
      fc.double({ min: 1e-3, max: 10, noNaN: true }),
      fc.integer({ min: 1, max: 300 }),
      fc.boolean(),
      (t0, span, m, backward) => {
        const t1 = backward ? t0 - span : t0 + span;
        if (t1 === t0) return;
        const dt0 = ((t1 - t0) / m) * 1.37; // not a divisor of the interval: N is rounded up
        const N = Math.ceil(Math.abs(t1 - t0) / Math.abs(dt0));
        const { sol, ts } = stepsOf({ solver: new Euler(), t0, t1, dt0, stepsizeController: new ConstantStepSize(), maxSteps: 10_000 });
        assert.equal(sol.stats.numSteps, N);
        assert.equal(ts[N - 1], t1, "the last step lands exactly on t1");
        for (let k = 1; k < N; k++) {
          const expected = t0 + (k * (t1 - t0)) / N;
          assert.ok(Math.abs(ts[k - 1]! - expected) <= 2 * ulp(Math.max(Math.abs(t0), Math.abs(t1))), `t_${k} = ${ts[k - 1]} vs ${expected}`);
        }
      },
    ),
    fuzzParams(7, 100),
  );
  // dt0 that divides the interval: exactly N = 10 steps of 0.1, not 11 by rounding.
  const { sol } = stepsOf({ solver: new Euler(), t0: 0, t1: 1, dt0: 0.1, stepsizeController: new ConstantStepSize() });
  assert.equal(sol.stats.numSteps, 10);
});

test("StepTo: steps land exactly on the given times, in either direction", () => {
  const grid = [0, 0.1, 0.35, 1, 2.5, 4, 7, 10];
  const { sol, ts } = stepsOf({ stepsizeController: new StepTo({ ts: grid }) });
  assert.deepEqual(ts, grid.slice(1));
  assert.equal(sol.stats.numSteps, grid.length - 1);
  assert.equal(sol.stats.numRejectedSteps, 0);
  const back = [10, 9, 5, 0];
  const r = stepsOf({ t0: 10, t1: 0, y0: [Math.cos(10), -Math.sin(10)], stepsizeController: new StepTo({ ts: back }) });
  assert.deepEqual(r.ts, back.slice(1));
});

test("PIDController atol per component: each component is held to its own tolerance", () => {
  // Two decoupled decays of very different size and speed: y = (e^{-t}, 1e-8·e^{-10t}).
  const two = new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = -y[0]!;
    dy[1] = -10 * y[1]!;
  });
  const run = (atol: number | number[]) =>
    diffeqsolve({ terms: two, solver: new Dopri5(), t0: 0, t1: 1, y0: [1, 1e-8], stepsizeController: new PIDController({ rtol: 1e-14, atol }) });
  const exact1 = 1e-8 * Math.exp(-10);
  const loose = run([1e-6, 1e-6]);
  const scalar = run(1e-6);
  assert.deepEqual(scalar.stats, loose.stats, "a per-component atol with equal entries is the scalar one");
  const tight = run([1e-6, 1e-17]);
  const errLoose = Math.abs(loose.ys[0]![1]! - exact1);
  const errTight = Math.abs(tight.ys[0]![1]! - exact1);
  assert.ok(tight.stats.numSteps > loose.stats.numSteps, "a tight atol on the small component costs steps");
  // Global error within C = 100 tolerance units of its own atol (1e-17), far below the loose run's.
  assert.ok(errTight <= 100 * 1e-17, `small component error ${errTight}`);
  assert.ok(errTight < errLoose / 10, `${errTight} vs ${errLoose}`);
  // The large component is still held to its (loose) atol.
  assert.ok(Math.abs(tight.ys[0]![0]! - Math.exp(-1)) <= 100 * 1e-6);
});

test("PIDController norm: 'max' is stricter than 'rms'; a function norm gets the scaled error vector", () => {
  const rms = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }) });
  const max = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9, norm: "max" }) });
  assert.ok(max.sol.stats.numSteps > rms.sol.stats.numSteps, `max ${max.sol.stats.numSteps} vs rms ${rms.sol.stats.numSteps}`);
  let calls = 0;
  const handRms = stepsOf({
    stepsizeController: new PIDController({
      rtol: 1e-6, atol: 1e-9,
      norm: (e) => {
        calls++;
        assert.equal(e.length, 2);
        return Math.sqrt((e[0]! * e[0]! + e[1]! * e[1]!) / 2);
      },
    }),
  });
  assert.deepEqual(handRms.ts, rms.ts, "a hand-written RMS norm takes the same steps as 'rms'");
  assert.equal(calls, rms.sol.stats.numSteps);
  const handMax = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9, norm: (e) => Math.max(Math.abs(e[0]!), Math.abs(e[1]!)) }) });
  assert.deepEqual(handMax.ts, max.ts, "a hand-written max norm takes the same steps as 'max'");
});

// dy = 1 for t < 1 and -1 after: y(t) = t, then 2 − t. The kink at t = 1 is a discontinuity of f.
const kink = new ODETerm((t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
  dy[0] = t < 1 ? 1 : -1;
});

test("PIDController dtmin: dtMinReached at the kink, or forced through with forceDtmin", () => {
  const base = { terms: kink, solver: new Dopri5(), t0: 0, t1: 2, y0: [0], throw: false } as const;
  const stuck = diffeqsolve({ ...base, stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-10, dtmin: 1e-3 }) });
  assert.equal(stuck.result, RESULTS.dtMinReached);
  assert.ok(Math.abs(stuck.tFinal - 1) < 2e-3, `stopped at the kink: ${stuck.tFinal}`);
  assert.match(stuck.message, /jumpTs/);
  const forced = diffeqsolve({ ...base, saveat: new SaveAt({ steps: true }), stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-10, dtmin: 1e-3, forceDtmin: true }) });
  assert.equal(forced.result, RESULTS.successful);
  // A step of size dtmin across the kink commits an error of at most dtmin.
  assert.ok(Math.abs(forced.ys[forced.ys.length - 1]![0]!) <= 1e-3, `y(2) = ${forced.ys[forced.ys.length - 1]![0]}`);
  let prev = 0;
  for (const t of forced.ts) {
    if (t !== 2) assert.ok(t - prev >= 1e-3 * (1 - 1e-9), `a step of ${t - prev} < dtmin`);
    prev = t;
  }
});

test("PIDController dtmax: no step is longer, not even the last one stretched onto t1", () => {
  for (const dtmax of [0.3, 0.7]) {
    const { hs } = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-3, dtmax }) });
    for (const h of hs) assert.ok(h <= dtmax * (1 + 1e-12), `step ${h} > dtmax ${dtmax}`);
    assert.ok(Math.max(...hs) > 0.9 * dtmax, "dtmax is the binding limit here");
  }
  // t1 = 0.302 is within 1% of a dtmax step: the solver must not stretch a 0.3 step to 0.302.
  const { hs } = stepsOf({ t1: 0.302, dt0: 0.3, stepsizeController: new PIDController({ rtol: 1e-3, dtmax: 0.3 }) });
  for (const h of hs) assert.ok(h <= 0.3 * (1 + 1e-12), `step ${h} > dtmax 0.3`);
});

test("PIDController factormax and factormin bound the ratio of successive steps", () => {
  for (const factormax of [1.2, 2, 5]) {
    const { hs } = stepsOf({ dt0: 1e-6, stepsizeController: new PIDController({ rtol: 1e-3, factormax }) });
    // Every step but the last (which may be cut short, or stretched by ≤ 1% onto t1).
    for (let i = 1; i < hs.length - 1; i++) assert.ok(hs[i]! / hs[i - 1]! <= factormax * (1 + 1e-9), `ratio ${hs[i]! / hs[i - 1]!} > ${factormax}`);
    const growth = Math.max(...hs.slice(1, -1).map((h, i) => h / hs[i]!));
    assert.ok(growth > 0.99 * factormax, `factormax ${factormax} is the binding limit from a tiny dt0 (largest ratio ${growth})`);
  }
  // factormin: after a rejection the retry is at least factormin times the rejected step. With
  // dt0 = 10 the first try is far too large, so the first accepted step is ≥ factormin^k · 10.
  const r = stepsOf({ dt0: 10, stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10, factormin: 0.5 }) });
  const k = r.sol.stats.numRejectedSteps;
  assert.ok(k >= 1);
  assert.ok(r.hs[0]! >= 10 * 0.5 ** k * (1 - 1e-12), `first step ${r.hs[0]} after ${k} rejections`);
});

test("PIDController stepTs: steps land exactly on each, without changing the solution beyond tolerance", () => {
  const stepTs = [0.1, Math.PI, 5, 7.77777, 10];
  const { ts, sol } = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10, stepTs }) });
  for (const s of stepTs) assert.ok(ts.includes(s), `a step ends on ${s}`);
  const i = ts.indexOf(Math.PI);
  assert.ok(Math.abs(sol.ys[i]![0]! + 1) < 1e-7);
  // Backward, with stepTs outside the interval ignored.
  const back = stepsOf({ t0: 10, t1: 0, y0: [Math.cos(10), -Math.sin(10)], stepsizeController: new PIDController({ rtol: 1e-6, stepTs: [-3, 9.5, 2, 12] }) });
  assert.ok(back.ts.includes(9.5) && back.ts.includes(2));
  for (let j = 1; j < back.ts.length; j++) assert.ok(back.ts[j]! < back.ts[j - 1]!);
});

test("PIDController jumpTs: a discontinuity in t costs no rejected steps and the answer is exact", () => {
  for (const rtol of [1e-4, 1e-8, 1e-10]) {
    const base = { terms: kink, solver: new Dopri5(), t0: 0, t1: 2, y0: [0] } as const;
    const without = diffeqsolve({ ...base, stepsizeController: new PIDController({ rtol, atol: rtol }) });
    const withJ = diffeqsolve({ ...base, saveat: new SaveAt({ steps: true }), stepsizeController: new PIDController({ rtol, atol: rtol, jumpTs: [1] }) });
    assert.ok(without.stats.numRejectedSteps >= 10, `without jumpTs the kink costs rejections (${without.stats.numRejectedSteps})`);
    assert.ok(withJ.stats.numRejectedSteps <= without.stats.numRejectedSteps / 5, `rejected with jumpTs: ${withJ.stats.numRejectedSteps}`);
    assert.ok(withJ.stats.numSteps < without.stats.numSteps / 2);
    // The exact answer y(2) = 0: each piece is linear, which RK integrates exactly.
    assert.ok(Math.abs(withJ.ys[withJ.ys.length - 1]![0]!) <= 1e-14, `y(2) = ${withJ.ys[withJ.ys.length - 1]![0]}`);
    assert.ok(Math.abs(without.ys[0]![0]!) > Math.abs(withJ.ys[withJ.ys.length - 1]![0]!));
    // A step ends just before the jump and the next starts just after (no stage straddles it).
    const before = Array.from(withJ.ts).filter((t) => t < 1);
    assert.ok(1 - before[before.length - 1]! <= 2 * Number.EPSILON, `last step before the jump ends at ${before[before.length - 1]}`);
  }
  // Backward through the jump.
  const back = diffeqsolve({ terms: kink, solver: new Dopri5(), t0: 2, t1: 0, y0: [0], stepsizeController: new PIDController({ rtol: 1e-8, jumpTs: [1] }) });
  assert.ok(Math.abs(back.ys[0]![0]!) <= 1e-14);
  assert.ok(back.stats.numRejectedSteps <= 2);
});

/** Dopri5 that records the size of the first step it is asked to take (accepted or not). */
class FirstStepSpy extends Dopri5 {
  first = NaN;
  override step(...a: Parameters<Dopri5["step"]>): number {
    if (Number.isNaN(this.first)) this.first = Math.abs(a[1][1]!); // times = [t, dt]
    return super.step(...a);
  }
}

test("the automatic initial step is within a factor 100 of the tolerance-optimal step", () => {
  // The tolerance-optimal first step h* is the largest dt0 whose first step the controller
  // accepts (found by bisection); Hairer's estimate (Solving ODEs I, II.4) should land within 100×.
  const cases: [string, ODETerm, number[], number, number[]][] = [
    ["oscillator", osc, [Math.cos(1), -Math.sin(1)], 10, [1e-3, 1e-6, 1e-9]],
    ["decay", new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = -50 * y[0]!; }), [1], 0.1, [1e-3, 1e-6, 1e-9]],
    // At rtol 1e-3 Dopri5 could take a third of the interval in one step; the estimate is capped
    // at 100× its explicit-Euler guess, so only the tighter tolerances are held to 100× here.
    ["growth", new ODETerm((_t: number, y: Float64Array, _a: unknown, dy: Float64Array) => { dy[0] = 0.1 * y[0]!; }), [1e4], 50, [1e-6, 1e-9]],
  ];
  for (const [name, terms, y0, t1, rtols] of cases) {
    for (const rtol of rtols) {
      const ctl = () => new PIDController({ rtol, atol: rtol * 1e-3 });
      const firstAccepted = (dt0: number) =>
        diffeqsolve({ terms, solver: new Dopri5(), t0: 0, t1, y0, dt0, stepsizeController: ctl(), maxSteps: 1, throw: false }).stats.numAcceptedSteps === 1;
      let lo = 1e-12;
      let hi = t1;
      for (let i = 0; i < 50; i++) {
        const mid = Math.sqrt(lo * hi);
        if (firstAccepted(mid)) lo = mid;
        else hi = mid;
      }
      const spy = new FirstStepSpy();
      diffeqsolve({ terms, solver: spy, t0: 0, t1, y0, stepsizeController: ctl(), maxSteps: 1, throw: false });
      const ratio = spy.first / lo;
      assert.ok(ratio >= 1 / 100 && ratio <= 100, `${name} rtol ${rtol}: first step ${spy.first} vs tolerance-optimal ${lo}`);
    }
  }
  // Known limit of the algorithm, kept as a regression guard: a component that starts at 0 with
  // atol ≪ rtol (the oscillator from rest, y0 = (1, 0)) makes the Euler guess h0 tiny and the first
  // step is capped at 100·h0, here ~10⁻³ of h*. It costs a few extra steps, never accuracy.
  const spy = new FirstStepSpy();
  diffeqsolve({ terms: osc, solver: spy, t0: 0, t1: 10, y0: [1, 0], stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }), maxSteps: 1, throw: false });
  assert.ok(spy.first > 1e-6 && spy.first < 0.2, `oscillator from rest: first step ${spy.first}`);
});

test("PID coefficients: PI and PID controllers solve to tolerance and reject fewer steps than the I controller", () => {
  const pi = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10, pcoeff: 0.4, icoeff: 0.3 }) });
  const pid = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10, pcoeff: 0.3, icoeff: 0.3, dcoeff: 0.1 }) });
  const i = stepsOf({ stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) });
  for (const r of [pi, pid, i]) {
    const y = r.sol.ys[r.sol.ys.length - 1]!;
    assert.ok(Math.abs(y[0]! - Math.cos(10)) < 100 * 1e-8);
  }
  // Söderlind's point: the smoother PI/PID filters avoid the I controller's accept/reject cycling.
  assert.ok(pi.sol.stats.numRejectedSteps < i.sol.stats.numRejectedSteps, `PI ${pi.sol.stats.numRejectedSteps} vs I ${i.sol.stats.numRejectedSteps}`);
  assert.ok(pid.sol.stats.numRejectedSteps < i.sol.stats.numRejectedSteps);
  assert.notDeepEqual(pi.ts, i.ts, "the coefficients change the step sequence");
  assert.notDeepEqual(pid.ts, pi.ts);
});

test("property: stepTs in any order (duplicates, outside the interval) are all landed on; jumps are never straddled", () => {
  // dy = sign(sin(πt)) · y-independent: piecewise ±1 with jumps at the integers, y(t) = ∫ sign(sin πs) ds.
  const saw = new ODETerm((t: number, _y: Float64Array, _a: unknown, dy: Float64Array) => {
    dy[0] = Math.floor(t) % 2 === 0 ? 1 : -1;
  });
  const exact = (t: number) => {
    const k = Math.floor(t);
    const frac = t - k;
    return k % 2 === 0 ? frac : 1 - frac;
  };
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1, max: 7, noNaN: true }), { maxLength: 12 }),
      fc.boolean(),
      fc.double({ min: -10, max: -4, noNaN: true }),
      (stepTs, backward, logRtol) => {
        const [t0, t1] = backward ? [5.5, 0.25] : [0.25, 5.5];
        const dir = Math.sign(t1 - t0);
        const rtol = 10 ** logRtol;
        const sol = diffeqsolve({
          terms: saw, solver: new Dopri5(), t0, t1, y0: [exact(t0)], saveat: new SaveAt({ steps: true }), maxSteps: 100_000,
          stepsizeController: new PIDController({ rtol, atol: rtol, stepTs, jumpTs: [3, 1, 5, 2, 4] }),
        });
        const ends = Array.from(sol.ts);
        for (const s of stepTs) {
          if (dir * (s - t0) > 0 && dir * (s - t1) <= 0 && !Number.isInteger(s)) assert.ok(ends.includes(s), `no step ends on stepTs ${s}`);
        }
        let prev = t0;
        for (const e of ends) {
          assert.ok(dir * (e - prev) > 0 && dir * (e - t1) <= 0);
          prev = e;
        }
        // Each piece is linear, which RK integrates exactly: only the jumps could spoil it.
        assert.ok(Math.abs(sol.ys[sol.ys.length - 1]![0]! - exact(t1)) < 1e-12, `y(t1) = ${sol.ys[sol.ys.length - 1]![0]}, exact ${exact(t1)}`);
        assert.ok(sol.stats.numRejectedSteps <= 2, `${sol.stats.numRejectedSteps} rejections: a jump was straddled`);
      },
    ),
    fuzzParams(99, 60),
  );
});
