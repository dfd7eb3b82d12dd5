/**
 * The memory layout shared by the generated WebAssembly kernels and the JavaScript that drives
 * them. Kernels take no arguments that vary per call: they read the step's scalars and the
 * addresses of the vectors they work on from a fixed header at address 0, which JavaScript
 * writes through typed-array views (no double crosses a call, so none is boxed).
 *
 * Header (bytes):
 * - 0 … 63: f64 slots: t, dt, t1, rtol, atol, and the scalar results of the norm kernels.
 * - 64 … 127: i32 slots: n, then the byte addresses of y0, y1, yErr, yErr2, ytmp, the
 *   interpolation output, the interpolation weights, the rtol/atol vectors, the vector field's
 *   parameters and constant tables.
 * - 128 …: i32 addresses of the stage vectors k_0 … k_(S−1) (S = the dense-output stage count),
 *   permuted by JavaScript when first-same-as-last swaps two stages.
 *
 * Vectors start on 16-byte boundaries and are padded to a multiple of four doubles, so the SIMD
 * loops (two f64 lanes, two pairs per iteration) run over whole groups; the padding is scratch
 * that no result reads.
 */

/** f64 slot indices (byte offset = 8 × index). */
export const F64 = {
  t: 0,
  dt: 1,
  t1: 2,
  rtol: 3,
  atol: 4,
  /** Time at which the fused kernels evaluate the vector field (restart, dense extras). */
  tEval: 5,
  /** Result of the norm kernels (stored, not returned: a double returned to JavaScript is boxed). */
  norm: 6,
} as const;

/** i32 slot indices (byte offset = 4 × index). */
export const I32 = {
  n: 16,
  y0: 17,
  y1: 18,
  yErr: 19,
  yErr2: 20,
  ytmp: 21,
  out: 22,
  weights: 23,
  rtolVec: 24,
  atolVec: 25,
  params: 26,
  consts: 27,
  scratch: 28,
  /** Input and output vector of a single vector-field evaluation (fused kernels). */
  fIn: 29,
  fOut: 30,
  /** First stage address; stage i is at slot kBase + i. */
  kBase: 32,
} as const;

/** Byte address of an f64 header slot. */
export const f64Addr = (slot: number): number => 8 * slot;
/** Byte address of an i32 header slot. */
export const i32Addr = (slot: number): number => 4 * slot;

/** Bytes of the header for S stage vectors (a multiple of 16). */
export function headerBytes(stages: number): number {
  return roundUp16(4 * (I32.kBase + stages));
}

/** Rounds a byte count up to a multiple of 16. */
export function roundUp16(bytes: number): number {
  return (bytes + 15) & ~15;
}

/** Bytes of a vector of n doubles, padded to a multiple of four (the loops do two pairs per iteration). */
export function vectorBytes(n: number): number {
  return 8 * ((n + 3) & ~3);
}

/** WebAssembly page size. */
export const PAGE = 65536;
