// The option space of every public constructor, and the contract check of one call (see
// constructors.test.ts). Fuzzing every public constructor's options with values of every kind (numbers valid and not,
// strings, arrays, objects, functions, symbols, bigints, unknown keys): each either constructs or
// throws a named error (contract.ts); a constructed solver, controller or SaveAt then runs a small
// solve of y' = −k y that must keep the whole contract. Seeded; ODEFLOW_FUZZ_RUNS for more.
import fc from "fast-check";
import * as odeflow from "../../src/index.js";
import { diffeqsolve, isOkay, ODETerm, type Solution } from "../../src/index.js";
import { answerReason, decay, partialReason, solveErrorSolution, unnamedReason, WALL_MS } from "./contract.js";

/** Values of every kind an option may be given by mistake (and a few valid ones). */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    undefined, null, NaN, Infinity, -Infinity, -1, 0, 0.5, 1, 2, 3, 7, 1e10, 1e-8, -1e-3, 2.5, 2 ** 40,
    "", "1", "x", "rms", "auto", "dense", "banded", "up", "either", "space-time", true, false,
    [], [1], [0, 1], [1, 2, 3], [NaN], ["a"], [[1, 0], [0, 1]], [1, 1], {}, { a: 1 },
    Symbol("s"), 10n, new Float64Array(2), new Int32Array([0, 1]),
  ),
  fc.constantFrom<unknown>(() => 1, () => NaN, () => -1, () => undefined, () => "x", (t: number) => t - 0.5, () => { throw new Error("hook"); }),
);

/** Each constructor: its name (the message prefix), the keys it documents, how to build it. */
interface Target {
  name: string;
  keys: readonly string[];
  make: (options: unknown) => unknown;
  /** What a constructed object is checked with: a solve of y' = −k y, or nothing. */
  use?: "solver" | "controller" | "saveat" | "event";
}

const O = odeflow as unknown as Record<string, new (o?: unknown) => unknown>;
const IMPLICIT_KEYS = ["massMatrix", "linearSolver", "bandwidth", "autonomous"];
const TARGETS: Target[] = [
  { name: "new PIDController", keys: ["rtol", "atol", "pcoeff", "icoeff", "dcoeff", "dtmin", "dtmax", "forceDtmin", "factormin", "factormax", "safety", "norm", "stepTs", "jumpTs"], make: (o) => new odeflow.PIDController(o as never), use: "controller" },
  { name: "new StepTo", keys: ["ts"], make: (o) => new odeflow.StepTo(o as never), use: "controller" },
  { name: "new SaveAt", keys: ["t0", "t1", "ts", "steps", "dense", "fn"], make: (o) => new odeflow.SaveAt(o as never), use: "saveat" },
  { name: "new Event", keys: ["cond", "direction", "terminal", "affect", "rootTolerance", "discrete", "times"], make: (o) => new odeflow.Event(o as never), use: "event" },
  { name: "new VirtualBrownianTree", keys: ["t0", "t1", "tol", "shape", "seed", "levyArea"], make: (o) => new odeflow.VirtualBrownianTree(o as never) },
  { name: "new UnsafeBrownianPath", keys: ["shape", "seed", "levyArea"], make: (o) => new odeflow.UnsafeBrownianPath(o as never) },
  { name: "new ControlTerm", keys: ["noise", "additive"], make: (o) => new odeflow.ControlTerm(() => {}, null, o as never) },
  { name: "new ODETerm", keys: ["f", "jac", "jvp", "vjp", "n", "nArgs", "jacSparsity", "argNames"], make: (o) => new odeflow.ODETerm(o as never) },
  { name: "new RecursiveCheckpointAdjoint", keys: ["checkpoints"], make: (o) => new odeflow.RecursiveCheckpointAdjoint(o as never) },
  { name: "new BacksolveAdjoint", keys: ["solver", "stepsizeController", "maxSteps", "state"], make: (o) => new odeflow.BacksolveAdjoint(o as never) },
  { name: "new ForwardSensitivity", keys: [], make: (o) => new odeflow.ForwardSensitivity(o as never) },
  { name: "new TextProgressMeter", keys: ["width", "intervalMs", "write", "tty", "delayMs"], make: (o) => new odeflow.TextProgressMeter(o as never) },
  { name: "new ModelBuilder", keys: ["n", "args"], make: (o) => new odeflow.ModelBuilder(o as never) },
  { name: "new AutoSwitch", keys: ["nonstiff", "stiff", "maxStiffSteps", "maxNonstiffSteps", "stabilityBoundary"], make: (o) => new odeflow.AutoSwitch(o as never), use: "solver" },
  { name: "new BDF", keys: [...IMPLICIT_KEYS, "maxOrder"], make: (o) => new odeflow.BDF(o as never), use: "solver" },
  { name: "new Milstein", keys: ["interpretation"], make: (o) => new odeflow.Milstein(o as never) },
  ...["Tsit5", "Dopri5", "Euler", "Vern9"].map((s): Target => ({ name: `new ${s}`, keys: ["generated"], make: (o) => new O[s]!(o), use: "solver" })),
  ...["Rodas5P", "Rosenbrock23", "RadauIIA5", "Kvaerno3", "ImplicitEuler", "KenCarp4"].map((s): Target => ({ name: `new ${s}`, keys: IMPLICIT_KEYS, make: (o) => new O[s]!(o), use: "solver" })),
];

/** Options: a random subset of the documented keys, sometimes an unknown key, sometimes not an object. */
const optionsArb = (t: Target): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.constantFrom<unknown>(undefined, null, 5, "x", [], () => 1), weight: 1 },
    {
      arbitrary: fc.record({
        picked: fc.subarray([...t.keys]),
        values: fc.array(anyValue, { minLength: t.keys.length, maxLength: t.keys.length }),
        extra: fc.option(fc.constantFrom("bogus", "rtoll", "constructor", "__proto__"), { nil: undefined }),
      }).map(({ picked, values, extra }) => {
        const o: Record<string, unknown> = {};
        picked.forEach((k, i) => { o[k] = values[i]; });
        if (extra !== undefined) Object.defineProperty(o, extra, { value: 1, enumerable: true, writable: true, configurable: true });
        return o;
      }),
      weight: 6,
    },
  );

export const constructorCaseArb = fc.constantFrom(...TARGETS).chain((t) => fc.record({ target: fc.constant(t), options: optionsArb(t), k: fc.constantFrom(0.5, 1, 2) }));

/** Apis a message may start with: the constructor, or the solve that used what it built. */
const apisFor = (t: Target): string[] => [t.name, t.name.replace(/^new /, ""), "diffeqsolve", "compile"];

/** The contract for one constructor call and, when it builds something usable, one solve. */
export function checkConstructorCase(c: { target: Target; options: unknown; k: number }): string | null {
  const apis = apisFor(c.target);
  const o = c.options as Record<string, unknown> | null;
  const unknownKey = o !== null && typeof o === "object" && !Array.isArray(o) && c.target.name !== "new ODETerm"
    ? Object.keys(o).find((k) => !c.target.keys.includes(k)) : undefined;
  let built: unknown;
  try {
    built = c.target.make(c.options);
  } catch (e) {
    return unnamedReason(e, apis);
  }
  // A misspelt option must not be ignored (a vector field object may carry anything, though).
  if (unknownKey !== undefined) return `the unknown option \`${unknownKey}\` was accepted`;
  if (c.target.use === undefined) return null;
  const p = decay(c.k, 1);
  const options: Record<string, unknown> = { terms: new ODETerm(p.f), solver: new odeflow.Tsit5(), t0: 0, t1: 1, y0: [1], args: p.args, maxSteps: 2000, throw: false };
  if (c.target.use === "solver") options.solver = built;
  if (c.target.use === "controller") options.stepsizeController = built;
  if (c.target.use === "saveat") options.saveat = built;
  if (c.target.use === "event") options.event = built;
  const start = performance.now();
  let sol: Solution<unknown>;
  try {
    sol = diffeqsolve(options as never) as Solution<unknown>;
  } catch (e) {
    const partial = solveErrorSolution(e);
    if (partial !== null) return partialReason(partial, 0, 1);
    // Steps that do not span the solve's [0, 1] are the StepTo's mistake: the message must name its ts.
    const ts = built instanceof odeflow.StepTo ? built.ts : null;
    const misfit = ts !== null && (ts[0] !== 0 || ts[ts.length - 1] !== 1);
    return unnamedReason(e, apis, misfit ? ["ts", "StepTo"] : []);
  }
  if (performance.now() - start > WALL_MS) return "the solve took too long";
  if (!isOkay(sol.result)) return partialReason(sol, 0, 1);
  // A success: the saved rows must be e^{-kt} to a tolerance that the options set. The options
  // were random, so only a gross error (a wrong answer, not an inaccurate one) is judged here:
  // 1% of the value, or the accuracy a PIDController's rtol promises when it is tighter.
  if (c.target.use === "saveat" && (built as { fn?: unknown }).fn !== undefined) return null;
  // Steps given by StepTo are as large as its times make them: no accuracy is promised.
  if (built instanceof odeflow.StepTo) return null;
  const rtol = c.target.use === "controller" && typeof (built as { rtol?: unknown }).rtol === "number" ? (built as { rtol: number }).rtol : 1e-3;
  const bound = Math.max(1e-2 * Math.min(1, 1e3 * rtol), 1e-9) * (sol.stats.numAcceptedSteps + 2);
  return answerReason(sol.ts, (i) => sol.ys[i]!, (t) => p.exact(t, 0), Math.min(bound, 1e-2));
}

