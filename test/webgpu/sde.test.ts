// The WebGPU SDE kernel and its noise: Philox4x32-10 in WGSL gives the CPU's words bit for bit,
// its normals the CPU's to float32 rounding, a GPU trajectory is the CPU trajectory with the same
// seed (UnsafeBrownianPath's stream), and Ornstein–Uhlenbeck moments come out within standard
// errors of their closed forms.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  compile, ConstantStepSize, ControlTerm, EulerMaruyama, MultiTerm, normalPair, ODETerm, philox4x32, SaveAt, solveEnsemble, SRA1,
  UnsafeBrownianPath,
} from "../../src/index.js";
import { WGSL_PHILOX } from "../../src/ensemble/webgpu/philox_wgsl.js";
import { WGSL_MATH } from "../../src/compile/wgsl.js";
import type { NodeWebGPU } from "../../src/node/webgpu.js";
import { testDevice } from "./device.js";
import { runKernel } from "./kernels.js";

let gpu: NodeWebGPU;
before(async () => {
  gpu = await testDevice();
});
after(() => gpu?.destroy());

/** Counters and keys: the Random123 known-answer inputs, then a spread of words, with high bits set. */
function inputs(count: number): Uint32Array {
  const w = new Uint32Array(6 * count);
  const kat = [[0, 0, 0, 0, 0, 0], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0]];
  let x = 0x9e3779b9;
  for (let i = 0; i < count; i++) {
    for (let q = 0; q < 6; q++) {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i + q) >>> 0;
      w[6 * i + q] = i < kat.length ? kat[i]![q]! : x;
    }
  }
  return w;
}

test("Philox4x32-10 in WGSL: the CPU's words bit for bit (Random123 known answers included), normals to float32 rounding", async () => {
  const count = 512;
  const input = inputs(count);
  const body = `${WGSL_MATH}${WGSL_PHILOX}
fn main(i: u32) {
  let c = vec4<u32>(input[6u * i], input[6u * i + 1u], input[6u * i + 2u], input[6u * i + 3u]);
  let k = vec2<u32>(input[6u * i + 4u], input[6u * i + 5u]);
  let w = odeflow_philox(c, k);
  let z = odeflow_normal_pair(c, k);
  out[6u * i] = w.x; out[6u * i + 1u] = w.y; out[6u * i + 2u] = w.z; out[6u * i + 3u] = w.w;
  out[6u * i + 4u] = bitcast<u32>(z.x); out[6u * i + 5u] = bitcast<u32>(z.y);
}`;
  const out = await runKernel(gpu.device, body, input, 6 * count, count);
  const f = new Float32Array(out.buffer);
  const words = new Uint32Array(4);
  const z = new Float64Array(2);
  let worst = 0;
  for (let i = 0; i < count; i++) {
    const a = Array.from(input.subarray(6 * i, 6 * i + 6));
    philox4x32(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, words);
    assert.deepEqual(Array.from(out.subarray(6 * i, 6 * i + 4)), Array.from(words), `words of counter ${i}`);
    normalPair(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, z, 0);
    for (let q = 0; q < 2; q++) worst = Math.max(worst, Math.abs(f[6 * i + 4 + q]! - z[q]!) / (1 + Math.abs(z[q]!)));
  }
  assert.deepEqual(Array.from(out.subarray(0, 4)), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8], "Random123 known answer");
  // ln, sqrt, cos, sin in float32 from +, ×, ÷ (philox_wgsl.ts): a few ulps each.
  if (process.env.ODEFLOW_REPORT) console.log(`normals: worst relative difference ${worst}`);
  assert.ok(worst < 2e-6, `normals differ from the CPU's by ${worst} (relative)`);
});

// Ornstein–Uhlenbeck dX = θ(μ − X) dt + σ dW, X(0) = x0.
const theta = 2;
const mu = 1;
const sigma = 0.5;
const x0 = 3;
const drift = compile((t: number, [x]: number[], a: { theta: number; mu: number }) => [a.theta * (a.mu - x)]);
const diffusion = compile((t: number, [x]: number[], a: { sigma: number }) => [a.sigma]);
const path = new UnsafeBrownianPath({ shape: 1, seed: 0, levyArea: "space-time" });
const ou = (solver: EulerMaruyama | SRA1, N: number, h: number, ts: number[]): any => ({
  terms: new MultiTerm(new ODETerm(drift), new ControlTerm(diffusion.f, (a: { seed: number }) => path.withSeed(a.seed), { additive: true })),
  solver, t0: 0, t1: 1, dt0: h, stepsizeController: new ConstantStepSize(), trajectories: N,
  y0: () => [x0], args: (i: number) => ({ theta, mu, sigma, seed: 1000 + i }),
  saveat: new SaveAt({ ts }),
});

test("a GPU trajectory is the CPU trajectory with the same seed (Euler–Maruyama and SRA1, UnsafeBrownianPath's stream)", async () => {
  for (const solver of [new EulerMaruyama(), new SRA1()]) {
    const o = ou(solver, 64, 0.01, [0.5, 1]);
    const g = await solveEnsemble({ ...o, backend: "webgpu", device: gpu.device });
    const c = await solveEnsemble(o);
    for (let i = 0; i < 64; i++) {
      assert.equal(g.result(i), 0);
      assert.equal(g.numSteps[i], 100);
      const a = g.ysOf(i);
      const b = c.ysOf(i);
      // 100 steps of float32 rounding (ε ≈ 1.2e-7 relative per operation) on |x| ≈ 1–3.
      for (let k = 0; k < 2; k++) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-5, `${solver.name} trajectory ${i}, t = ${c.tsOf(i)[k]}: ${a[k]} vs ${b[k]}`);
    }
  }
});

test("Ornstein–Uhlenbeck moments (computed on the GPU) within 4 standard errors of their closed forms", async () => {
  const N = 512;
  const h = 0.01;
  const ts = [0.1, 0.25, 0.5, 1];
  // Euler–Maruyama's own moments: X_k − μ = (1 − θh)^k (x0 − μ) + noise, Var_k = σ²h Σ_{j<k} (1 − θh)^{2j}.
  // SRA1 (strong order 1.5 for additive noise) is compared with the exact moments of the SDE.
  const exact = (t: number) => ({ mean: mu + (x0 - mu) * Math.exp(-theta * t), variance: ((sigma * sigma) / (2 * theta)) * (1 - Math.exp(-2 * theta * t)) });
  const em = (t: number) => {
    const k = Math.round(t / h);
    const a = 1 - theta * h;
    return { mean: mu + (x0 - mu) * a ** k, variance: (sigma * sigma * h * (1 - a ** (2 * k))) / (1 - a * a) };
  };
  for (const [solver, expected] of [[new EulerMaruyama(), em], [new SRA1(), exact]] as const) {
    const sol = await solveEnsemble({ ...ou(solver, N, h, ts), backend: "webgpu", device: gpu.device, webgpu: { keepSaved: false, moments: true } });
    const m = sol.moments!;
    assert.equal(sol.ys.length, 0);
    ts.forEach((t, r) => {
      const { mean, variance } = expected(t);
      assert.equal(m.count[r], N);
      const seMean = Math.sqrt(variance / N);
      const seVar = variance * Math.sqrt(2 / (N - 1));
      assert.ok(Math.abs(m.mean[r]! - mean) < 4 * seMean, `${solver.name} mean at t = ${t}: ${m.mean[r]} vs ${mean} (SE ${seMean})`);
      assert.ok(Math.abs(m.variance[r]! - variance) < 4 * seVar, `${solver.name} variance at t = ${t}: ${m.variance[r]} vs ${variance} (SE ${seVar})`);
    });
  }
});
