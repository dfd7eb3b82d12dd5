import { test } from "node:test";
import assert from "node:assert/strict";
import { diffeqsolve } from "../../src/integrate.js";
import { ODETerm } from "../../src/terms.js";
import { PIDController } from "../../src/controllers/pid.js";
import { ConstantStepSize } from "../../src/controllers/constant.js";
import { SaveAt } from "../../src/saveat.js";
import { Tsit5 } from "../../src/solvers/methods/tsit5.js";
import { Dopri5 } from "../../src/solvers/methods/dopri5.js";
import { Vern7 } from "../../src/solvers/methods/vern7.js";
import { Rodas5P } from "../../src/solvers/implicit/rosenbrock.js";
import { BDF } from "../../src/solvers/implicit/bdf.js";
import { AutoSwitch } from "../../src/solvers/implicit/autoswitch.js";
import { errorOverTolerance, linear, protheroRobinson, refProblem, slope } from "./problems.js";

test("AutoSwitch(Tsit5, Rodas5P) on VDPOL matches the reference with far fewer f-evaluations than Tsit5 alone, switching both ways", () => {
  const vdpol = refProblem("VDPOL");
  const ref = vdpol.reference.filter((r) => r.t <= 2);
  const ts = ref.map((r) => r.t);
  const rtol = 1e-6;
  const opts = { terms: new ODETerm(vdpol.f), t0: 0, t1: 2, y0: vdpol.y0, saveat: new SaveAt({ ts }), stepsizeController: new PIDController({ rtol, atol: rtol }), maxSteps: 5_000_000 };
  const auto = diffeqsolve({ ...opts, solver: new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() }) });
  assert.ok(errorOverTolerance(auto.ys, ref, rtol, rtol) <= 100);
  // VDPOL alternates slow (stiff) and fast (non-stiff) phases: at least one switch each way.
  assert.ok(auto.stats.numSwitches! >= 2, JSON.stringify(auto.stats));
  assert.ok(auto.stats.numStiffSteps! < auto.stats.numAcceptedSteps, "some steps are explicit");
  const tsit5 = diffeqsolve({ ...opts, solver: new Tsit5() });
  assert.ok(auto.stats.numFnEvals * 100 < tsit5.stats.numFnEvals, `AutoSwitch ${auto.stats.numFnEvals} vs Tsit5 ${tsit5.stats.numFnEvals}`);
});

test("AutoSwitch stays explicit on a non-stiff problem (no Jacobians) and dense output works across the switch", () => {
  const sol = diffeqsolve({
    terms: new ODETerm(linear.f), solver: new AutoSwitch({ nonstiff: new Dopri5(), stiff: new Rodas5P() }), t0: 0, t1: 2, y0: linear.y0,
    saveat: new SaveAt({ dense: true, t1: true }), stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }),
  });
  assert.equal(sol.stats.numSwitches, 0);
  assert.equal(sol.stats.numJacobianEvals, 0);
  const y = sol.evaluate(1.234) as Float64Array;
  linear.exact(1.234).forEach((v, i) => assert.ok(Math.abs(v - y[i]!) < 1e-7));
  // On VDPOL the dense output of both kinds of step matches the reference at t = 1 and 2 too.
  const vdpol = refProblem("VDPOL");
  const s2 = diffeqsolve({
    terms: new ODETerm(vdpol.f), solver: new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() }), t0: 0, t1: 2.5, y0: vdpol.y0,
    saveat: new SaveAt({ dense: true }), stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }),
  });
  const ref = vdpol.reference.filter((r) => r.t <= 2);
  assert.ok(errorOverTolerance(ref.map((r) => s2.evaluate(r.t) as Float64Array), ref, 1e-8, 1e-8) <= 100);
});

test("AutoSwitch refuses pairs it cannot drive, naming the argument and the fix", () => {
  assert.throws(() => new AutoSwitch({ nonstiff: new Rodas5P() as never, stiff: new Rodas5P() }), /`nonstiff` must be an explicit Runge–Kutta method such as new Tsit5\(\)/);
  assert.throws(() => new AutoSwitch({ nonstiff: new Vern7(), stiff: new Rodas5P() }), /Vern7 cannot estimate stiffness for free; use .* Tsit5 or Dopri5/);
  assert.throws(() => new AutoSwitch({ nonstiff: new Tsit5(), stiff: new BDF() }), /BDF chooses its own steps .* Rodas5P/);
  assert.throws(() => new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P(), maxStiffSteps: 0 }), /`maxStiffSteps` must be a whole number ≥ 1; got number 0/);
});

test("AutoSwitch converges with the order of the method in use: 5 on a non-stiff problem (Dopri5), 5 on stiff Prothero–Robinson once switched (Rodas5P, order 3 in the stiff limit)", () => {
  const dts = [0.1, 0.05, 0.025, 0.0125];
  const errs = (p: typeof linear, maxStiffSteps: number): { err: number[]; switches: number } => {
    let switches = 0;
    const err = dts.map((dt) => {
      const sol = diffeqsolve({
        terms: new ODETerm(p.f), solver: new AutoSwitch({ nonstiff: new Dopri5(), stiff: new Rodas5P(), maxStiffSteps }), t0: 0, t1: 2, dt0: dt, y0: p.y0,
        stepsizeController: new ConstantStepSize(), maxSteps: 100_000,
      });
      switches = Math.max(switches, sol.stats.numSwitches!);
      return Math.max(...p.exact(2).map((v, i) => Math.abs(v - sol.ys[0]![i]!)));
    });
    return { err, switches };
  };
  const nonstiff = errs(linear, 10);
  assert.equal(nonstiff.switches, 0);
  assert.ok(Math.abs(slope(dts, nonstiff.err) - 5) <= 0.25, `non-stiff slope ${slope(dts, nonstiff.err)}`);
  // λ = −1e4 with these steps is far outside Dopri5's stability region: one step and it switches.
  const stiff = errs(protheroRobinson(-1e4), 1);
  assert.ok(stiff.switches >= 1);
  const s = slope(dts, stiff.err);
  assert.ok(Number.isFinite(s) && Math.abs(s - 3) <= 0.25, `stiff slope ${s}`);
});
