/**
 * Float32Array states: kept in float32 at every step and in every output, Float32Arrays back,
 * the documented accuracy floor, and the refusal of tolerances float32 cannot meet.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConstantStepSize, diffeqsolve, Float32Steps, ODETerm, PIDController, SaveAt, Structure, Tsit5, Vern7 } from "../../src/index.js";

// y″ = −y as (y, y′): y = cos t, y′ = −sin t.
const oscillator = new ODETerm((t, y, args, dy) => { dy[0] = y[1]!; dy[1] = -y[0]!; });
const isFloat32 = (x: number) => Math.fround(x) === x;

test("a Float32Array y0: every saved value (steps, interpolated output times, dense output) is a float32, and ysAs gives Float32Arrays", () => {
  const ts = Array.from({ length: 21 }, (_, k) => k * 0.5);
  const sol = diffeqsolve({
    terms: oscillator, solver: new Tsit5(), t0: 0, t1: 10, y0: new Float32Array([1, 0]),
    saveat: new SaveAt({ ts, steps: true, dense: true }), stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-6 }),
  });
  for (const row of sol.ys) for (const x of row) assert.ok(isFloat32(x), `${x} is not a float32`);
  for (const t of [0.123, 3.3, 9.99]) for (const x of sol.evaluate(t)) assert.ok(isFloat32(x));
  assert.ok(sol.ysAs(0) instanceof Float32Array);
  assert.ok(sol.evaluateAs(1.5) instanceof Float32Array);
  // And it is still a solution to the tolerance asked for.
  const last = sol.ysAs(sol.ts.length - 1);
  assert.ok(Math.abs(last[0]! - Math.cos(10)) < 1e-4 && Math.abs(last[1]! + Math.sin(10)) < 1e-4);
  // Structures of Float32Arrays too.
  const nested = diffeqsolve({ terms: oscillator, solver: new Tsit5(), t0: 0, t1: 1, y0: { x: new Float32Array([1]), v: new Float32Array([0]) }, stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-6 }) });
  assert.ok(nested.ysAs(0).x instanceof Float32Array);
  // The structure travels (workers, resumed solves) with its float32 leaves.
  const s = Structure.fromJSON(JSON.parse(JSON.stringify(Structure.of({ x: new Float32Array(2), v: [1] }).toJSON())));
  assert.equal(s.float32, false);
  assert.ok((s.unflatten([1, 2, 3]) as { x: unknown }).x instanceof Float32Array);
  assert.equal(Structure.fromJSON(Structure.of(new Float32Array(3)).toJSON()).float32, true);
});

test("the float32 accuracy floor: rounding each of N steps costs about u√N relative (u = 2⁻²⁴), never more than uN", () => {
  // Vern7 at these steps is accurate to 1e-13 in float64, so the float32 error is the rounding alone.
  const u = 2 ** -24;
  for (const N of [1_000, 10_000]) {
    const t1 = 20;
    const solve = (y0: Float32Array | Float64Array) => diffeqsolve({ terms: oscillator, solver: new Vern7(), t0: 0, t1, dt0: t1 / N, y0, stepsizeController: new ConstantStepSize() }).ys[0]!;
    const f64 = solve(new Float64Array([1, 0])), f32 = solve(new Float32Array([1, 0]));
    assert.ok(Math.abs(f64[0]! - Math.cos(t1)) < 1e-12);
    const err = Math.hypot(f32[0]! - Math.cos(t1), f32[1]! + Math.sin(t1));
    assert.ok(err < u * N, `N = ${N}: error ${err} above the worst case uN = ${u * N}`);
    assert.ok(err > 0.05 * u * Math.sqrt(N) && err < 20 * u * Math.sqrt(N), `N = ${N}: error ${err}, u√N = ${u * Math.sqrt(N)}`);
  }
});

test("a tolerance below the float32 floor is refused with a named error; Float32Steps wraps any solver explicitly", () => {
  assert.throws(
    () => diffeqsolve({ terms: oscillator, solver: new Tsit5(), t0: 0, t1: 1, y0: new Float32Array([1, 0]), stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) }),
    /y0 is a Float32Array, so every step is rounded to float32.*rtol = 1e-8 is below 0.000001.*use rtol ≥ 0.000001, or pass y0 as a Float64Array/,
  );
  const wrapped = new Float32Steps(new Tsit5());
  const sol = diffeqsolve({ terms: oscillator, solver: wrapped, t0: 0, t1: 1, y0: [1, 0], stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-6 }) });
  assert.ok(isFloat32(sol.ys[0]![0]!) && isFloat32(sol.ys[0]![1]!));
  assert.equal(wrapped.name, "Tsit5");
});
