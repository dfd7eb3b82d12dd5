/**
 * A corpus of real vector fields for the compiler tests: each with its original function (the
 * reference), the options to compile it, and a generator of random inputs.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

/** A deterministic generator (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CorpusEntry {
  name: string;
  fn: (...a: any[]) => any;
  n: number;
  options: Record<string, unknown>;
  /** Random state and args. */
  sample(r: () => number): { t: number; y: Float64Array; args: any };
}

const uniform = (r: () => number, lo: number, hi: number) => lo + (hi - lo) * r();
const vec = (r: () => number, n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => uniform(r, lo, hi));

// ---- Lorenz (returning, destructured) ----
export const lorenz = (t: number, [x, y, z]: Float64Array, { sigma, rho, beta }: { sigma: number; rho: number; beta: number }) =>
  [sigma * (y - x), x * (rho - z) - y, x * y - beta * z];

// ---- Arenstorf orbit (in place), Hairer–Nørsett–Wanner I, §II.0 ----
export const arenstorf = (t: number, y: Float64Array, args: { mu: number }, dy: Float64Array) => {
  const mu = args.mu;
  const mup = 1 - mu;
  const D1 = ((y[0]! + mu) ** 2 + y[1]! ** 2) ** 1.5;
  const D2 = Math.pow((y[0]! - mup) ** 2 + y[1]! ** 2, 1.5);
  dy[0] = y[2]!;
  dy[1] = y[3]!;
  dy[2] = y[0]! + 2 * y[3]! - (mup * (y[0]! + mu)) / D1 - (mu * (y[0]! - mup)) / D2;
  dy[3] = y[1]! - 2 * y[2]! - (mup * y[1]!) / D1 - (mu * y[1]!) / D2;
};

// ---- ROBER (in place), Hairer–Wanner II, §IV.1 ----
export const rober = (t: number, y: Float64Array, { k1, k2, k3 }: { k1: number; k2: number; k3: number }, dy: Float64Array) => {
  const [a, b, c] = [y[0]!, y[1]!, y[2]!];
  dy[0] = -k1 * a + k3 * b * c;
  dy[1] = k1 * a - k2 * b * b - k3 * b * c;
  dy[2] = k2 * b * b;
};

// ---- Van der Pol (returning, with a helper) ----
export const vdpol = (t: number, [x, v]: Float64Array, { mu }: { mu: number }) => {
  const damping = (u: number) => 1 - u * u;
  return [v, mu * (damping(x) * v - x)];
};

// ---- 20-species chemistry network: a loop over a reaction list ----
export const SPECIES = 20;
export const reactions: { reactants: number[]; products: number[]; k: number }[] = (() => {
  const r = rng(7);
  const list: { reactants: number[]; products: number[]; k: number }[] = [];
  for (let i = 0; i < 36; i++) {
    const a = Math.floor(r() * SPECIES);
    const b = Math.floor(r() * SPECIES);
    const c = Math.floor(r() * SPECIES);
    list.push(i % 3 === 0 ? { reactants: [a], products: [b, c], k: i } : { reactants: [a, b], products: [c], k: i });
  }
  return list;
})();
export const chemistry = (t: number, y: Float64Array, args: { k: Float64Array }, dy: Float64Array) => {
  dy.fill(0);
  for (const rx of reactions) {
    let rate = args.k[rx.k]!;
    for (const s of rx.reactants) rate *= y[s]!;
    for (const s of rx.reactants) dy[s] -= rate;
    for (const s of rx.products) dy[s] += rate;
  }
};

// ---- 1-D heat equation, N = 100, Dirichlet zero boundaries, written with a loop ----
export const N = 100;
export const heat = (t: number, u: Float64Array, args: { D: number }, du: Float64Array) => {
  const h = 1 / (N + 1);
  const c = args.D / (h * h);
  for (let i = 0; i < N; i++) {
    const left = i > 0 ? u[i - 1]! : 0;
    const right = i < N - 1 ? u[i + 1]! : 0;
    du[i] = c * (left - 2 * u[i]! + right);
  }
};

// ---- A tanh neural-network vector field, weights in args ----
export const NN = 4;
export const HIDDEN = 8;
export const neural = (t: number, y: Float64Array, p: { W1: Float64Array; b1: Float64Array; W2: Float64Array; b2: Float64Array }, dy: Float64Array) => {
  const h: number[] = [];
  for (let j = 0; j < HIDDEN; j++) {
    let z = p.b1[j]!;
    for (let k = 0; k < NN; k++) z += p.W1[j * NN + k]! * y[k]!;
    h[j] = Math.tanh(z);
  }
  for (let i = 0; i < NN; i++) {
    let acc = p.b2[i]!;
    for (let j = 0; j < HIDDEN; j++) acc += p.W2[i * HIDDEN + j]! * h[j]!;
    dy[i] = acc;
  }
};

// ---- A forced, time-dependent oscillator with a run-time branch (for dfdt and selects) ----
export const forced = (t: number, y: Float64Array, args: { w: number; a: number }, dy: Float64Array) => {
  let drive: number;
  if (y[0]! > 0) drive = args.a * Math.cos(args.w * t);
  else drive = args.a * Math.sin(args.w * t) * y[1]!;
  dy[0] = y[1]!;
  dy[1] = -y[0]! - 0.1 * y[1]! * Math.abs(y[0]!) + drive + Math.exp(-t) * Math.max(y[0]!, y[1]!);
};

// ---- Every supported Math function and operator, on a domain where each is smooth ----
export const mathZoo = (t: number, [a, b, c]: Float64Array, { p }: { p: number }) => {
  const u = Math.sin(a) * Math.cos(b) + Math.tan(c) - Math.exp(a * b) + Math.log(b) * Math.sqrt(c) + Math.abs(a - 1);
  const v = Math.tanh(a) + Math.sinh(b) * Math.cosh(c) + Math.asin(a) - Math.acos(b) + Math.atan(c * p);
  const w = Math.asinh(a) + Math.acosh(1 + b) + Math.atanh(c) + Math.log1p(a) - Math.expm1(b) + Math.log2(c) + Math.log10(a + b);
  const x = Math.cbrt(a - 2) + Math.pow(b, p) + c ** a + Math.atan2(a, b) + Math.min(a, b) * Math.max(b, c) + Math.hypot(a, c) + (a * 7.5) % p;
  const s = a > b ? a * a * p : b / (1 + c);
  return [u * v + Math.sign(a) * t, w - x * s + (b <= c ? Math.cos(t) : Math.sin(t * c)), Math.floor(a * 3) + u / (1 + v * v) - Math.trunc(-x) * 0 + s * t];
};

export const corpus: CorpusEntry[] = [
  { name: "Lorenz", fn: lorenz, n: 3, options: {}, sample: (r) => ({ t: r(), y: vec(r, 3, -20, 20), args: { sigma: uniform(r, 5, 15), rho: uniform(r, 20, 30), beta: uniform(r, 1, 4) } }) },
  { name: "Arenstorf", fn: arenstorf, n: 4, options: {}, sample: (r) => ({ t: r(), y: vec(r, 4, -1.5, 1.5), args: { mu: 0.012277471 } }) },
  { name: "ROBER", fn: rober, n: 3, options: {}, sample: (r) => ({ t: r(), y: vec(r, 3, 0.1, 1), args: { k1: 0.04, k2: 3e7, k3: 1e4 } }) },
  { name: "VDPOL", fn: vdpol, n: 2, options: {}, sample: (r) => ({ t: r(), y: vec(r, 2, -2, 2), args: { mu: uniform(r, 0.5, 10) } }) },
  {
    name: "chemistry (20 species)", fn: chemistry, n: SPECIES, options: { consts: { reactions } },
    sample: (r) => ({ t: r(), y: vec(r, SPECIES, 0.1, 1), args: { k: vec(r, reactions.length, 0.1, 2) } }),
  },
  { name: "heat (N = 100)", fn: heat, n: N, options: { consts: { N } }, sample: (r) => ({ t: r(), y: vec(r, N, -1, 1), args: { D: uniform(r, 0.5, 2) } }) },
  {
    name: "tanh neural network", fn: neural, n: NN, options: { consts: { NN, HIDDEN } },
    sample: (r) => ({
      t: r(), y: vec(r, NN, -1, 1),
      args: { W1: vec(r, HIDDEN * NN, -1, 1), b1: vec(r, HIDDEN, -1, 1), W2: vec(r, NN * HIDDEN, -1, 1), b2: vec(r, NN, -1, 1) },
    }),
  },
  { name: "Math functions", fn: mathZoo, n: 3, options: {}, sample: (r) => ({ t: r() * 3, y: vec(r, 3, 0.2, 0.8), args: { p: uniform(r, 1.5, 2.5) } }) },
  { name: "forced oscillator (branches)", fn: forced, n: 2, options: {}, sample: (r) => ({ t: r() * 3, y: vec(r, 2, -1, 1), args: { w: uniform(r, 0.5, 2), a: uniform(r, 0.1, 1) } }) },
];

/** Evaluates an original (returning or in-place) function into a new array. */
export function evalOriginal(fn: (...a: any[]) => any, n: number, t: number, y: Float64Array, args: unknown): Float64Array {
  const dy = new Float64Array(n);
  const r = fn(t, y, args, dy);
  if (r !== undefined) for (let i = 0; i < n; i++) dy[i] = r[i];
  return dy;
}

/** Flat parameter vector of an args object in argNames order (the documented layout). */
export function flatArgs(args: any, argNames: readonly string[]): Float64Array {
  return Float64Array.from(argNames, (name) => {
    const m = /^(.*)\[(\d+)\]$/.exec(name);
    return m ? args[m[1]!][Number(m[2])] : args[name];
  });
}
