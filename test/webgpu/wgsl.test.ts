// The WGSL emitter (src/compile/wgsl.ts): every operation of the compiler's graph, run on the GPU
// in float32, against the compiled JavaScript in double precision on the same (float32) inputs.
// Exact operations (+ − × ÷ √, rounding, comparisons, selects) must agree to an ulp or two; the
// transcendental functions to 1e-3 over their whole range (that each means what JavaScript means:
// the right function, sign and domain), and the accurate helpers (src/compile/wgsl.ts: log, the
// trigonometric functions, log1p, expm1, sinh, tanh, asinh, atanh near 0, powers of negative
// bases) to 2e-6 relative, sin and cos of arguments near 1000 to 1e-6 absolute.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { compile } from "../../src/index.js";
import { COMPILED_GRAPH, type CompiledGraphInfo } from "../../src/compile/compile.js";
import { WGSL_MATH, wgslFunction, wgslLiteral } from "../../src/compile/wgsl.js";
import type { NodeWebGPU } from "../../src/node/webgpu.js";
import { testDevice } from "./device.js";
import { runKernel } from "./kernels.js";

test("float32 literals: nearest float32, negative parenthesised, infinities and NaN through helpers", () => {
  assert.equal(wgslLiteral(0.1), "0.10000000149011612f");
  assert.equal(wgslLiteral(-2), "(-2f)");
  assert.equal(wgslLiteral(3), "3f");
  assert.equal(wgslLiteral(1e39), "odeflow_inf()");
  assert.equal(wgslLiteral(-1e39), "(-odeflow_inf())");
  assert.equal(wgslLiteral(NaN), "odeflow_nan()");
  assert.equal(wgslLiteral(-0), "bitcast<f32>(0x80000000u)");
  assert.equal(wgslLiteral(1e-50), "0f");
});

let gpu: NodeWebGPU;
before(async () => {
  gpu = await testDevice();
});
after(() => gpu?.destroy());

// u ∈ (−0.9, 0.9), v ∈ (1.1, 5), w ∈ (−5, 5): every operation defined.
const OPS: [string, "exact" | "builtin" | "accurate" | "reduced"][] = [
  ["u + w", "exact"], ["u - w", "exact"], ["u * w", "exact"], ["w / v", "exact"], ["w % v", "exact"], ["-w", "exact"],
  ["Math.abs(w)", "exact"], ["Math.sqrt(v)", "exact"], ["Math.floor(w)", "exact"], ["Math.ceil(w)", "exact"], ["Math.round(w)", "exact"],
  ["Math.round(Math.floor(w) + 0.5)", "exact"], ["Math.trunc(w)", "exact"], ["Math.sign(w)", "exact"], ["Math.min(u, w)", "exact"],
  ["Math.max(u, w)", "exact"], ["u < w ? 1 : 0", "exact"], ["u <= w ? 2 : 3", "exact"], ["u > w ? w : u", "exact"], ["u >= w ? 1 : -1", "exact"],
  ["u === w ? 1 : 0", "exact"], ["u !== w ? 1 : 0", "exact"], ["w * w", "exact"], ["w ** 3", "exact"], ["v ** -2", "exact"], ["v ** 0.5", "exact"],
  ["Math.sin(w)", "builtin"], ["Math.cos(w)", "builtin"], ["Math.tan(u)", "builtin"], ["Math.exp(u)", "builtin"], ["Math.log(v)", "builtin"],
  ["Math.tanh(w)", "builtin"], ["Math.sinh(w)", "builtin"], ["Math.cosh(u)", "builtin"], ["Math.asin(u)", "builtin"], ["Math.acos(u)", "builtin"],
  ["Math.atan(w)", "builtin"], ["Math.asinh(w)", "builtin"], ["Math.acosh(v)", "builtin"], ["Math.atanh(u)", "builtin"], ["Math.log1p(u)", "builtin"],
  ["Math.expm1(u)", "builtin"], ["Math.log2(v)", "builtin"], ["Math.log10(v)", "builtin"], ["Math.cbrt(w)", "builtin"], ["Math.atan2(u, w)", "builtin"],
  ["Math.hypot(u, w)", "builtin"], ["v ** u", "builtin"], ["Math.tanh(20 * w)", "builtin"],
  ["Math.log1p(1e-5 * u)", "accurate"], ["Math.expm1(1e-5 * u)", "accurate"], ["Math.expm1(0.01 * u)", "accurate"], ["Math.sinh(1e-3 * u)", "accurate"],
  ["Math.tanh(1e-3 * u)", "accurate"], ["Math.asinh(1e-3 * u)", "accurate"], ["Math.asinh(-v)", "accurate"], ["Math.atanh(1e-3 * u)", "accurate"],
  ["(-v) ** 5", "accurate"], ["(-v) ** 6", "accurate"], ["Math.pow(w, 7)", "accurate"], ["Math.cbrt(-v)", "accurate"],
  ["Math.log(v)", "accurate"], ["Math.log(1e-3 * v)", "accurate"], ["Math.sin(u)", "accurate"], ["Math.cos(w)", "accurate"], ["Math.atan(w)", "accurate"], ["Math.asin(u)", "accurate"],
  // Arguments exact in float32 (×256), reduced over hundreds of quarter turns.
  ["Math.sin(256 * w)", "reduced"], ["Math.cos(256 * w)", "reduced"],
];

test("every graph operation in WGSL means what it means in JavaScript (float32 on the GPU vs double on the CPU)", async () => {
  const source = `(t, y) => { const u = y[0], v = y[1], w = y[2]; return [${OPS.map(([e]) => e).join(", ")}]; }`;
  const f = compile(source);
  const info = (f as unknown as Record<symbol, CompiledGraphInfo>)[COMPILED_GRAPH]!;
  const n = info.n;
  const m = OPS.length;
  assert.equal(n, m);
  const fn = wgslFunction(info.graph, info.outputs, { name: "f", n, param: () => "0.0" });
  const count = 256;
  const input = new Float32Array(3 * count);
  for (let i = 0; i < count; i++) {
    const s = (i + 0.5) / count;
    input[3 * i] = -0.9 + 1.8 * s;
    input[3 * i + 1] = 1.1 + 3.9 * ((s * 7.31) % 1);
    input[3 * i + 2] = -5 + 10 * ((s * 3.77) % 1);
  }
  input[3 * 5 + 2] = 2.5; // a half: Math.round rounds it up (WGSL's round would give 2)
  input[3 * 6 + 2] = -2.5; // Math.round(−2.5) = −2
  input[3 * 7 + 2] = input[3 * 7]!; // u === w
  const body = `${WGSL_MATH}${fn}
fn main(i: u32) {
  var y: array<f32, ${n}>;
  y[0] = bitcast<f32>(input[3u * i]);
  y[1] = bitcast<f32>(input[3u * i + 1u]);
  y[2] = bitcast<f32>(input[3u * i + 2u]);
  let r = f(0.0, y);
  for (var k = 0u; k < ${m}u; k++) { out[${m}u * i + k] = bitcast<u32>(r[k]); }
}`;
  const out = new Float32Array((await runKernel(gpu.device, body, new Uint32Array(input.buffer), m * count, count)).buffer);
  const y = new Float64Array(n);
  const ref = new Float64Array(n);
  for (let i = 0; i < count; i++) {
    y[0] = input[3 * i]!;
    y[1] = input[3 * i + 1]!;
    y[2] = input[3 * i + 2]!;
    f.f(0, y, undefined, ref);
    OPS.forEach(([expr, kind], k) => {
      const a = out[m * i + k]!;
      const b = ref[k]!;
      const tol = kind === "exact" ? 2.5e-7 * Math.abs(b) : kind === "builtin" ? 1e-3 * (1 + Math.abs(b)) : kind === "reduced" ? 1e-6 : 2e-6 * Math.abs(b) + 1e-30;
      assert.ok(Math.abs(a - b) <= tol, `${expr} at u = ${y[0]}, v = ${y[1]}, w = ${y[2]}: GPU ${a}, JavaScript ${b}`);
    });
  }
});
