// Random `solveEnsembleSync` / `solveEnsemble` options, valid and invalid, and the check of one
// ensemble against the contract (contract.ts), trajectory by trajectory: each trajectory's rows
// are its closed-form solution when it succeeded, its data up to the failure otherwise; the output
// hook and the reduction agree with the rows.
import fc from "fast-check";
import {
  ConstantStepSize, isOkay, ODETerm, PIDController, SaveAt, solveEnsemble, solveEnsembleSync, Tsit5, type EnsembleSolution,
} from "../../src/index.js";
import { answerReason, unnamedReason, WALL_MS } from "./contract.js";
import { type Drawn, problemArb, problemOf, type ProblemSpec } from "./solve-cases.js";

const ok = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Drawn<T>> => arb.map((v) => ({ v, bad: null }));
const bad = <T>(name: string, ...values: T[]): fc.Arbitrary<Drawn<T>> => fc.constantFrom(...values).map((v) => ({ v, bad: name }));
const mostly = <T>(valid: fc.Arbitrary<Drawn<T>>, invalid: fc.Arbitrary<Drawn<T>>, oneIn = 10): fc.Arbitrary<Drawn<T>> =>
  fc.oneof({ arbitrary: valid, weight: oneIn - 1 }, { arbitrary: invalid, weight: 1 });

export interface EnsembleCase {
  problem: ProblemSpec;
  N: Drawn<unknown>;
  y0: Drawn<"function" | "array" | "shorterArray" | "wrongLength" | "throws" | "scalar" | "nan">;
  args: Drawn<"shared" | "function" | "array" | "shortArray" | "nan" | "throws">;
  saveat: Drawn<"t1" | "ts" | "steps" | "dense">;
  controller: "pid" | "constant";
  output: Drawn<"none" | "last" | "keepSaved" | "width0" | "notFunction" | "keepSavedString">;
  reduce: Drawn<"none" | "sum" | "noInit">;
  lockstep: Drawn<"none" | "valid" | "batch0" | "lazy">;
  maxMemory: Drawn<unknown>;
  throw: Drawn<unknown>;
  chunkSize: Drawn<unknown>;
  async: boolean;
}

export const ensembleCaseArb: fc.Arbitrary<EnsembleCase> = fc.record({
  problem: problemArb,
  N: mostly<unknown>(ok(fc.integer({ min: 1, max: 6 })), bad<unknown>("trajectories", 0, -1, 1.5, NaN, "3", 1e12)),
  y0: mostly(ok(fc.constantFrom("function" as const, "array" as const)), bad("y0", "shorterArray" as const, "wrongLength" as const, "throws" as const, "scalar" as const, "nan" as const)),
  args: mostly(ok(fc.constantFrom("shared" as const, "function" as const, "array" as const)), bad("args", "shortArray" as const, "nan" as const, "throws" as const)),
  saveat: mostly(ok(fc.constantFrom("t1" as const, "ts" as const, "steps" as const)), bad("dense", "dense" as const), 20),
  controller: fc.constantFrom("pid" as const, "constant" as const),
  output: mostly(ok(fc.constantFrom("none" as const, "last" as const, "keepSaved" as const)), bad("output", "width0" as const, "notFunction" as const, "keepSavedString" as const)),
  reduce: mostly(ok(fc.constantFrom("none" as const, "sum" as const)), bad("reduce", "noInit" as const), 20),
  lockstep: mostly(ok(fc.constantFrom("none" as const, "none" as const, "valid" as const)), bad("lockstep", "batch0" as const, "lazy" as const), 15),
  maxMemory: mostly<unknown>(ok(fc.constantFrom(undefined, 1e9, Infinity)), bad<unknown>("maxMemory", 0, -5, "1e9", NaN, 10), 15),
  throw: mostly<unknown>(ok(fc.constantFrom(undefined, false, true)), bad<unknown>("throw", "yes"), 20),
  chunkSize: mostly<unknown>(ok(fc.constantFrom(undefined, 2)), bad<unknown>("chunkSize", 0, 1.5, "2"), 20),
  async: fc.boolean(),
});

const APIS = ["solveEnsemble", "solveEnsembleSync", "new SaveAt", "diffeqsolve"];

/** The arguments a case corrupts. */
function corrupted(c: EnsembleCase): string[] {
  const out: string[] = [];
  for (const d of [c.N, c.y0, c.args, c.saveat, c.output, c.reduce, c.lockstep, c.maxMemory, c.throw, c.chunkSize] as Drawn<unknown>[]) {
    // A lockstep field that computes lane 0 only is right for an ensemble of one.
    if (d === c.lockstep && d.v === "lazy" && c.N.v === 1) continue;
    // One state given as an array of one number is one trajectory's y0 when N = 1.
    if (d === c.y0 && d.v === "scalar" && c.N.v === 1 && problemOf(c.problem).n === 1) continue;
    if (d.bad !== null) out.push(d.bad);
  }
  // Lockstep takes neither SaveAt steps nor ConstantStepSize problems with steps rows: a refusal, named `lockstep`.
  if ((c.lockstep.v === "valid" || c.lockstep.v === "lazy") && c.saveat.v === "steps") out.push("lockstep");
  return out;
}

/** Why an ensemble case breaks the contract, or null. */
export async function checkEnsembleCase(c: EnsembleCase): Promise<string | null> {
  const p = problemOf(c.problem);
  const N = typeof c.N.v === "number" && Number.isInteger(c.N.v) && c.N.v >= 1 && c.N.v < 100 ? c.N.v : 3;
  const scaleY = (i: number): number[] => p.y0.map((v) => v * (1 + i / 10));
  // Per-trajectory parameter: the problem's first parameter grown by 10% per trajectory.
  const key = Object.keys(p.args)[0]!;
  const argsOf = (i: number): Record<string, number> => ({ ...p.args, [key]: p.args[key]! * (1 + (c.args.v === "shared" ? 0 : i / 10)) });
  const options: Record<string, unknown> = { terms: new ODETerm(p.f), solver: new Tsit5(), t0: 0, t1: 1, maxSteps: 3000 };
  options.trajectories = c.N.v;
  const boom = (): never => { throw new Error("boom"); };
  switch (c.y0.v) {
    case "function": options.y0 = (i: number) => scaleY(i); break;
    case "array": options.y0 = Array.from({ length: N }, (_, i) => scaleY(i)); break;
    case "shorterArray": options.y0 = Array.from({ length: Math.max(0, N - 1) }, (_, i) => scaleY(i)); break;
    case "wrongLength": options.y0 = (i: number) => (i === N - 1 && N > 1 ? [...scaleY(i), 1] : i === 0 && N === 1 ? [] : scaleY(i)); break;
    case "throws": options.y0 = (i: number) => (i === N - 1 ? boom() : scaleY(i)); break;
    case "scalar": options.y0 = scaleY(0); break;
    case "nan": options.y0 = (i: number) => (i === N - 1 ? scaleY(i).map(() => NaN) : scaleY(i)); break;
  }
  switch (c.args.v) {
    case "shared": options.args = { ...p.args }; break;
    case "function": options.args = argsOf; break;
    case "array": options.args = Array.from({ length: N }, (_, i) => argsOf(i)); break;
    case "shortArray": options.args = Array.from({ length: N + 1 }, (_, i) => argsOf(i)); break;
    case "nan": options.args = (i: number) => (i === N - 1 ? { ...argsOf(i), [key]: NaN } : argsOf(i)); break;
    case "throws": options.args = (i: number) => (i === N - 1 ? boom() : argsOf(i)); break;
  }
  const ts = [0.25, 0.5, 1];
  if (c.saveat.v === "t1") options.saveat = new SaveAt({ t1: true });
  if (c.saveat.v === "ts") options.saveat = new SaveAt({ ts });
  if (c.saveat.v === "steps") options.saveat = new SaveAt({ steps: true, t1: true });
  if (c.saveat.v === "dense") options.saveat = new SaveAt({ t1: true, dense: true });
  let bound: (steps: number) => number;
  const scale = p.scale(0, 1) * 1.6;
  if (c.controller === "pid") {
    options.stepsizeController = new PIDController({ rtol: 1e-8, atol: 1e-10 });
    bound = (steps) => 4 * (steps + 2) * (1e-10 + 1e-8 * scale) * p.amplification(0, 1) * 1.2;
  } else {
    options.stepsizeController = new ConstantStepSize();
    options.dt0 = 0.01;
    bound = () => 50 * (p.L * 1.2 * 0.01) ** 5 * (1 + p.L) * p.amplification(0, 1) * scale + 1e-12;
  }
  const width = p.n;
  if (c.output.v === "last" || c.output.v === "keepSaved") {
    options.output = { width: 1, keepSaved: c.output.v === "keepSaved", fn: (out: Float64Array, _ts: Float64Array, ys: Float64Array) => { out[0] = ys.length > 0 ? ys[ys.length - width]! : NaN; } };
  }
  if (c.output.v === "width0") options.output = { width: 0, fn: () => {} };
  if (c.output.v === "notFunction") options.output = { width: 1, fn: "last" };
  if (c.output.v === "keepSavedString") options.output = { width: 1, fn: () => {}, keepSaved: "no" };
  if (c.reduce.v === "sum") options.reduce = { init: 0, fn: (acc: number, row: Float64Array, _i: number, r: number) => (isOkay(r) && row.length > 0 ? acc + row[0]! : acc) };
  if (c.reduce.v === "noInit") options.reduce = { fn: () => 0 };
  if (c.lockstep.v === "valid" || c.lockstep.v === "lazy") {
    // The vectorised field: lane b of component j at j·stride + b.
    const lazy = c.lockstep.v === "lazy";
    options.lockstep = {
      f: (t: Float64Array, y: Float64Array, args: readonly Record<string, number>[], dy: Float64Array, m: number, stride: number) => {
        const yl = new Float64Array(p.n);
        const dl = new Float64Array(p.n);
        for (let b = 0; b < (lazy ? 1 : m); b++) {
          for (let j = 0; j < p.n; j++) yl[j] = y[j * stride + b]!;
          p.f(t[b]!, yl, args[b]!, dl);
          for (let j = 0; j < p.n; j++) dy[j * stride + b] = dl[j]!;
        }
      },
    };
  }
  if (c.lockstep.v === "batch0") options.lockstep = { f: () => {}, batchSize: 0 };
  if (c.maxMemory.v !== undefined) options.maxMemory = c.maxMemory.v;
  if (c.throw.v !== undefined) options.throw = c.throw.v;
  if (c.chunkSize.v !== undefined) options.chunkSize = c.chunkSize.v;
  const bads = corrupted(c);
  const start = performance.now();
  let sol: EnsembleSolution<unknown>;
  try {
    sol = c.async ? await solveEnsemble(options as never) : solveEnsembleSync(options as never);
  } catch (e) {
    if (performance.now() - start > WALL_MS) return "took too long before throwing";
    // A state of the wrong size is found by the probe of the vector field (named after dy[i]).
    const names = bads.flatMap((b) => (b === "y0" ? ["y0", "dy[", "vector field"] : [b]));
    const why = unnamedReason(e, APIS, names);
    if (why !== null) return why;
    // A failure thrown with throw: true carries the ensemble; otherwise the input must have been bad.
    if (bads.length === 0 && !(c.throw.v === true && /trajectory \d+ \(\d+ of \d+ failed\)/.test((e as Error).message))) return `a valid ensemble was refused: ${(e as Error).message}`;
    return null;
  }
  if (performance.now() - start > WALL_MS) return "took too long";
  if (bads.length > 0) return `invalid ${bads.join(", ")} accepted`;
  if (sol.trajectories !== N) return `${sol.trajectories} trajectories, not ${N}`;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const ti = sol.tsOf(i);
    const yi = sol.ysOf(i);
    const y0i = scaleY(i);
    const start = c.problem.kind === "harmonic" ? { x0: y0i[0]!, v0: y0i[1]! } : c.problem.kind === "pair" ? { a: y0i[0]!, b: y0i[1]! } : { y0: y0i[0]! };
    const pi = problemOf({ ...c.problem, ...start, [key]: argsOf(i)[key]! } as ProblemSpec);
    if (!sol.ok(i)) {
      for (let r = 0; r < ti.length; r++) if (!(ti[r]! >= 0 && ti[r]! <= sol.tFinal[i]! && (r === 0 || ti[r]! >= ti[r - 1]!))) return `trajectory ${i} failed with rows outside [t0, tFinal]`;
      continue;
    }
    if (sol.tFinal[i] !== 1) return `trajectory ${i} succeeded at tFinal = ${sol.tFinal[i]}`;
    const keep = c.output.v !== "last";
    if (keep) {
      const why = answerReason(ti, (r) => yi.subarray(r * width, (r + 1) * width), (t) => pi.exact(t, 0), bound(sol.numAcceptedSteps[i]!));
      if (why !== null) return `trajectory ${i}: ${why}`;
    } else if (sol.counts[i] !== 0 && sol.rowsPerTrajectory !== 0) return `rows were kept for trajectory ${i} without keepSaved`;
    if (c.output.v !== "none") {
      const want = pi.exact(1, 0)[0]!;
      const got = sol.output(i)[0]!;
      if (!(Math.abs(got - want) <= bound(sol.numAcceptedSteps[i]!))) return `output of trajectory ${i} is ${got}, the exact y(1) is ${want}`;
      sum += got;
    } else sum += yi[yi.length - width] ?? 0;
  }
  if (c.reduce.v === "sum" && !(Math.abs((sol.reduced as number) - sum) <= 1e-12 * (1 + Math.abs(sum)))) return `reduced ${String(sol.reduced)} but the rows sum to ${sum}`;
  return null;
}
