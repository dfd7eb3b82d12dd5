/**
 * Parameters for fast-check's `fc.assert`, shared by every property test: each property has its
 * own fixed seed, so every run of `npm test` draws the same cases and a failure reproduces.
 * Environment variables widen the search without editing tests:
 *
 * - `ODEFLOW_FUZZ_SEED=<integer>`: use this seed for every property instead of its own;
 *   `ODEFLOW_FUZZ_SEED=random` draws a fresh one per property (fast-check prints it on failure,
 *   with the path to replay).
 * - `ODEFLOW_FUZZ_RUNS=<n>`: run n cases per property; `ODEFLOW_FUZZ_RUNS=x10` multiplies each
 *   property's own count by 10.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.double(), (x) => x === x || Number.isNaN(x)), fuzzParams(20261127, 60));
 * // ODEFLOW_FUZZ_SEED=random ODEFLOW_FUZZ_RUNS=x20 node scripts/test.mjs property
 * ```
 */
export function fuzzParams(seed: number, numRuns: number): { seed: number; numRuns: number } {
  return { seed: fuzzSeed(seed), numRuns: fuzzRuns(numRuns) };
}

function fuzzSeed(seed: number): number {
  const env = process.env.ODEFLOW_FUZZ_SEED;
  if (env === undefined || env === "") return seed;
  if (env === "random") return (Math.random() * 2 ** 31) | 0;
  const s = Number(env);
  if (!Number.isInteger(s)) throw new RangeError(`ODEFLOW_FUZZ_SEED = ${JSON.stringify(env)} must be an integer or "random".`);
  return s;
}

/** The number of runs a property makes: its own count, or what ODEFLOW_FUZZ_RUNS says. */
export function fuzzRuns(numRuns: number): number {
  const env = process.env.ODEFLOW_FUZZ_RUNS;
  if (env === undefined || env === "") return numRuns;
  const times = /^x(\d+(?:\.\d+)?)$/.exec(env);
  const n = times !== null ? Math.round(numRuns * Number(times[1])) : Number(env);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`ODEFLOW_FUZZ_RUNS = ${JSON.stringify(env)} must be a whole number ≥ 1, or xK to multiply each property's count by K.`);
  return n;
}
