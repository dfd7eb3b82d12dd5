/**
 * Philox4x32-10 and the Box–Muller normals of `UnsafeBrownianPath`, in WGSL: the same
 * counter-based stream as the CPU's (src/brownian/philox.ts), so that the GPU draws the very
 * words the CPU draws for the same counter and key (the tests compare them bit for bit).
 *
 * WGSL has no 64-bit integers: the 32×32 → 64-bit products of each round are formed from 16-bit
 * halves (u32 multiplication wraps, so the low word is the plain product).
 *
 * The normals use the CPU's uniforms, u₁ = (⌊w₀/2⁵⌋·2²⁶ + ⌊w₁/2⁶⌋ + ½)·2⁻⁵³ ∈ (0, 1] and
 * u₂ = (⌊w₂/2⁵⌋·2²⁶ + ⌊w₃/2⁶⌋)·2⁻⁵³, evaluated in float32 (a relative error of 2⁻²³ at any size,
 * since both halves are scaled exactly), then r = √(−2 ln u₁), z = (r cos 2πu₂, r sin 2πu₂).
 * The logarithm, sine and cosine are computed here from +, ×, ÷ (which GPUs round correctly)
 * rather than with WGSL's built-ins, whose required accuracy is loose (`cos` and `sin` 2⁻¹¹
 * absolute, `log` 2⁻²¹ absolute near 1) and differs between GPUs: ln u by `odeflow_ln` of the
 * compiler's WGSL helpers (src/compile/wgsl.ts; emit WGSL_MATH before this), cos and sin of 2πu₂
 * from the quarter turn k = round(4u₂) and the remainder angle θ = (4u₂ − k)·π/2 ∈ [−π/4, π/4]
 * (4u₂ − k is exact), with Taylor polynomials through θ⁹ and θ¹⁰. Each is within a few float32 ulps.
 *
 * Reference: J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel random numbers: as
 * easy as 1, 2, 3", SC'11 (2011); G. E. P. Box and M. E. Muller, Ann. Math. Statist. 29 (1958).
 */

/** WGSL: `odeflow_philox(counter, key) -> vec4<u32>` and `odeflow_normal_pair(counter, key) -> vec2<f32>`. */
export const WGSL_PHILOX = `
fn odeflow_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(a * b, hi);
}
fn odeflow_philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = counter;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let p0 = odeflow_mulhilo(0xd2511f53u, x.x);
    let p1 = odeflow_mulhilo(0xcd9e8d57u, x.z);
    x = vec4<u32>(p1.y ^ x.y ^ k.x, p1.x, p0.y ^ x.w ^ k.y, p0.x);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return x;
}
fn odeflow_cos_sin_turns(u: f32) -> vec2<f32> {
  let q = 4.0 * u;
  let k = floor(q + 0.5);
  let a = (q - k) * 1.5707963267948966;
  let a2 = a * a;
  let s = a * (1.0 + a2 * (-1.0 / 6.0 + a2 * (1.0 / 120.0 + a2 * (-1.0 / 5040.0 + a2 * (1.0 / 362880.0)))));
  let c = 1.0 + a2 * (-0.5 + a2 * (1.0 / 24.0 + a2 * (-1.0 / 720.0 + a2 * (1.0 / 40320.0 + a2 * (-1.0 / 3628800.0)))));
  let quarter = u32(k) & 3u;
  if (quarter == 0u) { return vec2<f32>(c, s); }
  if (quarter == 1u) { return vec2<f32>(-s, c); }
  if (quarter == 2u) { return vec2<f32>(-c, -s); }
  return vec2<f32>(s, -c);
}
fn odeflow_normal_pair(counter: vec4<u32>, key: vec2<u32>) -> vec2<f32> {
  let w = odeflow_philox(counter, key);
  let u1 = (f32(w.x >> 5u) * 67108864.0 + (f32(w.y >> 6u) + 0.5)) * 1.1102230246251565e-16;
  let u2 = (f32(w.z >> 5u) * 67108864.0 + f32(w.w >> 6u)) * 1.1102230246251565e-16;
  // u1 rounds to 1 in float32 (probability 2⁻²⁵): ln 1 may then come out a rounding error above 0.
  let r = sqrt(max(0.0, -2.0 * odeflow_ln(u1)));
  return r * odeflow_cos_sin_turns(u2);
}
`;
