import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolve } from "../../src/integrate.js";
import { MultiTerm, ODETerm } from "../../src/terms.js";
import { ConstantStepSize } from "../../src/controllers/constant.js";
import { PIDController } from "../../src/controllers/pid.js";
import { SaveAt } from "../../src/saveat.js";
import { KenCarp3, KenCarp4, KenCarp5, KENCARP3_TABLEAU, KENCARP4_TABLEAU, KENCARP5_TABLEAU } from "../../src/solvers/implicit/kencarp.js";
import { errorOverTolerance, refProblem, slope } from "./problems.js";

const methods = [
  { make: () => new KenCarp3(), order: 3 },
  { make: () => new KenCarp4(), order: 4 },
  { make: () => new KenCarp5(), order: 5 },
];

// y1' = cos t + λ(y1 − sin t) (forcing explicit, relaxation implicit), y2' = (0.5 y1 − y2) + (−2 y2):
// exact y1 = sin t, y2 = 1.05 e^{−3t} + 0.05 (3 sin t − cos t) for y(0) = (0, 1).
const lambda = -2;
const fE = (t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => { dy[0] = Math.cos(t); dy[1] = -y[1]! + 0.5 * y[0]!; };
const fI = (t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => { dy[0] = lambda * (y[0]! - Math.sin(t)); dy[1] = -2 * y[1]!; };
const exact = (t: number): number[] => [Math.sin(t), 1.05 * Math.exp(-3 * t) + 0.05 * (3 * Math.sin(t) - Math.cos(t))];

test("KenCarp3/4/5 converge with order 3/4/5 (solution) and 3/4/4 (Hermite dense output) on an IMEX-split linear problem", () => {
  const dts = [0.1, 0.05, 0.025, 0.0125];
  for (const m of methods) {
    const end: number[] = [];
    const mid: number[] = [];
    for (const dt of dts) {
      const sol = diffeqsolve({
        terms: new MultiTerm(new ODETerm(fE), new ODETerm(fI)), solver: m.make(), t0: 0, t1: 2, dt0: dt, y0: exact(0),
        stepsizeController: new ConstantStepSize(), saveat: new SaveAt({ t1: true, dense: true }),
      });
      end.push(Math.max(...exact(2).map((v, i) => Math.abs(v - sol.ys[0]![i]!))));
      let e = 0;
      for (let k = 0; (k + 0.5) * dt < 2; k++) {
        const y = sol.evaluate((k + 0.5) * dt) as Float64Array;
        exact((k + 0.5) * dt).forEach((v, i) => (e = Math.max(e, Math.abs(v - y[i]!))));
      }
      mid.push(e);
    }
    const s = slope(dts, end);
    const sm = slope(dts, mid);
    assert.ok(Math.abs(s - m.order) <= 0.25, `${m.make().name}: slope ${s}`);
    assert.ok(Math.abs(sm - Math.min(m.order, 4)) <= 0.25, `${m.make().name}: dense slope ${sm}`);
  }
});

test("KenCarp tables: shared weights sum to 1, embedded weights too, explicit rows sum to c, implicit part stiffly accurate", () => {
  for (const tab of [KENCARP3_TABLEAU, KENCARP4_TABLEAU, KENCARP5_TABLEAU]) {
    const s = tab.stages;
    const sum = (v: ArrayLike<number>): number => Array.from(v).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum(tab.b) - 1) < 1e-14 && Math.abs(sum(tab.bHat) - 1) < 1e-14, tab.name);
    for (let i = 0; i < s; i++) {
      let re = 0;
      for (let j = 0; j < s; j++) re += tab.aE[i * s + j]!;
      assert.ok(Math.abs(re - tab.c[i]!) < 1e-12, `${tab.name} explicit row ${i}`);
      assert.ok(Math.abs(tab.aI[(s - 1) * s + i]! - tab.b[i]!) < 1e-15, `${tab.name} stiffly accurate`);
    }
    // Second-order conditions of the coupled pair: Σ b c = 1/2 (c shared by both tables).
    let bc = 0;
    for (let j = 0; j < s; j++) bc += tab.b[j]! * tab.c[j]!;
    assert.ok(Math.abs(bc - 0.5) < 1e-12, `${tab.name} Σbc`);
  }
});

test("KenCarp on ROBER (all of it implicit: explicit part 0) at rtol 1e-6, 1e-8, 1e-10 matches the published values", () => {
  const rober = refProblem("ROBER");
  const zero = (_t: number, _y: Float64Array, _a: unknown, dy: Float64Array): void => { dy[0] = 0; dy[1] = 0; dy[2] = 0; };
  const ts = rober.reference.map((r) => r.t);
  for (const m of methods) {
    for (const rtol of [1e-6, 1e-8, 1e-10]) {
      const atol = 1e-6 * rtol;
      const sol = diffeqsolve({
        terms: new MultiTerm(new ODETerm(zero), new ODETerm(rober.f)), solver: m.make(), t0: 0, t1: 1e11, y0: rober.y0,
        saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol, stepTs: ts }), maxSteps: 100_000,
      });
      const e = errorOverTolerance(sol.ys, rober.reference, rtol, atol);
      assert.ok(e <= 100, `${m.make().name} rtol ${rtol}: ${e}`);
    }
  }
});

test("KenCarp on VDPOL split as y1' = y2 (explicit), y2' = ((1 − y1²) y2 − y1)/ε (implicit) at rtol 1e-6", () => {
  // IMEX on VDPOL: the stiff equation sees y1 only through the explicit coupling, so its global
  // error is larger than a fully implicit method's (up to ~330× the tolerance for KenCarp5).
  const vdpol = refProblem("VDPOL");
  const ts = vdpol.reference.map((r) => r.t);
  const vE = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => { dy[0] = y[1]!; dy[1] = 0; };
  const vI = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => { dy[0] = 0; dy[1] = ((1 - y[0]! * y[0]!) * y[1]! - y[0]!) / 1e-6; };
  for (const m of methods) {
    const rtol = 1e-6;
    const sol = diffeqsolve({
      terms: new MultiTerm(new ODETerm(vE), new ODETerm(vI)), solver: m.make(), t0: 0, t1: 11, y0: vdpol.y0,
      saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol: rtol, stepTs: ts }),
    });
    const e = errorOverTolerance(sol.ys, vdpol.reference, rtol, rtol);
    assert.ok(e <= 1000, `${m.make().name}: ${e}`);
  }
});

test("KenCarp needs MultiTerm(explicit ODETerm, implicit ODETerm) and says so; mass matrices are refused", () => {
  assert.throws(
    () => diffeqsolve({ terms: new ODETerm(fI), solver: new KenCarp4(), t0: 0, t1: 1, y0: [0, 1] }),
    /KenCarp4 is an IMEX method and needs `terms` = new MultiTerm\(new ODETerm\(explicitPart\), new ODETerm\(implicitPart\)\)/,
  );
  assert.throws(() => new KenCarp3({ massMatrix: [[1]] }), /`massMatrix` is not supported by IMEX methods/);
});
