/**
 * What the playground's worker does with a request: compile the vector field (exact Jacobians for
 * the stiff solvers), build the terms, solve, and return the sampled solution with statistics,
 * or a {@link PlaygroundError} that says which input is wrong.
 */
import {
  AbstractSDESolver, AutoSwitch, CallbackProgressMeter, CompileError, ConstantStepSize, ControlTerm, Event, MultiTerm,
  ODETerm, PIDController, Rodas5P, SaveAt, Tsit5, VirtualBrownianTree, compile, diffeqsolve, isOkay, resultName,
  type AbstractSolver, type AbstractTerm, type EventOptions, type Stats,
} from "../../src/index.js";
import * as odeflow from "../../src/index.js";

export interface RunSpec {
  code: string;
  diffusion?: string | undefined;
  event?: string | undefined;
  y0: number[];
  args: Record<string, number>;
  t0: number;
  t1: number;
  solver: string;
  rtol: number;
  atol: number;
  dt0?: number | undefined;
  paths?: number | undefined;
  /** Number of output times, evenly spaced on [t0, t1]. */
  points: number;
}

export interface RunResult {
  ts: Float64Array;
  /** One packed array per path: row k is ys[k·n … k·n + n). */
  ys: Float64Array[];
  n: number;
  stats: Stats;
  result: string;
  ok: boolean;
  message: string;
  ms: number;
  jacobian: string;
  events: number[];
}

/** A problem with the user's input; `where` names the field, `line`/`column` point into it. */
export class PlaygroundError extends Error {
  constructor(readonly where: "code" | "diffusion" | "event" | "settings" | "solve", message: string, readonly line = 0, readonly column = 0) {
    super(message);
  }
}

export const SOLVERS = {
  nonstiff: ["Tsit5", "Dopri5", "Vern7", "Vern9", "Dopri8", "Bosh3"],
  stiff: ["Rodas5P", "Rosenbrock23", "BDF", "RadauIIA5", "Kvaerno5", "AutoSwitch"],
  sde: ["ShARK", "SRA1", "EulerMaruyama", "EulerHeun", "Milstein"],
};

function makeSolver(name: string): AbstractSolver<any> {
  if (name === "AutoSwitch") return new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() });
  const all = [...SOLVERS.nonstiff, ...SOLVERS.stiff, ...SOLVERS.sde];
  if (!all.includes(name)) throw new PlaygroundError("settings", `Unknown solver "${name}"; choose one of ${all.join(", ")}.`);
  return new (odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[name]!();
}

/** Evaluates a JavaScript expression typed by the user (an event object or a diffusion function). */
function evaluate(where: "diffusion" | "event", source: string): unknown {
  try {
    return new Function(`"use strict"; return (${source}\n);`)();
  } catch (e) {
    throw new PlaygroundError(where, `${where === "event" ? "Event" : "Diffusion"}: ${(e as Error).message}`);
  }
}

/** Runs one request; `progress(fraction)` is called while it solves. */
export function run(spec: RunSpec, progress: (fraction: number) => void = () => {}): RunResult {
  const n = spec.y0.length;
  if (n === 0 || spec.y0.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    throw new PlaygroundError("settings", `y0 must be a non-empty list of finite numbers; got ${JSON.stringify(spec.y0)}.`);
  }
  if (!(spec.points >= 2)) throw new PlaygroundError("settings", "points must be at least 2.");
  let f;
  try {
    f = compile(spec.code, { n, args: Object.keys(spec.args).length > 0 ? spec.args : undefined });
  } catch (e) {
    if (e instanceof CompileError) throw new PlaygroundError("code", e.message, e.line, e.column);
    throw new PlaygroundError("code", (e as Error).message);
  }
  const solver = makeSolver(spec.solver);
  const isSde = solver instanceof AbstractSDESolver;
  if (isSde && !spec.diffusion) throw new PlaygroundError("diffusion", `${spec.solver} solves SDEs: write a diffusion g(t, y, args, g).`);
  const diffusion = isSde ? evaluate("diffusion", spec.diffusion!) : undefined;
  if (isSde && typeof diffusion !== "function") throw new PlaygroundError("diffusion", "Diffusion: write a function (t, y, args, g) => { g[0] = ...; }.");
  let event: Event | undefined;
  if (spec.event && spec.event.trim() !== "") {
    const options = evaluate("event", spec.event);
    try {
      event = new Event(options as EventOptions);
    } catch (e) {
      throw new PlaygroundError("event", `Event: ${(e as Error).message}`);
    }
  }
  const ts = Array.from({ length: spec.points }, (_, i) => (i === spec.points - 1 ? spec.t1 : spec.t0 + ((spec.t1 - spec.t0) * i) / (spec.points - 1)));
  const paths = isSde ? Math.max(1, Math.min(64, spec.paths ?? 1)) : 1;
  const tree = isSde ? new VirtualBrownianTree({ t0: Math.min(spec.t0, spec.t1), t1: Math.max(spec.t0, spec.t1), tol: 1e-6 * Math.abs(spec.t1 - spec.t0), shape: n, levyArea: "space-time" }) : null;
  const additive = spec.solver === "ShARK" || spec.solver === "SRA1";
  const ys: Float64Array[] = [];
  let first: ReturnType<typeof diffeqsolve> | null = null;
  const start = performance.now();
  for (let p = 0; p < paths; p++) {
    const terms: AbstractTerm = isSde
      ? new MultiTerm(new ODETerm(f), new ControlTerm(diffusion as (t: number, y: Float64Array, a: unknown, g: Float64Array) => void, tree!.withSeed(p), { noise: "diagonal", additive }))
      : new ODETerm(f);
    const fixed = isSde && solver.errorOrder === 0;
    let sol;
    try {
      sol = diffeqsolve({
        terms, solver, t0: spec.t0, t1: spec.t1, y0: spec.y0, args: spec.args, saveat: new SaveAt({ ts }),
        stepsizeController: fixed ? new ConstantStepSize() : new PIDController({ rtol: spec.rtol, atol: spec.atol }),
        ...(fixed ? { dt0: spec.dt0 ?? (spec.t1 - spec.t0) / 1000 } : {}),
        ...(event ? { event } : {}),
        maxSteps: 1_000_000, throw: false,
        progressMeter: new CallbackProgressMeter((x) => progress((p + x) / paths), 50),
      });
    } catch (e) {
      throw new PlaygroundError("solve", (e as Error).message);
    }
    const packed = new Float64Array(sol.ys.length * n);
    sol.ys.forEach((row, k) => packed.set(row, k * n));
    ys.push(packed);
    if (first === null) first = sol;
    if (!isOkay(sol.result)) break;
  }
  const sol = first!;
  return {
    ts: Float64Array.from(sol.ts), ys, n, stats: { ...sol.stats }, result: resultName(sol.result), ok: isOkay(sol.result), message: sol.message,
    ms: performance.now() - start,
    jacobian: SOLVERS.stiff.includes(spec.solver) ? "exact (compiled)" : "not used",
    events: sol.events.map((e) => e.t),
  };
}
