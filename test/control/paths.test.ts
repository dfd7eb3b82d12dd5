// Data as paths (linear, cubic Hermite, backward Hermite, natural and not-a-knot splines, rectilinear;
// NaN gaps filled) and controlled differential equations, against closed forms: exactness on
// polynomials the interpolant contains, convergence orders on smooth data, C¹ continuity and
// causality of the backward Hermite path, a forcing term with an exact solution, and dy = f(y) dX
// whose solution is y0·exp(X(t) − X(t0)) for any path X; evaluate/derivative into `out` allocate
// nothing (a sampled heap profile).
import assert from "node:assert/strict";
import { test } from "node:test";
import { CDETerm, CubicInterpolation, diffeqsolve, LinearInterpolation, ODETerm, PIDController, RectilinearInterpolation, SaveAt, Tsit5, Vern7 } from "../../src/index.js";

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
  assert.throws(() => new LinearInterpolation({ ts: [0, 1], xs: [1, Infinity] }), /`xs\[1\]` must be a finite number or NaN \(missing\)/);
  assert.throws(() => new CubicInterpolation({ ts: [0, 1], xs: [1, 2], dxs: [0, NaN] }), /`dxs\[1\]` must be a finite number \(as/);
  assert.throws(() => new LinearInterpolation({ ts: [0, 1, 2], xs: [[NaN, 1], [NaN, 2], [NaN, 3]] }), /channel 0 is NaN \(missing\) at every knot/);
  assert.throws(() => new CubicInterpolation({ ts: [0, 1], xs: [1, 2], kind: "natural", dxs: [0, 0] }), /kind "natural" computes its own slopes/);
  assert.throws(() => new CubicInterpolation({ ts: [0, 1], xs: [1, 2], kind: "hermite" }), /kind "hermite" needs the derivatives `dxs`/);
  assert.throws(() => new CubicInterpolation({ ts: [0, 1], xs: [1, 2], kind: "clamped" as never }), /`kind` must be "hermite", "backwardHermite", "natural" or "notAKnot"; got the string "clamped"/);
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

// The C² splines: a cubic spline's second derivative from its Hermite form on [tᵢ, tᵢ₊₁] is
// X″ is read from `derivative` by three-point one-sided differences, exact up to rounding on a piece
// (X′ is a quadratic there): from the right (side +1) or from the left (side −1) of t.
const second = (p: CubicInterpolation, t: number, side: 1 | -1 = 1, e = 1e-3) =>
  (side * (-3 * p.derivative(t)[0]! + 4 * p.derivative(t + side * e)[0]! - p.derivative(t + 2 * side * e)[0]!)) / (2 * e);

test("not-a-knot spline reproduces any cubic (values, slopes, X″) on irregular knots, two channels; on 3 knots any parabola", () => {
  const ts = [0, 0.3, 1.1, 1.6, 2.9, 3.2, 4];
  const f = (t: number) => 2 * t ** 3 - 5 * t * t + t - 0.5;
  const df = (t: number) => 6 * t * t - 10 * t + 1;
  const x = new CubicInterpolation({ ts, xs: ts.map((t) => [f(t), -f(t) + t]), kind: "notAKnot" });
  assert.equal(x.kind, "notAKnot");
  for (const t of grid(0, 4, 37)) {
    const v = x.evaluate(t);
    assert.ok(Math.abs(v[0]! - f(t)) < 1e-12 && Math.abs(v[1]! + f(t) - t) < 1e-12, `t = ${t}: ${v[0]} vs ${f(t)}`);
    const d = x.derivative(t);
    assert.ok(Math.abs(d[0]! - df(t)) < 1e-11 && Math.abs(d[1]! + df(t) - 1) < 1e-11, `t = ${t}: ${d[0]} vs ${df(t)}`);
  }
  const q = new CubicInterpolation({ ts: [0, 0.4, 2], xs: [0, 0.4, 2].map((t) => 3 * t * t - t), kind: "notAKnot" });
  for (const t of grid(0, 2, 11)) assert.ok(Math.abs(q.evaluate(t)[0]! - (3 * t * t - t)) < 1e-13);
});

test("natural spline: reproduces lines, X″ = 0 at both ends, X″ of t³ data matches the closed-form spline", () => {
  const ts = [0, 0.5, 1.3, 2, 3.5];
  const line = new CubicInterpolation({ ts, xs: ts.map((t) => 4 - 3 * t), kind: "natural" });
  for (const t of grid(0, 3.5, 21)) {
    assert.ok(Math.abs(line.evaluate(t)[0]! - (4 - 3 * t)) < 1e-13);
    assert.ok(Math.abs(line.derivative(t)[0]! + 3) < 1e-12);
  }
  const xs = ts.map((t) => Math.exp(t) * Math.sin(2 * t));
  const x = new CubicInterpolation({ ts, xs, kind: "natural" });
  assert.ok(Math.abs(second(x, 0)) < 1e-8, `X″(t0) = ${second(x, 0)}`);
  assert.ok(Math.abs(second(x, 3.5, -1)) < 1e-8, `X″(t1) = ${second(x, 3.5, -1)}`);
  // Uniform knots 0, 1, 2 with data 0, 1, 8 (t³): the natural spline has M₁ = X″(1) solving
  // 4M₁ = 6(x₀ − 2x₁ + x₂) = 36, so M₁ = 9, and the slope d₀ = δ₀ − M₁/6 = 1 − 1.5 = −0.5.
  const u = new CubicInterpolation({ ts: [0, 1, 2], xs: [0, 1, 8], kind: "natural" });
  assert.ok(Math.abs(second(u, 1) - 9) < 1e-9 && Math.abs(second(u, 1, -1) - 9) < 1e-9, `M₁ = ${second(u, 1)}`);
  assert.ok(Math.abs(u.derivative(0)[0]! + 0.5) < 1e-12, `d₀ = ${u.derivative(0)[0]}`);
});

test("splines: C¹ and C² at every knot, interpolate the data, fourth-order convergence on sin (natural and not-a-knot)", () => {
  const ts = [0, 0.4, 1, 1.8, 2.5, 3, 3.3, 4.2];
  const xs = [0.3, -0.2, 1.1, 0.9, 2.0, 1.4, 1.5, -0.7];
  for (const kind of ["natural", "notAKnot"] as const) {
    const x = new CubicInterpolation({ ts, xs, kind });
    for (let k = 1; k < ts.length - 1; k++) {
      const t = ts[k]!;
      assert.ok(Math.abs(x.evaluate(t)[0]! - xs[k]!) < 1e-14, "interpolates");
      const e = 1e-7;
      const left = x.derivative(t - e)[0]!, right = x.derivative(t + e)[0]!;
      assert.ok(Math.abs(left - right) < 1e-5, `${kind} X′ at ts[${k}]: ${left} vs ${right}`);
      const l2 = second(x, t, -1), r2 = second(x, t, 1);
      assert.ok(Math.abs(l2 - r2) < 1e-8 * (1 + Math.abs(l2)), `${kind} X″ at ts[${k}]: ${l2} vs ${r2}`);
    }
  }
  // Natural ends impose X″ = 0, wrong for sin at t = 3 (sin″(3) ≠ 0): measure on an interior window,
  // where the end error decays geometrically; not-a-knot is fourth order on the whole interval
  // (4.5 and 4.3 at 16 → 32 → 64 knots: pre-asymptotic, hence the finer grids).
  const order = (kind: "natural" | "notAKnot", a: number, b: number) => {
    const errs = [64, 128, 256].map((n) => {
      const p = new CubicInterpolation({ ts: grid(0, 3, n), xs: grid(0, 3, n).map(Math.sin), kind });
      let e = 0;
      for (const t of grid(a, b, 499)) e = Math.max(e, Math.abs(p.evaluate(t)[0]! - Math.sin(t)));
      return e;
    });
    return [Math.log2(errs[0]! / errs[1]!), Math.log2(errs[1]! / errs[2]!)];
  };
  for (const p of order("notAKnot", 0, 3)) assert.ok(Math.abs(p - 4) < 0.3, `not-a-knot: ${order("notAKnot", 0, 3)}`);
  for (const p of order("natural", 1, 2)) assert.ok(Math.abs(p - 4) < 0.3, `natural: ${order("natural", 1, 2)}`);
});

test("rectilinear path: xᵢ on [tᵢ, tᵢ₊₁), x_N at t_N, derivative 0, two channels; a forcing term with a switched input", () => {
  const ts = [0, 1, 2.5, 4];
  const x = new RectilinearInterpolation({ ts, xs: [[1, -1], [3, 0], [2, 5], [7, 7]] });
  const at = (t: number) => Array.from(x.evaluate(t));
  assert.deepEqual([at(0), at(0.999), at(1), at(2.4), at(2.5), at(3.99), at(4)], [[1, -1], [1, -1], [3, 0], [3, 0], [2, 5], [2, 5], [7, 7]]);
  for (const t of [0, 0.5, 1, 3, 4]) assert.deepEqual(Array.from(x.derivative(t)), [0, 0]);
  // y′ = u(t) − y, u = 2 on [0, 1), 0 after: y = 2(1 − e^−t) then y(1)e^−(t−1).
  const u = new RectilinearInterpolation({ ts: [0, 1, 3], xs: [2, 0, 0] });
  const buf = new Float64Array(1);
  const sol = diffeqsolve({
    terms: new ODETerm((t: number, y: Float64Array, _a: unknown, dy: Float64Array) => {
      dy[0] = u.evaluate(t, buf)[0]! - y[0]!;
    }),
    solver: new Tsit5(), t0: 0, t1: 3, y0: [0], saveat: new SaveAt({ ts: [0.5, 1, 2, 3] }),
    stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12, jumpTs: u.ts }),
  });
  const y1 = 2 * (1 - Math.exp(-1));
  const exact = (t: number) => (t <= 1 ? 2 * (1 - Math.exp(-t)) : y1 * Math.exp(-(t - 1)));
  for (let i = 0; i < sol.ts.length; i++) assert.ok(Math.abs(sol.ys[i]![0]! - exact(sol.ts[i]!)) < 1e-9, `t = ${sol.ts[i]}: ${sol.ys[i]![0]} vs ${exact(sol.ts[i]!)}`);
});

test("NaN-marked missing values: linear in t between observed values (linear, cubic), forward fill (rectilinear), ends held", () => {
  const ts = [0, 0.5, 2, 3, 3.5, 5];
  const xs = [[NaN, 4], [1, NaN], [NaN, NaN], [NaN, 2], [7, NaN], [NaN, NaN]];
  // Channel 0: observed 1 at 0.5 and 7 at 3.5 → 1 + 2(t − 0.5) between, 1 before, 7 after.
  // Channel 1: observed 4 at 0 and 2 at 3 → 4 − 2t/3 between, 2 after.
  const filled = [[1, 4], [1, 4 - 1 / 3], [4, 4 - 4 / 3], [6, 2], [7, 2], [7, 2]];
  const lin = new LinearInterpolation({ ts, xs });
  const nat = new CubicInterpolation({ ts, xs, kind: "natural" });
  const ref = new CubicInterpolation({ ts, xs: filled, kind: "natural" });
  for (let i = 0; i < ts.length; i++) {
    const a = lin.evaluate(ts[i]!), b = nat.evaluate(ts[i]!);
    for (let j = 0; j < 2; j++) {
      assert.ok(Math.abs(a[j]! - filled[i]![j]!) < 1e-14 && Math.abs(b[j]! - filled[i]![j]!) < 1e-14, `knot ${i} channel ${j}: ${a[j]}, ${b[j]} vs ${filled[i]![j]}`);
    }
  }
  for (const t of grid(0, 5, 23)) assert.deepEqual(Array.from(nat.evaluate(t)), Array.from(ref.evaluate(t)));
  const hold = new RectilinearInterpolation({ ts, xs });
  assert.deepEqual(ts.map((t) => Array.from(hold.evaluate(t))), [[1, 4], [1, 4], [1, 4], [1, 2], [7, 2], [7, 2]]);
  const back = new CubicInterpolation({ ts: [0, 1, 2], xs: [0, NaN, 4] }); // backward Hermite of 0, 2, 4: the line 2t
  for (const t of grid(0, 2, 8)) assert.ok(Math.abs(back.evaluate(t)[0]! - 2 * t) < 1e-14);
});

test("evaluate and derivative into `out` allocate nothing in src/control (sampled heap profile over 2·10⁵ calls per path)", async () => {
  const { Session } = await import("node:inspector/promises");
  interface Node { callFrame: { url: string; functionName: string }; selfSize: number; children: Node[] }
  const ts = grid(0, 10, 50);
  const xs = ts.map((t) => [Math.sin(t), t, NaN]);
  xs[3]![2] = 1;
  const paths = [
    new LinearInterpolation({ ts, xs }), new CubicInterpolation({ ts, xs }), new CubicInterpolation({ ts, xs, kind: "natural" }),
    new CubicInterpolation({ ts, xs, kind: "notAKnot" }), new RectilinearInterpolation({ ts, xs }),
  ];
  const out = new Float64Array(3);
  let sink = 0;
  const run = (calls: number) => {
    for (const p of paths) {
      for (let k = 0; k < calls; k++) {
        const t = (k * 0.61803398875) % 10; // wanders across intervals: the lookup's both branches
        sink += p.evaluate(t, out)[0]! + p.derivative(t, out)[1]!;
      }
    }
  };
  run(20_000); // optimised before profiling
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 64, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as never);
  run(200_000);
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: Node } };
  session.disconnect();
  let bytes = 0;
  const where = new Set<string>();
  const walk = (node: Node) => {
    if (node.selfSize > 0 && /src\/control\//.test(node.callFrame.url)) {
      bytes += node.selfSize;
      where.add(node.callFrame.functionName);
    }
    node.children.forEach(walk);
  };
  walk(profile.head);
  assert.ok(Number.isFinite(sink));
  // 10⁶ calls: any per-call allocation (≥ 16 bytes) would show as ≥ 16 MB; allow 1 byte per call.
  assert.ok(bytes <= 1_000_000, `${bytes} bytes allocated in ${[...where].join(", ")}`);
});
