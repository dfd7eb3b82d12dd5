// Data as paths (linear, cubic Hermite, backward Hermite interpolation) and controlled differential
// equations, against closed forms: exactness on polynomials the interpolant contains, convergence
// orders on smooth data, C¹ continuity and causality of the backward Hermite path, a forcing term
// with an exact solution, and dy = f(y) dX whose solution is y0·exp(X(t) − X(t0)) for any path X.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CDETerm, CubicInterpolation, diffeqsolve, LinearInterpolation, ODETerm, PIDController, SaveAt, Tsit5, Vern7 } from "../../src/index.js";

const grid = (a: number, b: number, n: number) => Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n);

test("linear interpolation: exact on linear data (two channels), slopes per interval, right-hand derivative at knots", () => {
  const ts = [0, 0.5, 2, 3];
  const x = new LinearInterpolation({ ts, xs: ts.map((t) => [2 * t + 1, -t]) });
  for (const t of [0, 0.3, 0.5, 1.7, 3]) {
    const v = x.evaluate(t);
    assert.ok(Math.abs(v[0]! - (2 * t + 1)) < 1e-15 && Math.abs(v[1]! + t) < 1e-15);
    assert.deepEqual(Array.from(x.derivative(t)), [2, -1]);
  }
  const kink = new LinearInterpolation({ ts: [0, 1, 3], xs: [0, 2, 0] });
  assert.deepEqual(Array.from(kink.derivative(1)), [-1]); // the next interval's slope
  assert.deepEqual(Array.from(kink.derivative(0.999)), [2]);
  assert.deepEqual(Array.from(kink.derivative(3)), [-1]);
});

test("convergence orders on sin: linear 2, backward Hermite 2, Hermite with derivatives 4; Hermite exact on cubics", () => {
  const order = (make: (n: number) => { evaluate(t: number, out?: Float64Array): Float64Array }) => {
    const errs = [16, 32, 64].map((n) => {
      const p = make(n);
      let e = 0;
      for (const t of grid(0, 3, 997)) e = Math.max(e, Math.abs(p.evaluate(t)[0]! - Math.sin(t)));
      return e;
    });
    return [Math.log2(errs[0]! / errs[1]!), Math.log2(errs[1]! / errs[2]!)];
  };
  const lin = order((n) => new LinearInterpolation({ ts: grid(0, 3, n), xs: grid(0, 3, n).map(Math.sin) }));
  const back = order((n) => new CubicInterpolation({ ts: grid(0, 3, n), xs: grid(0, 3, n).map(Math.sin) }));
  const herm = order((n) => new CubicInterpolation({ ts: grid(0, 3, n), xs: grid(0, 3, n).map(Math.sin), dxs: grid(0, 3, n).map(Math.cos) }));
  for (const p of lin) assert.ok(Math.abs(p - 2) < 0.15, `linear: ${lin}`);
  for (const p of back) assert.ok(Math.abs(p - 2) < 0.25, `backward Hermite: ${back}`);
  for (const p of herm) assert.ok(Math.abs(p - 4) < 0.25, `Hermite: ${herm}`);
  // A cubic with its derivatives is reproduced exactly (value and derivative).
  const ts = [0, 0.7, 1.1, 2.5];
  const c = new CubicInterpolation({ ts, xs: ts.map((t) => t ** 3 - t), dxs: ts.map((t) => 3 * t * t - 1) });
  for (const t of grid(0, 2.5, 17)) {
    assert.ok(Math.abs(c.evaluate(t)[0]! - (t ** 3 - t)) < 1e-13);
    assert.ok(Math.abs(c.derivative(t)[0]! - (3 * t * t - 1)) < 1e-12);
  }
});

test("backward Hermite: C¹ at the knots, causal (the data after t_{k+1} does not move the path before t_k), exact on lines", () => {
  const ts = [0, 0.4, 1, 1.8, 2.5, 3];
  const xs = [0.3, -0.2, 1.1, 0.9, 2.0, 1.4];
  const x = new CubicInterpolation({ ts, xs });
  for (let k = 1; k < ts.length - 1; k++) {
    const left = x.derivative(ts[k]! - 1e-9)[0]!;
    const right = x.derivative(ts[k]!)[0]!;
    assert.ok(Math.abs(left - right) < 1e-6, `slope at ts[${k}]: ${left} vs ${right}`);
    assert.ok(Math.abs(right - (xs[k]! - xs[k - 1]!) / (ts[k]! - ts[k - 1]!)) < 1e-12, "the backward difference");
    assert.ok(Math.abs(x.evaluate(ts[k]!)[0]! - xs[k]!) < 1e-15, "interpolates");
  }
  const changed = new CubicInterpolation({ ts, xs: [...xs.slice(0, 4), 10, -10] }); // x₄, x₅ changed
  for (const t of grid(0, 1.8, 20)) assert.equal(changed.evaluate(t)[0], x.evaluate(t)[0]);
  const line = new CubicInterpolation({ ts, xs: ts.map((t) => 1 - 2 * t) });
  for (const t of grid(0, 3, 13)) assert.ok(Math.abs(line.evaluate(t)[0]! - (1 - 2 * t)) < 1e-14);
});

test("a forcing term from data: y′ = −y + u(t), u the linear interpolation of u = t, y = t − 1 + 2e^−t", () => {
  const ts = grid(0, 4, 9);
  const u = new LinearInterpolation({ ts, xs: ts });
  const buf = new Float64Array(1);
  const sol = diffeqsolve({
    terms: new ODETerm((t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
      dy[0] = -y[0]! + u.evaluate(t, buf)[0]!;
    }),
    solver: new Tsit5(), t0: 0, t1: 4, y0: [1], saveat: new SaveAt({ ts: grid(0, 4, 20) }),
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
  });
  for (let i = 0; i < sol.ts.length; i++) {
    const t = sol.ts[i]!;
    assert.ok(Math.abs(sol.ys[i]![0]! - (t - 1 + 2 * Math.exp(-t))) < 1e-9);
  }
});

test("CDE: dy = y dX₁ − y dX₂ gives y0·exp(ΔX₁ − ΔX₂) for linear and backward-Hermite paths of irregular data", () => {
  const ts = [0, 0.3, 0.45, 1.2, 1.9, 2.0, 3.1, 4];
  const xs = ts.map((t, i) => [Math.sin(3 * t) + 0.1 * i, Math.cos(t) * (i % 2 === 0 ? 1 : 0.7)]);
  for (const X of [new LinearInterpolation({ ts, xs }), new CubicInterpolation({ ts, xs })]) {
    const term = new CDETerm((_t, y, _a, out) => {
      out[0] = y[0]!;
      out[1] = -y[0]!;
    }, X);
    for (const solver of [new Tsit5(), new Vern7()]) {
      const sol = diffeqsolve({
        terms: term, solver, t0: 0, t1: 4, y0: [2], saveat: new SaveAt({ ts: grid(0, 4, 40) }),
        stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12, jumpTs: X.ts }),
      });
      const x0 = X.evaluate(0);
      for (let i = 0; i < sol.ts.length; i++) {
        const x = X.evaluate(sol.ts[i]!);
        const exact = 2 * Math.exp(x[0]! - x0[0]! - (x[1]! - x0[1]!));
        assert.ok(Math.abs(sol.ys[i]![0]! - exact) < 1e-8 * exact, `${X.constructor.name} ${solver.name} t = ${sol.ts[i]}: ${sol.ys[i]![0]} vs ${exact}`);
      }
    }
  }
});

test("named errors: bad data, a path read outside its range (callbackError in a solve)", () => {
  assert.throws(() => new LinearInterpolation({ ts: [0], xs: [1] }), /at least 2 knots/);
  assert.throws(() => new LinearInterpolation({ ts: [0, 1, 1], xs: [1, 2, 3] }), /increase strictly; ts\[1\] = 1 and ts\[2\] = 1/);
  assert.throws(() => new LinearInterpolation({ ts: [0, 1], xs: [1] }), /`xs` has 1 entries but ts has 2/);
  assert.throws(() => new LinearInterpolation({ ts: [0, 1], xs: [[1, 2], [3]] }), /`xs\[1\]` must be an array of 2 finite numbers/);
  assert.throws(() => new LinearInterpolation({ ts: [0, 1], xs: [1, NaN] }), /`xs\[1\]` must be a finite number/);
  assert.throws(() => new CubicInterpolation({ ts: [0, 1], xs: [1, 2], dxs: [[1, 1], [1, 1]] }), /`dxs` has 2 channels but xs has 1/);
  assert.throws(() => new LinearInterpolation({ ts: [0, 1], ys: [1, 2] } as never), /unknown option `ys`/);
  const X = new LinearInterpolation({ ts: [0, 1], xs: [0, 1] });
  assert.throws(() => X.evaluate(1.5), /LinearInterpolation.evaluate\(t\): t = 1.5 is outside the data's range \[0, 1\]/);
  assert.throws(() => new CDETerm((_t, _y, _a, _o) => {}, { ts: [0, 1] } as never), /`control` must be a path/);
  const sol = diffeqsolve({
    terms: new CDETerm((_t, y, _a, out) => { out[0] = y[0]!; }, X), solver: new Tsit5(), t0: 0, t1: 2, y0: [1], throw: false,
  });
  assert.equal(sol.resultName, "callbackError");
  assert.match(sol.message, /outside the data's range/);
});
