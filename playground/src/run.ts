/**
 * What the playground's worker does with a request: compile the sources (safe.ts), build the
 * terms, solve each trajectory with `solveAsync` (in slices, so that a cancel message is seen, and
 * with progress), and sample each solution for the plots from its dense output (odeflow/plot:
 * adaptive, broken at events). The solutions stay here so that a change of the time axis (linear
 * or log) is resampled without solving again.
 */
import {
  AbstractSDESolver, AutoSwitch, CallbackProgressMeter, ConstantStepSize, ControlTerm, MultiTerm, ODETerm, PIDController, RESULTS,
  Rodas5P, SaveAt, Tsit5, VirtualBrownianTree, isOkay, resultName, solveAsync, type AbstractSolver, type AbstractTerm, type Event,
  type Solution, type Stats,
} from "../../src/index.js";
import * as odeflow from "../../src/index.js";
import { sampleSolution } from "../../src/plot/sample.js";
import type { Shared } from "./link.js";
import { PlaygroundError, compileDiffusion, compileEvent, compileField } from "./safe.js";

export { PlaygroundError } from "./safe.js";

/** A request: the form's contents (the same object a share link carries). */
export type RunSpec = Shared;

/** Plot samples of one trajectory: times and one column per component (NaN where a line breaks). */
export interface Samples {
  t: Float64Array;
  y: Float64Array[];
}

/** What one trajectory did. */
export interface PathResult {
  stats: Stats;
  result: string;
  ok: boolean;
  tFinal: number;
  events: number[];
}

export interface RunResult {
  n: number;
  /** Per trajectory (one for an ODE, `paths` for an SDE or an ensemble). */
  paths: PathResult[];
  /** Samples for a linear time axis (and the phase portrait), per trajectory. */
  lin: Samples[];
  /** Samples for a log time axis, per trajectory (null: not asked for, or t1 ≤ 0). */
  log: Samples[] | null;
  /** The first failure's (or the first trajectory's) result and message. */
  result: string;
  ok: boolean;
  message: string;
  /** What to change on the page when it failed (the solver dropdown, …); "" if nothing obvious. */
  fix: string;
  ms: number;
  jacobian: string;
}

export const SOLVERS = {
  nonstiff: ["Tsit5", "Dopri5", "Vern7", "Vern9", "Dopri8", "Bosh3"],
  stiff: ["Rodas5P", "Rosenbrock23", "BDF", "RadauIIA5", "Kvaerno5", "AutoSwitch"],
  sde: ["ShARK", "SRA1", "EulerMaruyama", "EulerHeun", "Milstein"],
};

/** Most trajectories one request may solve. */
export const MAX_PATHS = 200;

function makeSolver(name: string): AbstractSolver<any> {
  if (name === "AutoSwitch") return new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() });
  const all = [...SOLVERS.nonstiff, ...SOLVERS.stiff, ...SOLVERS.sde];
  if (!all.includes(name)) throw new PlaygroundError("settings", `Unknown solver "${name}"; choose one of ${all.join(", ")}.`);
  return new (odeflow as unknown as Record<string, new () => AbstractSolver<any>>)[name]!();
}

/** A deterministic number in [−1, 1] for trajectory k, component i (the ensemble's perturbations). */
function jitter(k: number, i: number): number {
  const s = Math.sin(12.9898 * (k * 97 + i + 1)) * 43758.5453;
  return 2 * (s - Math.floor(s)) - 1;
}

/** Sampling settings: coarser for many trajectories, so that an ensemble stays quick to draw. */
function sampling(paths: number) {
  return paths === 1 ? { points: 200, tolerance: 1e-3, maxPoints: 20000 } : { points: 120, tolerance: 4e-3, maxPoints: Math.max(600, Math.floor(80000 / paths)) };
}

/** Samples of every solution for a linear (and, if asked, a log) time axis. */
export function sampleAll(sols: Solution<any>[], logx: boolean): { lin: Samples[]; log: Samples[] | null } {
  const s = sampling(sols.length);
  const lin = sols.map((sol) => sampleSolution(sol, s));
  const log = logx && sols.every((sol) => sol.tFinal > 0 && sol.tFinal > sol.t0) ? sols.map((sol) => sampleSolution(sol, { ...s, logx: true })) : null;
  return { lin: lin.map(({ t, y }) => ({ t, y })), log: log === null ? null : log.map(({ t, y }) => ({ t, y })) };
}

/** The advice for a failed solve that fits the page. */
function fixFor(result: number, solver: string): string {
  const explicit = SOLVERS.nonstiff.includes(solver);
  if (explicit && (result === RESULTS.stalled || result === RESULTS.maxStepsReached)) {
    return "the problem is stiff for an explicit solver: choose Rodas5P (or AutoSwitch) in the solver dropdown.";
  }
  if (result === RESULTS.stalled) return "choose RadauIIA5 or BDF in the solver dropdown, or loosen rtol/atol.";
  return "";
}

export interface RunControl {
  signal?: AbortSignal;
  progress?: (fraction: number, t: number) => void;
  /** Also sample for a log time axis. */
  logx?: boolean;
}

/** Runs one request; resolves with the result and the solutions (kept for resampling). */
export async function run(spec: RunSpec, control: RunControl = {}): Promise<{ result: RunResult; sols: Solution<any>[] }> {
  const n = spec.y0.length;
  if (n === 0 || spec.y0.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    throw new PlaygroundError("settings", `y0 must be a non-empty list of finite numbers; got ${JSON.stringify(spec.y0)}.`);
  }
  if (spec.t1 === spec.t0) throw new PlaygroundError("settings", `t1 (${spec.t1}) equals t0: nothing to solve.`);
  const paths = Math.round(spec.paths ?? 1);
  if (!(paths >= 1 && paths <= MAX_PATHS)) throw new PlaygroundError("settings", `paths must be a whole number from 1 to ${MAX_PATHS}; got ${spec.paths}.`);
  const f = compileField(spec.code, n, spec.args);
  const solver = makeSolver(spec.solver);
  const isSde = solver instanceof AbstractSDESolver;
  if (isSde && !spec.diffusion) throw new PlaygroundError("diffusion", `${spec.solver} solves SDEs: write a diffusion g(t, y, args, g).`);
  if (!isSde && spec.diffusion) {
    throw new PlaygroundError("settings", `This problem has a diffusion (an SDE), but ${spec.solver} solves ODEs: choose an SDE solver (ShARK, SRA1, EulerMaruyama, …) in the solver dropdown.`, 0, 0, "choose ShARK in the solver dropdown.");
  }
  const diffusion = isSde ? compileDiffusion(spec.diffusion!, n, spec.args) : undefined;
  const event: Event | undefined = spec.event ? compileEvent(spec.event, n, spec.args) : undefined;
  const lo = Math.min(spec.t0, spec.t1), hi = Math.max(spec.t0, spec.t1);
  const tree = isSde ? new VirtualBrownianTree({ t0: lo, t1: hi, tol: 1e-6 * (hi - lo), shape: n, levyArea: "space-time" }) : null;
  const additive = spec.solver === "ShARK" || spec.solver === "SRA1";
  const fixed = isSde && solver.errorOrder === 0;
  const sols: Solution<any>[] = [];
  const start = performance.now();
  for (let p = 0; p < paths; p++) {
    const terms: AbstractTerm = isSde
      ? new MultiTerm(new ODETerm(f), new ControlTerm(diffusion!, tree!.withSeed(p), { noise: "diagonal", additive }))
      : new ODETerm(f);
    const y0 = !isSde && p > 0 && spec.spread > 0 ? spec.y0.map((v, i) => (v === 0 ? spec.spread : v * (1 + spec.spread * jitter(p, i)))) : spec.y0;
    let sol: Solution<any>;
    try {
      sol = await solveAsync({
        terms, solver, t0: spec.t0, t1: spec.t1, y0, args: spec.args, saveat: new SaveAt({ t1: true, dense: true }),
        stepsizeController: fixed ? new ConstantStepSize() : new PIDController({ rtol: spec.rtol, atol: spec.atol }),
        ...(fixed ? { dt0: (spec.t1 - spec.t0) / 1000 } : {}),
        ...(event ? { event } : {}),
        maxSteps: 1_000_000, throw: false,
        progressMeter: new CallbackProgressMeter((x, t) => control.progress?.((p + x) / paths, t), 50),
      }, { sliceMs: 25, ...(control.signal ? { signal: control.signal } : {}) });
    } catch (e) {
      throw new PlaygroundError("solve", (e as Error).message);
    }
    sols.push(sol);
    if (!isOkay(sol.result)) break;
  }
  const failed = sols.find((s) => !isOkay(s.result)) ?? sols[0]!;
  const { lin, log } = sampleAll(sols, control.logx === true);
  return {
    sols,
    result: {
      n, lin, log,
      paths: sols.map((s) => ({ stats: { ...s.stats }, result: resultName(s.result), ok: isOkay(s.result), tFinal: s.tFinal, events: s.events.map((e) => e.t) })),
      result: resultName(failed.result), ok: isOkay(failed.result), message: failed.message, fix: fixFor(failed.result, spec.solver),
      ms: performance.now() - start,
      jacobian: SOLVERS.stiff.includes(spec.solver) ? "exact (compiled)" : "not used",
    },
  };
}
