import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, diffeqsolve, Dopri5, ODETerm, PIDController, SaveAt, Tsit5 } from "../../src/index.js";
import { generateStepSource } from "../../src/solvers/erk.js";
import { arenstorf, chemistry, heat, lorenz, N, reactions, rober, SPECIES } from "./corpus.js";

/**
 * Fused and unfused solves must agree bit for bit (Lorenz, Arenstorf, ROBER take the scalar-local
 * fused kernel, n ≤ 16; the 20-species network the array one): the fused kernel evaluates the same IEEE
 * operations in the same order as the compiled f called once per stage (JavaScript never
 * contracts a*b + c into a fused multiply-add or reassociates), so the tolerance is zero; any
 * difference would be a bug in the fusion, not round-off.
 */
function solveBoth(vf: ReturnType<typeof compile>, solver: () => Tsit5 | Dopri5, y0: number[], args: unknown, t1: number, rtol: number, dense = false) {
  const opts = (terms: ODETerm) => ({
    terms, solver: solver(), t0: 0, t1, y0, args,
    saveat: new SaveAt({ ts: [0, t1 / 3, t1 / 2, t1], dense }),
    stepsizeController: new PIDController({ rtol, atol: rtol * 1e-2 }),
  });
  const fused = diffeqsolve(opts(new ODETerm(vf)));
  // The same compiled f as a plain function: the generic kernel calls it once per stage.
  const plain = diffeqsolve(opts(new ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => vf.f(t, y, a, dy))));
  return { fused, plain };
}

test("fused Tsit5/Dopri5 kernels give the same solution as one call of f per stage (bit for bit)", () => {
  const cases = [
    { name: "Lorenz", vf: compile(lorenz), y0: [1, 1, 1], args: { sigma: 10, rho: 28, beta: 8 / 3 }, t1: 5, rtol: 1e-9 },
    { name: "Arenstorf", vf: compile(arenstorf), y0: [0.994, 0, 0, -2.00158510637908252240537862224], args: { mu: 0.012277471 }, t1: 17.0652165601579625588917206249, rtol: 1e-10 },
    { name: "ROBER (flat args)", vf: compile(rober), y0: [1, 0, 0], args: Float64Array.of(0.04, 3e7, 1e4), t1: 0.01, rtol: 1e-6 },
    {
      name: "chemistry (n = 20: the array form)", vf: compile(chemistry, { consts: { reactions } }),
      y0: Array.from({ length: SPECIES }, (_, i) => 0.5 + 0.02 * i), args: { k: Float64Array.from(reactions, (_, i) => 0.1 + 0.01 * i) }, t1: 1, rtol: 1e-9,
    },
    // The heat equation (399 operations) is too large to fuse: one call of f per stage, same results.
    { name: "heat (not fused)", vf: compile(heat, { consts: { N } }), y0: Array.from({ length: N }, (_, i) => Math.sin((Math.PI * (i + 1)) / (N + 1))), args: { D: 0.1 }, t1: 0.05, rtol: 1e-8, unfused: true },
  ];
  for (const c of cases) {
    for (const solver of [() => new Tsit5(), () => new Dopri5()]) {
      const { fused, plain } = solveBoth(c.vf, solver, c.y0, c.args, c.t1, c.rtol);
      const name = `${c.name} ${solver().name}`;
      // The fused path really ran: f itself was called only outside the stages (start, probe).
      let calls = 0;
      const counted = Object.create(c.vf, { f: { value: (t: number, y: Float64Array, a: unknown, dy: Float64Array) => { calls++; c.vf.f(t, y, a, dy); } } });
      Object.defineProperty(counted, Symbol.for("odeflow.inlineVectorField"), { value: (c.vf as any)[Symbol.for("odeflow.inlineVectorField")] });
      const again = diffeqsolve({ terms: new ODETerm(counted), solver: solver(), t0: 0, t1: c.t1, y0: c.y0, args: c.args, stepsizeController: new PIDController({ rtol: c.rtol, atol: c.rtol * 1e-2 }) });
      if ("unfused" in c) assert.ok(calls >= again.stats.numFnEvals, `${name}: not fused, so f is called for every evaluation`);
      else assert.ok(again.stats.numFnEvals > 20 && calls <= 4, `${name}: f called ${calls} times in ${again.stats.numFnEvals} evaluations`);
      assert.equal(fused.stats.numSteps, plain.stats.numSteps, `${name}: steps`);
      assert.equal(fused.stats.numFnEvals, plain.stats.numFnEvals, `${name}: evaluations`);
      assert.deepEqual(Array.from(fused.ts), Array.from(plain.ts), `${name}: ts`);
      for (let i = 0; i < fused.ys.length; i++) assert.deepEqual(fused.ys[i], plain.ys[i], `${name}: ys[${i}]`);
    }
  }
});

test("the fused Arenstorf orbit closes (independent check against the published periodic orbit)", () => {
  // Hairer, Nørsett & Wanner I, §II.0: the orbit returns to y0 after T = 17.0652165601579625588917206249.
  const vf = compile(arenstorf);
  const y0 = [0.994, 0, 0, -2.00158510637908252240537862224];
  const sol = diffeqsolve({
    terms: new ODETerm(vf), solver: new Tsit5(), t0: 0, t1: 17.0652165601579625588917206249, y0, args: { mu: 0.012277471 },
    stepsizeController: new PIDController({ rtol: 1e-12, atol: 1e-14 }),
  });
  const y = sol.ys[0]!;
  assert.ok(Math.abs(y[0]! - y0[0]!) < 1e-7 && Math.abs(y[1]!) < 1e-7, `end ${y[0]}, ${y[1]}`);
});

test("the fused kernel source inlines f: no call of f in the stage loop", () => {
  const vf = compile(lorenz);
  const inline = (vf as any)[Symbol.for("odeflow.inlineVectorField")]();
  const src = generateStepSource(new Tsit5().tableau, inline);
  assert.ok(!/\bf\(/.test(src), src);
  assert.match(src, /k1\[0\] = /);
  // Dense output still works (it calls f for the extra stages where a method needs them).
  const { fused, plain } = solveBoth(vf, () => new Tsit5(), [1, 1, 1], { sigma: 10, rho: 28, beta: 8 / 3 }, 2, 1e-8, true);
  assert.deepEqual(fused.evaluate(0.77), plain.evaluate(0.77));
});

test("fused kernels converge at each explicit method's order, and equal the per-stage path (oscillator, closed form cos t)", async () => {
  const lib = await import("../../src/index.js");
  const vf = compile((t: number, [x, v]: Float64Array) => [v, -x]);
  const plain = (t: number, y: Float64Array, a: unknown, dy: Float64Array) => vf.f(t, y, a, dy);
  for (const name of ["Euler", "Heun", "Midpoint", "Ralston", "Bosh3", "Tsit5", "Dopri5", "Dopri8", "Vern7", "Vern9"] as const) {
    const make = () => new (lib as any)[name]() as InstanceType<typeof Tsit5>;
    const order = make().order;
    // Step sizes that keep the error well above round-off for every order.
    const h0 = order <= 2 ? 0.02 : order <= 5 ? 0.2 : order <= 7 ? 0.5 : 0.8;
    // Order 8 reaches round-off within a factor 4 of step size: a narrower range, a longer span.
    const dts = order >= 8 ? [h0, h0 / Math.SQRT2, h0 / 2] : [h0, h0 / 2, h0 / 4];
    const t1 = order >= 8 ? 20 : 4;
    const errs = dts.map((dt) => {
      const opts = (terms: ODETerm) => ({ terms, solver: make(), t0: 0, t1, dt0: dt, y0: [1, 0], stepsizeController: new lib.ConstantStepSize() });
      const fused = diffeqsolve(opts(new ODETerm(vf)));
      const ref = diffeqsolve(opts(new ODETerm(plain)));
      assert.deepEqual(fused.ys[0], ref.ys[0], `${name} dt = ${dt}: fused equals per-stage`);
      return Math.hypot(fused.ys[0]![0]! - Math.cos(t1), fused.ys[0]![1]! + Math.sin(t1));
    });
    // Least-squares slope of log(err) against log(dt).
    const xs = dts.map(Math.log), ys = errs.map(Math.log);
    const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
    const slope = xs.reduce((acc, x, i) => acc + (x - mx) * (ys[i]! - my), 0) / xs.reduce((acc, x) => acc + (x - mx) ** 2, 0);
    // Vern9's order 9 is out of reach of double precision on smooth problems (see
    // test/solvers/methods.test.ts, which checks it on a problem built for it); here it is checked
    // to equal the per-stage path bit for bit, which that test covers.
    if (order <= 8) assert.ok(Math.abs(slope - order) <= 0.25, `${name}: slope ${slope.toFixed(3)} for order ${order} (errors ${errs.map((e) => e.toExponential(2)).join(", ")})`);
  }
});
