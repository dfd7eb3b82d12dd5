// The contract every fuzzed call must keep, and the problems with known solutions it is checked on.
//
// A call of the public API, whatever its input, ends in exactly one of:
//  (a) a NAMED odeflow error: an Error whose message
//      1. starts with the public API that refused the input, followed by ":" or "(" —
//         `diffeqsolve: …`, `new PIDController(options): …`, `compile: …`, `solveEnsemble: …`;
//      2. names the offending argument: when the fuzzer corrupted specific arguments, one of
//         those by name (`rtol`, `y0`, `saveat.ts[3]`); otherwise some argument in backticks;
//      3. contains none of JavaScript's own phrases ("Cannot read properties", "is not a
//         function", "Invalid typed array length", "Maximum call stack", "undefined undefined");
//  (b) for valid input, a solution whose result is success AND whose answer meets a
//      tolerance-consistent error against the closed-form solution (invalid input that is
//      accepted instead of refused breaks the contract even when the answer happens to be right);
//  (c) a failure result code (returned with `throw: false`, or a SolveError carrying it) with the
//      data computed up to the failure: saved times monotone inside [t0, tFinal], finite rows.
// Never a raw JavaScript error, never a run past its step budget (every solve has a small
// `maxSteps` and a wall-clock bound), never success with a wrong answer.
//
// Seeded through test/fuzz-params.ts: ODEFLOW_FUZZ_SEED and ODEFLOW_FUZZ_RUNS give longer or
// different runs: ODEFLOW_FUZZ_RUNS=x50 ODEFLOW_FUZZ_SEED=7 node scripts/test.mjs fuzz.
import { isOkay, SolveError, type Solution } from "../../src/index.js";

/** The default seed of the fuzz properties (each passes it to fuzzParams, which reads ODEFLOW_FUZZ_SEED). */
export const FUZZ_SEED = 20260601;

/** Runs of a property: `fallback` in `npm test`, more with ODEFLOW_FUZZ_RUNS (see test/fuzz-params.ts). */
export { fuzzRuns } from "../fuzz-params.js";


/** A test timeout that grows with the number of runs (a hang fails the test instead of blocking it). */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return Math.max(60_000, runs * msPerRun);
}

/** Wall-clock bound of one fuzzed call: its step budget is small, so anything longer is a hang. */
export const WALL_MS = 3_000;

const RAW_PHRASES = [
  /Cannot read propert/i, /is not a function/, /is not iterable/, /Invalid typed array length/, /Invalid array length/,
  /Maximum call stack/, /undefined undefined/, /is not defined/, /Cannot convert/, /Array buffer allocation failed/,
  /Unexpected token/, /has already been declared/, /\[object Object\]/,
];

/**
 * Why `e` is not a named odeflow error of one of `apis`, or null when it is. `corrupted`: the
 * arguments the fuzzer made invalid (or words that name them); when given, the message must name
 * one of them. A message that reports an exception thrown by the user's own callback ("the vector
 * field threw an error at t = …: <the user's message>") is judged on its own part only.
 */
export function unnamedReason(e: unknown, apis: readonly string[], corrupted: readonly string[] = []): string | null {
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  if (e instanceof SyntaxError || e instanceof ReferenceError) return `raw ${e.name}: ${e.message}`;
  const m = e.message;
  const own = m.replace(/ threw( an error)?( at t = [^:]*)?:[\s\S]*$/, " threw");
  for (const p of RAW_PHRASES) if (p.test(own)) return `message has JavaScript's own phrase ${p}: ${m}`;
  if (!apis.some((api) => m.startsWith(api + ":") || m.startsWith(api + "(") || m.startsWith(api + "."))) {
    return `message does not start with the API (${apis.join(" | ")}): ${m}`;
  }
  if (corrupted.length > 0) {
    if (!corrupted.some((c) => own.includes(c))) return `message names none of the corrupted arguments (${corrupted.join(", ")}): ${m}`;
  } else if (!/`[^`]+`|\(\{ \w+ \}\)/.test(own)) return `message names no argument (in backticks, or as ({ name })): ${m}`;
  return null;
}

/** Why a failed solution does not hold the data up to its failure, or null. */
export function partialReason(sol: Solution<unknown>, t0: number, t1: number): string | null {
  if (isOkay(sol.result)) return `result ${sol.result} is okay where a failure was expected`;
  const dir = t1 >= t0 ? 1 : -1;
  const tf = sol.tFinal;
  if (!Number.isFinite(tf) || dir * (tf - t0) < 0 || dir * (tf - t1) > 0) return `tFinal = ${tf} is outside [t0, t1] = [${t0}, ${t1}]`;
  for (let i = 0; i < sol.ts.length; i++) {
    const t = sol.ts[i]!;
    if (dir * (t - t0) < 0 || dir * (t - tf) > 0) return `saved time ts[${i}] = ${t} is outside [t0, tFinal] = [${t0}, ${tf}]`;
    if (i > 0 && dir * (t - sol.ts[i - 1]!) < 0) return `saved times are not monotone at ${i}: ${sol.ts[i - 1]} then ${t}`;
  }
  for (let i = 0; i < sol.ysFlat.length; i++) {
    if (!Number.isFinite(sol.ysFlat[i]!)) return `saved value ${i} is ${sol.ysFlat[i]}`;
  }
  return null;
}

/** A SolveError's partial solution, or null when `e` is not one. */
export function solveErrorSolution(e: unknown): Solution<unknown> | null {
  return e instanceof SolveError && e.solution !== undefined ? (e.solution as Solution<unknown>) : null;
}

/** An initial-value problem with a closed-form solution. */
export interface Problem {
  readonly name: string;
  readonly n: number;
  readonly y0: number[];
  readonly args: Record<string, number>;
  /** In place. */
  readonly f: (t: number, y: Float64Array, args: Record<string, number>, dy: Float64Array) => void;
  /** The same field as source text for `compile`. */
  readonly source: string;
  /** The exact solution at t (from t0). */
  exact(t: number, t0: number): number[];
  /** A rate: |∂f/∂y| ≲ L (for error bounds). */
  readonly L: number;
  /** Largest |y| over the interval (error scale). */
  scale(t0: number, t1: number): number;
  /** exp of the growth of errors over [t0, t1] (1 for non-expanding flows). */
  amplification(t0: number, t1: number): number;
}

export function decay(k: number, y0: number): Problem {
  return {
    name: `decay(k=${k}, y0=${y0})`, n: 1, y0: [y0], args: { k }, L: k,
    f: (t, y, a, dy) => { dy[0] = -a.k! * y[0]!; },
    source: "(t, y, args, dy) => { dy[0] = -args.k * y[0]; }",
    exact: (t, t0) => [y0 * Math.exp(-k * (t - t0))],
    scale: (t0, t1) => Math.abs(y0) * Math.max(1, Math.exp(-k * (Math.min(t0, t1) - t0))),
    amplification: (t0, t1) => Math.exp(Math.max(0, -k * (t1 - t0))),
  };
}

export function growth(k: number, y0: number): Problem {
  return {
    name: `growth(k=${k}, y0=${y0})`, n: 1, y0: [y0], args: { k }, L: k,
    f: (t, y, a, dy) => { dy[0] = a.k! * y[0]!; },
    source: "(t, [u], { k }) => [k * u]",
    exact: (t, t0) => [y0 * Math.exp(k * (t - t0))],
    scale: (t0, t1) => Math.abs(y0) * Math.max(1, Math.exp(k * (Math.max(t0, t1) - t0))),
    amplification: (t0, t1) => Math.exp(Math.max(0, k * (t1 - t0))),
  };
}

export function harmonic(w: number, x0: number, v0: number): Problem {
  return {
    name: `harmonic(w=${w}, x0=${x0}, v0=${v0})`, n: 2, y0: [x0, v0], args: { w }, L: w,
    f: (t, y, a, dy) => { dy[0] = y[1]!; dy[1] = -a.w! * a.w! * y[0]!; },
    source: "(t, [x, v], { w }) => [v, -w * w * x]",
    exact: (t, t0) => {
      const s = t - t0;
      return [x0 * Math.cos(w * s) + (v0 / w) * Math.sin(w * s), -x0 * w * Math.sin(w * s) + v0 * Math.cos(w * s)];
    },
    scale: () => Math.hypot(x0 * Math.max(1, w), v0 * Math.max(1, 1 / w)),
    amplification: () => 1,
  };
}

/** Two decoupled decays, y0' = −k y0 and y1' = −2k y1: the first output does not read y1. */
export function pair(k: number, a: number, b: number): Problem {
  return {
    name: `pair(k=${k}, y0=[${a}, ${b}])`, n: 2, y0: [a, b], args: { k }, L: 2 * k,
    f: (t, y, args, dy) => { dy[0] = -args.k! * y[0]!; dy[1] = -2 * args.k! * y[1]!; },
    source: "(t, y, args) => [-args.k * y[0], -2 * args.k * y[1]]",
    exact: (t, t0) => [a * Math.exp(-k * (t - t0)), b * Math.exp(-2 * k * (t - t0))],
    scale: (t0, t1) => Math.max(Math.abs(a), Math.abs(b)) * Math.max(1, Math.exp(-2 * k * (Math.min(t0, t1) - t0))),
    amplification: (t0, t1) => Math.exp(Math.max(0, -2 * k * (t1 - t0))),
  };
}

export function logistic(r: number, K: number, y0: number): Problem {
  return {
    name: `logistic(r=${r}, K=${K}, y0=${y0})`, n: 1, y0: [y0], args: { r, K }, L: r,
    f: (t, y, a, dy) => { dy[0] = a.r! * y[0]! * (1 - y[0]! / a.K!); },
    source: "(t, y, args) => [args.r * y[0] * (1 - y[0] / args.K)]",
    exact: (t, t0) => [K / (1 + (K / y0 - 1) * Math.exp(-r * (t - t0)))],
    scale: () => Math.max(K, y0),
    amplification: (t0, t1) => Math.exp(Math.max(0, r * Math.abs(t1 - t0))),
  };
}

/**
 * Why the saved rows of a successful solve are wrong beyond `bound(t)` (absolute, per component),
 * or null. `row(i)` is saved row i as numbers; `pick` maps the exact state to a saved row
 * (identity, or a SaveAt fn).
 */
export function answerReason(
  ts: ArrayLike<number>, row: (i: number) => ArrayLike<number>, exact: (t: number) => number[], bound: number,
  pick: (y: number[], t: number) => number[] = (y) => y,
): string | null {
  for (let i = 0; i < ts.length; i++) {
    const want = pick(exact(ts[i]!), ts[i]!);
    const got = row(i);
    if (got.length !== want.length) return `row ${i} has ${got.length} values; expected ${want.length}`;
    for (let j = 0; j < want.length; j++) {
      const err = Math.abs(got[j]! - want[j]!);
      if (!(err <= bound)) return `at t = ${ts[i]}, component ${j} = ${got[j]} but the exact value is ${want[j]} (error ${err.toExponential(2)} > bound ${bound.toExponential(2)})`;
    }
  }
  return null;
}
