// The WebAssembly path of the explicit Runge–Kutta solvers against the JavaScript kernels, bit
// for bit: every explicit method on random states and a random nonlinear vector field, through
// the solver protocol (steps, a rejected step, first-same-as-last reuse, interpolation, dense
// extra stages, dense storage), with the loop's buffers outside the WebAssembly memory (copied)
// and inside it (zero copy); compiled vector fields fused into the module; the error norm against
// the loop's formula; memory growth; the automatic choice at the threshold; and the fallback where
// WebAssembly is missing or forbidden.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Bosh3, ConstantStepSize, compile, diffeqsolve, Dopri5, Dopri8, Euler, Event, ExplicitRungeKutta, Heun, Midpoint, ODETerm, PIDController, Ralston,
  SaveAt, Tsit5, Vern7, Vern9, type ERKState,
} from "../../src/index.js";
import type { InPlaceVectorField } from "../../src/terms.js";
import { defaultWasmThreshold } from "../../src/wasm/erk-backend.js";
import { overrideWasmSupport, probeWasm } from "../../src/wasm/support.js";
import { enableWebAssembly } from "../../src/wasm/install.js";

enableWebAssembly();

const METHODS = [Euler, Heun, Midpoint, Ralston, Bosh3, Dopri5, Tsit5, Dopri8, Vern7, Vern9];

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A nonlinear field with random coefficients coupling neighbours: f_i = c_i sin(y_i + t) + d_i y_(i+1) − y_i³/4. */
function randomField(n: number, seed: number): InPlaceVectorField {
  const r = rng(seed);
  const c = Float64Array.from({ length: n }, () => 2 * r() - 1);
  const d = Float64Array.from({ length: n }, () => 2 * r() - 1);
  return (t, y, _a, dy) => {
    for (let i = 0; i < n; i++) dy[i] = c[i]! * Math.sin(y[i]! + t) + d[i]! * y[(i + 1) % n]! - 0.25 * y[i]! * y[i]! * y[i]!;
  };
}

const bits = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

interface Trace {
  values: Float64Array[];
}

/**
 * Drives a solver through the protocol: restart, a rejected step, three accepted steps with
 * interpolation (value and derivative) and dense storage after each; records every output.
 * `zeroCopy`: the loop's buffers are the solver's state buffers (WebAssembly path only).
 */
function drive(solver: ExplicitRungeKutta, f: InPlaceVectorField, n: number, y0: Float64Array, zeroCopy: boolean): Trace {
  const state = solver.init(f, n, undefined, new ODETerm(f)) as ERKState;
  const backend = solver.vectorBackend(state);
  let y: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array, out: Float64Array;
  if (zeroCopy) {
    assert.ok(backend !== null, "the WebAssembly path offers state buffers");
    ({ y, y1, yErr, yErr2, ytmp: out } = backend.stateBuffers());
  } else {
    [y, y1, yErr, yErr2, out] = [0, 1, 2, 3, 4].map(() => new Float64Array(n)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  }
  y.set(y0);
  const values: Float64Array[] = [];
  const rec = (a: Float64Array): void => void values.push(Float64Array.from(a));
  let t = 0.1;
  rec(solver.restart(state, t, y));
  const times = new Float64Array(2);
  const dense = new Float64Array(solver.denseSize(n) + 3);
  for (const [h, accept] of [[0.4, false], [0.13, true], [0.11, true], [0.07, true]] as const) {
    times[0] = t;
    times[1] = h;
    assert.equal(solver.step(state, times, y, y1, yErr, yErr2), 0);
    rec(y1);
    if (solver.errorOrder > 0) rec(yErr);
    if (solver.hasSecondaryError) rec(yErr2);
    if (!accept) continue;
    solver.accept(state);
    for (const theta of [0, 0.37, 0.81, 1]) {
      solver.interpolate(state, theta, out);
      rec(out);
      solver.interpolateDerivative(state, theta, out);
      rec(out);
    }
    solver.writeDense(state, dense, 3);
    rec(dense);
    const swap = y;
    y = y1;
    y1 = swap;
    t += h;
  }
  return { values };
}

for (const M of METHODS) {
  test(`${M.name}: the WebAssembly kernels reproduce the JavaScript kernels bit for bit (copy and zero-copy; n = 1, 2, 7, 33)`, () => {
    for (const n of [1, 2, 7, 33]) {
      const r = rng(n * 97 + 1);
      const y0 = Float64Array.from({ length: n }, () => 2 * r() - 1);
      const f = randomField(n, n);
      const js = drive(new M({ backend: "js" }), f, n, y0, false);
      const generic = drive(new M({ backend: "js", generated: false }), f, n, y0, false);
      const wasmCopy = drive(new M({ backend: "wasm" }), f, n, y0, false);
      const wasmZero = drive(new M({ backend: "wasm" }), f, n, y0, true);
      assert.equal(wasmCopy.values.length, js.values.length);
      js.values.forEach((v, k) => {
        assert.ok(bits(v, wasmCopy.values[k]!), `${M.name} n = ${n}: output ${k} differs (copy path)`);
        assert.ok(bits(v, wasmZero.values[k]!), `${M.name} n = ${n}: output ${k} differs (zero-copy path)`);
        // The generic kernel agrees to rounding (it sums from zero); the same values here.
        assert.ok(v.every((x, i) => Math.abs(x - generic.values[k]![i]!) <= 1e-12 * Math.max(1, Math.abs(x))));
      });
    }
  });
}

/** A compiled nonlinear field of n components with transcendental functions, powers and branches. */
function compiledField(N: number) {
  return compile(
    (t: number, y: Float64Array, a: { k: number; w: number }, dy: Float64Array) => {
      for (let i = 0; i < N; i++) {
        const left = i > 0 ? y[i - 1]! : 0;
        const right = i < N - 1 ? y[i + 1]! : 1;
        dy[i] = a.k * (left - 2 * y[i]! + right) + (y[i]! > 0 ? Math.exp(-y[i]! * y[i]!) : Math.cos(a.w * t)) * (1 + (i % 3) / 10) + y[i]! ** 3 / 8;
      }
    },
    { consts: { N }, args: { k: 0, w: 0 } },
  );
}

for (const M of [Dopri5, Tsit5, Vern9, Dopri8, Heun]) {
  test(`${M.name}: a compiled vector field fused into the WebAssembly module gives the JavaScript results bit for bit`, () => {
    for (const n of [9, 40]) {
      const vf = compiledField(n);
      const args = { k: 0.8, w: 3 };
      const r = rng(n);
      const y0 = Float64Array.from({ length: n }, () => 2 * r() - 1);
      const js = new M({ backend: "js" });
      const wasm = new M({ backend: "wasm" });
      const sJs = js.init(vf.f, n, args, new ODETerm(vf));
      const sW = wasm.init(vf.f, n, args, new ODETerm(vf));
      assert.equal(sW.fused, true, "the compiled field is fused");
      const run = (solver: ExplicitRungeKutta, state: ERKState): Float64Array[] => {
        const rec: Float64Array[] = [];
        let y = Float64Array.from(y0);
        let y1 = new Float64Array(n);
        const e1 = new Float64Array(n);
        const e2 = new Float64Array(n);
        const out = new Float64Array(n);
        solver.restart(state, 0, y);
        let t = 0;
        for (const h of [0.05, 0.03, 0.04]) {
          solver.step(state, Float64Array.of(t, h), y, y1, e1, e2);
          solver.accept(state);
          solver.interpolate(state, 0.4, out);
          rec.push(Float64Array.from(y1), Float64Array.from(e1), Float64Array.from(e2), Float64Array.from(out));
          [y, y1] = [y1, y];
          t += h;
        }
        return rec;
      };
      const a = run(js, sJs);
      const b = run(wasm, sW);
      a.forEach((v, k) => assert.ok(bits(v, b[k]!), `${M.name} n = ${n}: output ${k} differs`));
      assert.equal(sJs.numFnEvals, sW.numFnEvals);
    }
  });
}

test("diffeqsolve: adaptive solves with output times, dense output and an event take the same steps and give the same numbers on both paths", () => {
  const n = 24;
  const f = randomField(n, 5);
  const y0 = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
  for (const M of [Tsit5, Vern7, Dopri8]) {
    const solve = (backend: "js" | "wasm") =>
      diffeqsolve({
        terms: new ODETerm(f), solver: new M({ backend }), t0: 0, t1: 3, y0,
        stepsizeController: new PIDController({ rtol: 1e-7, atol: 1e-9 }),
        saveat: new SaveAt({ ts: [0.5, 1.25, 2.9], dense: true }),
        event: [new Event({ cond: (_t, y) => y[3]! - 0.2 }), new Event({ times: [1.1], affect: (_t, y) => { y[0] = y[0]! + 0.5; } })],
      });
    const a = solve("js");
    const b = solve("wasm");
    assert.deepEqual(b.stats, a.stats);
    assert.ok(bits(Float64Array.from(a.ys.flat()), Float64Array.from(b.ys.flat())));
    assert.deepEqual(b.events.map((e) => e.t), a.events.map((e) => e.t));
    for (const t of [0.3, 1.7, 2.2]) assert.ok(bits(a.evaluate(t), b.evaluate(t)));
  }
});

/** The integration loop's scaled norm (src/integrate.ts), written out from its documented formula. */
function loopNorm(kind: "rms" | "max", rtol: number | Float64Array, atol: number | Float64Array, y0: Float64Array, y1: Float64Array, e: Float64Array): number {
  const n = e.length;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const a0 = Math.abs(y0[i]!);
    const a1 = Math.abs(y1[i]!);
    const scalar = typeof rtol === "number" && typeof atol === "number";
    const big = kind === "rms" && scalar ? (a0 > a1 ? a0 : a1) : Math.max(a0, a1);
    const r = e[i]! / ((typeof atol === "number" ? atol : atol[i]!) + (typeof rtol === "number" ? rtol : rtol[i]!) * big);
    if (kind === "rms") acc += r * r;
    else acc = Math.max(acc, Math.abs(r)) + (r - r);
  }
  return kind === "rms" ? Math.sqrt(acc / n) : acc;
}

test("the WebAssembly error norm equals the loop's formula to the last bit (rms and max, scalar and vector tolerances, NaN)", () => {
  for (const n of [1, 2, 5, 64]) {
    const solver = new Dopri8({ backend: "wasm" });
    const f = randomField(n, 11);
    const state = solver.init(f, n, undefined, new ODETerm(f));
    const backend = solver.vectorBackend(state)!;
    const r = rng(n + 3);
    const y = Float64Array.from({ length: n }, () => 4 * r() - 2);
    const [y1, e1, e2] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    solver.restart(state, 0, y);
    solver.step(state, Float64Array.of(0, 0.3), y, y1, e1, e2);
    const rtolV = Float64Array.from({ length: n }, () => 1e-6 * (1 + r()));
    const atolV = Float64Array.from({ length: n }, () => 1e-9 * (1 + r()));
    const result = new Float64Array(1);
    for (const kind of ["rms", "max"] as const) {
      for (const [rtol, atol] of [[1e-6, 1e-9], [rtolV, atolV], [1e-6, atolV]] as const) {
        backend.setTolerances(kind, rtol, atol);
        for (const which of [0, 1] as const) {
          backend.errorNorm(which, result);
          assert.ok(Object.is(result[0], loopNorm(kind, rtol, atol, y, y1, which === 0 ? e1 : e2)), `${kind} n = ${n} which = ${which}`);
        }
      }
    }
  }
  // NaN: with scalar tolerances the rms norm takes a0 > a1 ? a0 : a1, which passes over a NaN in
  // y0 but not in y1; the other forms take Math.max, which propagates both. The step binds the
  // buffers; their contents are then replaced by hand.
  const n = 3;
  const f: InPlaceVectorField = (_t, y, _a, dy) => dy.set(y);
  const solver = new Heun({ backend: "wasm" });
  const state = solver.init(f, n, undefined, new ODETerm(f));
  const backend = solver.vectorBackend(state)!;
  const sb = backend.stateBuffers();
  solver.restart(state, 0, sb.y);
  solver.step(state, Float64Array.of(0, 0.1), sb.y, sb.y1, sb.yErr, sb.yErr2);
  const e = Float64Array.of(1e-3, 2e-3, 3e-3);
  const res = new Float64Array(1);
  for (const [y0, y1] of [[[1, NaN, 3], [1, 2, 3]], [[1, 2, 3], [1, NaN, 3]]]) {
    sb.y.set(y0!);
    sb.y1.set(y1!);
    sb.yErr.set(e);
    for (const kind of ["rms", "max"] as const) {
      backend.setTolerances(kind, 1e-3, 1e-6);
      backend.errorNorm(0, res);
      const expected = loopNorm(kind, 1e-3, 1e-6, Float64Array.from(y0!), Float64Array.from(y1!), e);
      assert.ok(Object.is(res[0], expected), `${kind} with y0 = ${y0}, y1 = ${y1}: ${res[0]} against ${expected}`);
    }
  }
  assert.ok(Number.isFinite(loopNorm("rms", 1e-3, 1e-6, Float64Array.of(1, NaN, 3), Float64Array.of(1, 2, 3), e)), "the case where rms passes over NaN is exercised");
});

test("memory growth: views are re-derived and steps continue bit for bit", () => {
  const n = 17;
  const f = randomField(n, 2);
  const y0 = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const ref = drive(new Tsit5({ backend: "wasm" }), f, n, y0, false);
  // The same drive, growing the memory (detaching every view) before each protocol call.
  const solver = new Tsit5({ backend: "wasm" });
  const state = solver.init(f, n, undefined, new ODETerm(f));
  const ws = state.wasm!;
  const bytes = (): number => ws.arena.memory.buffer.byteLength;
  const grow = (): void => ws.arena.reserve(bytes() + 65536);
  const before = bytes();
  const k0Before = state.ks[0]!;
  let y = Float64Array.from(y0);
  let y1 = new Float64Array(n);
  const [yErr, yErr2, out] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const values: Float64Array[] = [];
  const rec = (a: Float64Array): void => void values.push(Float64Array.from(a));
  let t = 0.1;
  grow();
  assert.equal(k0Before.length, 0, "growth detaches the old views");
  rec(solver.restart(state, t, y));
  const dense = new Float64Array(solver.denseSize(n) + 3);
  for (const [h, accept] of [[0.4, false], [0.13, true], [0.11, true], [0.07, true]] as const) {
    grow();
    solver.step(state, Float64Array.of(t, h), y, y1, yErr, yErr2);
    rec(y1);
    rec(yErr);
    if (!accept) continue;
    grow();
    solver.accept(state);
    for (const theta of [0, 0.37, 0.81, 1]) {
      grow();
      solver.interpolate(state, theta, out);
      rec(out);
      solver.interpolateDerivative(state, theta, out);
      rec(out);
    }
    grow();
    solver.writeDense(state, dense, 3);
    rec(dense);
    [y, y1] = [y1, y];
    t += h;
  }
  assert.ok(bytes() > before);
  assert.equal(values.length, ref.values.length);
  ref.values.forEach((v, k) => assert.ok(bits(v, values[k]!), `output ${k} differs after growth`));
  assert.equal(state.ks[0]!.length, n, "the stage views are live again");
});

test("backend \"auto\" switches to WebAssembly at the threshold, per method and per option", () => {
  const f = randomField(64, 1);
  for (const M of [Dopri5, Tsit5, Vern9, Heun]) {
    const T = defaultWasmThreshold(M.name);
    assert.ok(Number.isInteger(T) && T >= 1);
    const solver = new M();
    assert.equal(solver.init(f, T - 1, undefined).wasm, null, `${M.name}: n = T − 1 stays on JavaScript`);
    assert.notEqual(solver.init(f, T, undefined).wasm, null, `${M.name}: n = T uses WebAssembly`);
  }
  const custom = new Dopri5({ wasmThreshold: 5 });
  assert.equal(custom.init(f, 4, undefined).wasm, null);
  assert.notEqual(custom.init(f, 5, undefined).wasm, null);
  assert.equal(new Dopri5({ backend: "js" }).init(f, 1e5, undefined).wasm, null);
  assert.notEqual(new Dopri5({ backend: "wasm" }).init(f, 1, undefined).wasm, null);
  assert.throws(() => new Dopri5({ backend: "gpu" as "js" }), /backend.*"gpu".*"auto", "js" or "wasm"/);
  assert.throws(() => new Dopri5({ wasmThreshold: 0 }), /wasmThreshold.*whole number/);
});

test("without WebAssembly (missing, no SIMD, or forbidden by a CSP) auto falls back to JavaScript and backend \"wasm\" says why", () => {
  assert.deepEqual(probeWasm(null), { ok: false, reason: "WebAssembly is not available in this JavaScript engine" });
  const noSimd = probeWasm({ validate: () => false });
  assert.equal(noSimd.ok, false);
  const csp = probeWasm({
    validate: () => true,
    Module: function () {
      throw new Error("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source");
    },
  });
  assert.equal(csp.ok, false);
  assert.match((csp as { reason: string }).reason, /Content-Security-Policy needs 'wasm-unsafe-eval'/);
  overrideWasmSupport(csp);
  try {
    const f = randomField(4, 3);
    assert.equal(new Dopri5({ wasmThreshold: 1 }).init(f, 4, undefined).wasm, null);
    assert.throws(() => new Dopri5({ backend: "wasm" }), /Dopri5: backend "wasm" is not possible: compiling WebAssembly is not allowed here .* Use backend: "auto"/);
    const sol = diffeqsolve({ terms: new ODETerm(f), solver: new Tsit5({ wasmThreshold: 1 }), t0: 0, t1: 1, dt0: 0.1, y0: [1, 2, 3, 4], stepsizeController: new ConstantStepSize() });
    assert.equal(sol.result, 0);
  } finally {
    overrideWasmSupport(undefined);
  }
});
