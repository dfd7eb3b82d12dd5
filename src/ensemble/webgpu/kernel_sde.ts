/**
 * The SDE kernel: one invocation integrates one trajectory of dy = f dt + g dW with fixed steps,
 * by Euler–Maruyama or Rößler's SRA1 (additive noise), the formulas of the CPU's
 * `EulerMaruyama` and `SRA1` in the same order.
 *
 * The noise is `UnsafeBrownianPath`'s: the increment over the step [t_k, t_k + h_k] is
 * √h_k·Z with Z ~ N(0, I) from Philox4x32-10 keyed by the trajectory's seed and counted by the
 * 64 bits of the double t_k (with the space–time Lévy area √(h_k/12)·Z′ under another tag). The
 * host computes the CPU's step times t_k = t0 + k·(t1 − t0)/N in double precision and passes their
 * bits (with t_k and h_k in float32) in `grid`, so a trajectory's Philox words are the ones the CPU
 * draws for it, and its noise can be reproduced there up to float32 rounding.
 */
import { UNSAFE_H_TAG, UNSAFE_W_TAG } from "../../brownian/unsafe_path.js";
import { RESULTS } from "../../results.js";
import { entryPoint, graphFunction, lit, moduleHead } from "./kernel_common.js";
import { WGSL_PHILOX } from "./philox_wgsl.js";
import type { FixedSteps, GpuProblem, SdeMethod } from "./problem.js";

/** Extra bindings of the SDE kernel: the trajectories' Philox keys and the shared step grid. */
const SDE_BINDINGS = `@group(0) @binding(6) var<storage, read> keys: array<u32>;
@group(0) @binding(7) var<storage, read> grid: array<vec4<u32>>;`;

/** `noise(tag, lo, hi, scale)`: scale·Z for the m Brownian components, into `nz`. */
function noiseFunction(m: number): string {
  const lines = [`fn noise(tag: u32, lo: u32, hi: u32, scale: f32) -> array<f32, ${m}> {`, `  var out: array<f32, ${m}>;`];
  for (let b = 0; 2 * b < m; b++) {
    lines.push(`  { let z = odeflow_normal_pair(vec4<u32>(lo, hi, ${b}u, tag), key); out[${2 * b}] = scale * z.x;${2 * b + 1 < m ? ` out[${2 * b + 1}] = scale * z.y;` : ""} }`);
  }
  lines.push("  return out;", "}");
  return lines.join("\n");
}

/** `out_i = base_i + Σ_j g_ij v_j` (general) or `base_i + g_i v_i` (diagonal), as the CPU's addNoise. */
function addNoise(s: SdeMethod, n: number, out: string, base: string, g: string, v: string): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (s.diagonal) lines.push(`  ${out}[${i}] = ${base}[${i}] + ${g}[${i}] * ${v}[${i}];`);
    else if (s.m === 1) lines.push(`  ${out}[${i}] = ${base}[${i}] + ${g}[${i}] * ${v}[0];`);
    else {
      let acc = `${base}[${i}]`;
      for (let j = 0; j < s.m; j++) acc = `${acc} + ${g}[${i * s.m + j}] * ${v}[${j}]`;
      lines.push(`  ${out}[${i}] = ${acc};`);
    }
  }
  return lines.join("\n");
}

/** `sde_step(k, t, h)`: y1 from y over grid step k. */
function stepFunction(s: SdeMethod, n: number): string {
  const m = s.m;
  const head = ["fn sde_step(k: u32, t: f32, h: f32) {", "  let cell = grid[k];", "  let q = sqrt(h);", `  var dW = noise(${UNSAFE_W_TAG}u, cell.x, cell.y, q);`];
  if (s.scheme === "euler-maruyama") {
    const lines = [...head, "  let k0 = f(t, sy);", "  let g0 = g(t, sy);"];
    for (let i = 0; i < n; i++) {
      if (s.diagonal) lines.push(`  sy1[${i}] = sy[${i}] + k0[${i}] * h + g0[${i}] * dW[${i}];`);
      else if (m === 1) lines.push(`  sy1[${i}] = sy[${i}] + k0[${i}] * h + g0[${i}] * dW[0];`);
      else {
        let acc = `sy[${i}] + k0[${i}] * h`;
        for (let j = 0; j < m; j++) acc = `${acc} + g0[${i * m + j}] * dW[${j}]`;
        lines.push(`  sy1[${i}] = ${acc};`);
      }
    }
    lines.push("  evals += 1u;", "}");
    return lines.join("\n");
  }
  // SRA1 (Rößler 2010), as the CPU's SRA1.step.
  const lines = [
    ...head,
    `  var dH = noise(${UNSAFE_H_TAG}u, cell.x, cell.y, q * ${lit(Math.sqrt(1 / 12))});`,
    "  let g0 = g(t, sy);",
    "  let g1 = g(t + h, sy);",
    "  let k0 = f(t, sy);",
    `  var v0: array<f32, ${m}>;`,
    `  var v1: array<f32, ${m}>;`,
    `  for (var j = 0u; j < ${m}u; j++) { let chi = 0.5 * dW[j] + dH[j]; v0[j] = 1.5 * chi; v1[j] = dW[j] - chi; }`,
    `  var tmp: array<f32, ${n}>;`,
  ];
  for (let i = 0; i < n; i++) lines.push(`  tmp[${i}] = sy[${i}] + 0.75 * h * k0[${i}];`);
  lines.push(addNoise(s, n, "tmp", "tmp", "g1", "v0"), "  let k1 = f(t + 0.75 * h, tmp);");
  for (let i = 0; i < n; i++) lines.push(`  tmp[${i}] = sy[${i}] + h * (k0[${i}] / 3.0 + ${lit(2 / 3)} * k1[${i}]);`);
  lines.push(addNoise(s, n, "tmp", "tmp", "g1", "v1"));
  lines.push(`  for (var j = 0u; j < ${m}u; j++) { v0[j] = 0.5 * dW[j] + dH[j]; }`);
  lines.push(addNoise(s, n, "sy1", "tmp", "g0", "v0"), "  evals += 2u;", "}");
  return lines.join("\n");
}

/** The WGSL module of an SDE ensemble (fixed steps on the host's grid). */
export function sdeKernel(p: GpuProblem, workgroupSize: number, storeRows: boolean): string {
  const s = p.method as SdeMethod;
  const { n } = p;
  const steps = (p.controller as FixedSteps).steps;
  const kts = p.saveTs.length;
  const functions = [
    `const T0: f32 = ${lit(p.t0)};`,
    `const T1: f32 = ${lit(p.t1)};`,
    `const NSTEPS: u32 = ${steps}u;`,
    `const MAXSTEPS: u32 = ${p.maxSteps}u;`,
    `const KTS: u32 = ${kts}u;`,
    WGSL_PHILOX,
    `var<private> key: vec2<u32>;`,
    `var<private> sy: array<f32, ${n}>;`,
    `var<private> sy1: array<f32, ${n}>;`,
    `var<private> evals: u32;`,
    graphFunction(p.f, "f", n),
    graphFunction(s.diffusion, "g", n),
    noiseFunction(s.m),
    stepFunction(s, n),
  ].join("\n");
  const saveTs = kts === 0 ? "" : `    while (its < KTS && save_ts[its] <= tNext) {
      let ti = save_ts[its];
      if (ti == tNext) { save(sy1); } else {
        let theta = (ti - t) / h;
        var yi: array<f32, ${n}>;
        for (var j = 0u; j < N; j++) { yi[j] = sy[j] + theta * (sy1[j] - sy[j]); }
        save(yi);
      }
      its += 1u;
    }`;
  const solve = `
fn solve(y_init: array<f32, ${n}>) {
  sy = y_init;
  key = vec2<u32>(keys[2u * lane], keys[2u * lane + 1u]);
  var t = T0;
  var its = 0u;
  var steps = 0u;
  var accepted = 0u;
  var rejected = 0u;
  var result = ${RESULTS.successful}u;
  evals = 0u;
${p.saveT0 ? "  save(sy);\n" : ""}${kts > 0 ? "  while (its < KTS && save_ts[its] == T0) { save(sy); its += 1u; }\n" : ""}  for (var k = 0u; k < NSTEPS; k++) {
    if (steps >= MAXSTEPS) { result = ${RESULTS.maxStepsReached}u; break; }
    t = bitcast<f32>(grid[k].z);
    let h = bitcast<f32>(grid[k].w);
    var tNext = T1;
    if (k + 1u < NSTEPS) { tNext = bitcast<f32>(grid[k + 1u].z); }
    sde_step(k, t, h);
    steps += 1u;
    var finite = true;
    for (var j = 0u; j < N; j++) { if (!odeflow_finite(sy1[j])) { finite = false; } }
    if (!finite) { result = ${RESULTS.nonFiniteEncountered}u; rejected += 1u; break; }
    accepted += 1u;
${saveTs}
    sy = sy1;
    t = tNext;
  }
  if (result == ${RESULTS.successful}u) {
${kts > 0 ? "    while (its < KTS) { save(sy); its += 1u; }\n" : ""}${p.saveT1 ? "    save(sy);\n" : ""}  }
  finish(result, t, steps, accepted, rejected, evals);
}
`;
  return moduleHead(p, storeRows, SDE_BINDINGS, functions) + solve + entryPoint(p, workgroupSize);
}
