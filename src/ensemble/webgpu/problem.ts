/**
 * What the WebGPU backend can run, read from a prepared ensemble: the compiled graphs (vector
 * field, diffusion, event conditions), the method, the step-size controller's constants, the
 * saved times and the per-trajectory data, or a named error saying what is not supported on the
 * GPU and what to do instead.
 */
import { seedToKey } from "../../brownian/philox.js";
import { UnsafeBrownianPath } from "../../brownian/unsafe_path.js";
import type { ArgLayout } from "../../compile/args.js";
import { flattenArgs } from "../../compile/args.js";
import { COMPILED_GRAPH, type CompiledGraphInfo } from "../../compile/compile.js";
import { lowerCondition } from "../../compile/condition.js";
import type { Graph } from "../../compile/graph.js";
import { ConstantStepSize } from "../../controllers/constant.js";
import { PIDController } from "../../controllers/pid.js";
import { ExplicitRungeKutta } from "../../solvers/erk.js";
import { EulerMaruyama } from "../../solvers/sde/euler_maruyama.js";
import { SRA1 } from "../../solvers/sde/sra1.js";
import type { Tableau } from "../../solvers/tableau.js";
import { ControlTerm, MultiTerm, ODETerm } from "../../terms.js";
import { describeValue } from "../../tree.js";
import type { PreparedEnsemble } from "../options.js";

/** A compiled function of (t, y, params) as the kernel sees it: its graph and where its parameters sit. */
export interface GpuGraph {
  readonly graph: Graph;
  readonly outputs: readonly number[];
  readonly layout: ArgLayout;
  /** Offset of its parameters in a trajectory's parameter row. */
  readonly offset: number;
}

/** A terminating event: its condition and how crossings are located. */
export interface GpuEvent {
  readonly cond: GpuGraph;
  /** A comparison (1 or 0): located by bisection on 2g − 1. */
  readonly boolean: boolean;
  /** +1: upward crossings only, −1: downward only, 0: either. */
  readonly want: number;
  /** Absolute tolerance on the event time (0: a few ulps). */
  readonly tol: number;
}

/** The explicit Runge–Kutta method of an ODE ensemble. */
export interface ErkMethod {
  readonly kind: "erk";
  readonly tableau: Tableau;
}

/** A fixed-step SDE method, with noise drawn as `UnsafeBrownianPath` draws it. */
export interface SdeMethod {
  readonly kind: "sde";
  readonly scheme: "euler-maruyama" | "sra1";
  readonly diffusion: GpuGraph;
  readonly diagonal: boolean;
  /** Brownian dimension. */
  readonly m: number;
}

/** The PID controller's constants, in the notation of the CPU loop. */
export interface PidConstants {
  readonly kind: "pid";
  /** Per component (length n). */
  readonly rtol: readonly number[];
  readonly atol: readonly number[];
  readonly norm: "rms" | "max";
  readonly safety: number;
  readonly factormin: number;
  readonly factormax: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly beta3: number;
  readonly dtmin: number;
  readonly dtmax: number;
  readonly forceDtmin: boolean;
  /** The first step; null: Hairer's automatic initial step, as on the CPU. */
  readonly dt0: number | null;
}

/** Fixed steps: N equal steps of (t1 − t0)/N. */
export interface FixedSteps {
  readonly kind: "fixed";
  readonly steps: number;
  readonly h: number;
}

/** Everything the kernel generator and the host need. */
export interface GpuProblem {
  readonly n: number;
  /** Parameters per trajectory (all graphs' layouts, one after another). */
  readonly np: number;
  readonly t0: number;
  readonly t1: number;
  readonly f: GpuGraph;
  readonly method: ErkMethod | SdeMethod;
  readonly controller: PidConstants | FixedSteps;
  readonly events: readonly GpuEvent[];
  readonly maxSteps: number;
  readonly saveT0: boolean;
  readonly saveTs: Float64Array;
  readonly saveT1: boolean;
  /** Rows per trajectory (t0, ts, t1). */
  readonly rows: number;
  /** Writes trajectory i's parameters at `out[offset …]` (rounded to float32 in a Float32Array). */
  packParams(i: number, out: Float32Array | Float64Array, offset: number): void;
  /** SDEs: writes trajectory i's Philox key (two words) at `out[offset …]`. */
  packKey(i: number, out: Uint32Array, offset: number): void;
  /** Why the tolerances ask for more than float32 can deliver, or null. */
  readonly precisionNotice: string | null;
}

const PREFIX = 'solveEnsemble (backend: "webgpu")';

/** float32 machine epsilon, 2⁻²³. */
export const F32_EPSILON = 1.1920928955078125e-7;
/** The largest float32. */
const F32_MAX = 3.4028234663852886e38;

function unsupported(what: string, fix: string): TypeError {
  return new TypeError(`${PREFIX}: ${what} is not supported on the GPU; ${fix}`);
}

/** The compiled graph behind a vector field or diffusion, or null for a plain function. */
function graphOf(fn: unknown): CompiledGraphInfo | null {
  if ((typeof fn === "object" || typeof fn === "function") && fn !== null) {
    const info = (fn as Record<symbol, unknown>)[COMPILED_GRAPH];
    if (info !== undefined) return info as CompiledGraphInfo;
  }
  return null;
}

/** The method: an explicit Runge–Kutta tableau, Euler–Maruyama or SRA1. */
function methodOf(p: PreparedEnsemble, n: number, addGraph: (info: { graph: Graph; outputs: readonly number[]; layout: ArgLayout }) => GpuGraph): ErkMethod | SdeMethod {
  const solver = p.v.solver as unknown as { name: string; constructor: unknown };
  const terms = p.v.terms;
  const ctor: unknown = solver.constructor;
  if (ctor === EulerMaruyama || ctor === SRA1) {
    const ct = (terms as MultiTerm).terms[1] as ControlTerm;
    const info = graphOf(ct.diffusion);
    if (info === null) {
      throw new TypeError(
        `${PREFIX}: the diffusion must be compiled so that it can run on the GPU: new ControlTerm(compile(sigma).f, path, …) ` +
          "(compile from odeflow); got a plain function.",
      );
    }
    const path0 = pathOf(p, 0);
    if (ctor === SRA1 && path0.levyArea !== "space-time") {
      throw new TypeError(`${PREFIX}: SRA1 needs the space–time Lévy area; construct the path with levyArea: "space-time".`);
    }
    const m = path0.size;
    const diagonal = ct.noise === "diagonal";
    const size = diagonal ? n : n * m;
    if (info.outputs.length !== size) {
      throw new RangeError(`${PREFIX}: the compiled diffusion has ${info.outputs.length} outputs; ${diagonal ? "diagonal" : "general"} noise with n = ${n} and m = ${m} needs ${size}.`);
    }
    return { kind: "sde", scheme: ctor === EulerMaruyama ? "euler-maruyama" : "sra1", diffusion: addGraph(info), diagonal, m };
  }
  // Every explicit Runge–Kutta method is its validated tableau; the kernel is generated from it.
  if (p.v.solver instanceof ExplicitRungeKutta) return { kind: "erk", tableau: p.v.solver.tableau };
  throw unsupported(
    `the solver ${solver.name}`,
    "use an explicit Runge–Kutta method (Tsit5, Dopri5, Vern7, RK4, …) for ODEs, or EulerMaruyama or SRA1 with fixed steps for SDEs.",
  );
}

/** The Brownian motion of trajectory 0 (a path, or the function of args giving one per trajectory). */
function pathOf(p: PreparedEnsemble, i: number): UnsafeBrownianPath {
  const ct = (p.v.terms as MultiTerm).terms[1] as ControlTerm;
  const c = ct.control;
  const path = typeof c === "function" ? (c as (a: unknown) => unknown)(p.args[i]) : c;
  if (!(path instanceof UnsafeBrownianPath)) {
    throw unsupported(
      `the Brownian motion ${describeValue(path)}`,
      "the GPU draws the increments of UnsafeBrownianPath (new UnsafeBrownianPath({ shape, seed }), or (args) => path.withSeed(args.seed) " +
        "for one path per trajectory), with fixed steps (ConstantStepSize).",
    );
  }
  return path;
}

function controllerOf(p: PreparedEnsemble, n: number): PidConstants | FixedSteps {
  const { controller, solver, t0, t1, dt0 } = p.v;
  if (controller instanceof ConstantStepSize) {
    const steps = Math.max(1, Math.ceil(Math.abs(t1 - t0) / Math.abs(dt0!) - 1e-9));
    return { kind: "fixed", steps, h: (t1 - t0) / steps };
  }
  if (!(controller instanceof PIDController)) {
    throw unsupported(`the step-size controller ${describeValue(controller)}`, "use PIDController or ConstantStepSize.");
  }
  if (controller.stepTs !== undefined || controller.jumpTs !== undefined) {
    throw unsupported("PIDController's `stepTs`/`jumpTs`", "leave them out (save at given times with SaveAt({ ts }), which does not change the steps).");
  }
  if (typeof controller.norm === "function") throw unsupported("a custom error norm", 'use norm: "rms" or "max".');
  const perComponent = (x: number | Float64Array, name: string): number[] => {
    if (typeof x === "number") return new Array<number>(n).fill(x);
    if (x.length !== n) throw new RangeError(`${PREFIX}: \`${name}\` has ${x.length} entries; the state has ${n} components.`);
    return Array.from(x);
  };
  const k = solver.errorOrder;
  return {
    kind: "pid",
    rtol: perComponent(controller.rtol, "rtol"),
    atol: perComponent(controller.atol, "atol"),
    norm: controller.norm,
    safety: controller.safety,
    factormin: controller.factormin,
    factormax: controller.factormax,
    beta1: (controller.pcoeff + controller.icoeff + controller.dcoeff) / k,
    beta2: -(controller.pcoeff + 2 * controller.dcoeff) / k,
    beta3: controller.dcoeff / k,
    dtmin: controller.dtmin,
    dtmax: Math.min(Math.abs(t1 - t0), controller.dtmax ?? Infinity),
    forceDtmin: controller.forceDtmin,
    dt0: dt0 === undefined ? null : Math.abs(dt0),
  };
}

/** The terminating events, lowered through the compiler. */
function eventsOf(p: PreparedEnsemble, n: number, addGraph: (info: { graph: Graph; outputs: readonly number[]; layout: ArgLayout }) => GpuGraph): GpuEvent[] {
  const events = p.v.events ?? [];
  return events.map((e, k) => {
    const which = events.length > 1 ? `event ${k}` : "the event";
    if (e.kind !== "continuous") throw unsupported(`${which} (${e.kind})`, "the GPU locates continuous terminating events only (cond with terminal: true).");
    if (!e.terminal) throw unsupported(`${which}, which does not terminate,`, "give it terminal: true (the GPU ends a trajectory at its event), or solve on the CPU.");
    if (e.affect !== undefined) throw unsupported(`the \`affect\` of ${which}`, "the GPU ends a trajectory at its event without changing the state; solve on the CPU for affects.");
    const lowered = lowerCondition(e.cond!, n);
    const want = e.direction === "up" ? 1 : e.direction === "down" ? -1 : 0;
    return { cond: addGraph({ graph: lowered.graph, outputs: [lowered.output], layout: lowered.layout }), boolean: lowered.boolean, want, tol: e.rootTolerance };
  });
}

/** Checks that a number fits float32 (±3.4·10³⁸), naming what it is. */
function checkRange(x: number, what: string): void {
  if (Math.abs(x) > F32_MAX) {
    throw new RangeError(`${PREFIX}: ${what} = ${x} is beyond float32's range (±3.4e38), which the GPU computes in; rescale the problem or solve on the CPU.`);
  }
}

/** The notice when the tolerances ask for more than float32 resolves. */
function precisionNotice(c: PidConstants | FixedSteps): string | null {
  if (c.kind !== "pid") return null;
  const rtol = Math.min(...c.rtol);
  if (rtol >= 1e-6) return null;
  return (
    `float32 on the GPU resolves about 7 significant digits (ε = 1.2e-7), so rtol = ${rtol} asks for more than it can deliver: ` +
    "the error estimate is then dominated by rounding and the solutions carry relative errors of roughly 1e-6 or more (growing with the number of steps). " +
    'Use rtol ≥ 1e-6 on the GPU, or solve on the CPU (leave out backend: "webgpu") for tighter tolerances.'
  );
}

/**
 * Reads what the GPU will run from a prepared ensemble, or throws a named error for anything the
 * GPU backend does not support.
 * @internal
 */
export function gpuProblem(p: PreparedEnsemble): GpuProblem {
  const { v, n } = p;
  const { t0, t1, saveat } = v;
  if (!(t1 > t0)) throw unsupported(`integrating backward (t0 = ${t0}, t1 = ${t1})`, "substitute s = −t to integrate forward, or solve on the CPU.");
  if (Math.fround(t0) === Math.fround(t1)) {
    throw new RangeError(`${PREFIX}: t0 = ${t0} and t1 = ${t1} are the same float32 number; the GPU cannot resolve the interval. Shift time to start at 0.`);
  }
  if (saveat.steps > 0) throw unsupported("SaveAt({ steps })", "save at given times with SaveAt({ ts }).");
  if (saveat.fn !== undefined) throw unsupported("SaveAt({ fn })", "save the state and compute the function from sol.ys.");
  const terms = v.terms;
  let fInfo: CompiledGraphInfo | null = null;
  if (terms instanceof ODETerm) fInfo = graphOf(terms.vf) ?? graphOf(terms.vf.f);
  else if (terms instanceof MultiTerm && terms.terms[0] instanceof ODETerm) {
    const drift = terms.terms[0].vf;
    fInfo = graphOf(drift) ?? graphOf(drift.f);
  }
  if (fInfo === null) {
    throw new TypeError(
      `${PREFIX}: the vector field must be compiled so that it can run on the GPU: new ODETerm(compile(f)) (compile from odeflow); ` +
        "a plain JavaScript function cannot be translated to WGSL.",
    );
  }
  if (fInfo.n !== n) throw new RangeError(`${PREFIX}: the compiled vector field has ${fInfo.n} components; y0 has ${n}.`);
  let np = 0;
  const graphs: GpuGraph[] = [];
  const addGraph = (info: { graph: Graph; outputs: readonly number[]; layout: ArgLayout }): GpuGraph => {
    const g = { graph: info.graph, outputs: info.outputs, layout: info.layout, offset: np };
    np += info.layout.size;
    graphs.push(g);
    return g;
  };
  const f = addGraph(fInfo);
  const method = methodOf(p, n, addGraph);
  const controller = controllerOf(p, n);
  if (method.kind === "sde" && controller.kind !== "fixed") {
    throw unsupported("adaptive steps for SDEs", "use fixed steps: stepsizeController: new ConstantStepSize() with dt0.");
  }
  if (method.kind === "erk" && controller.kind === "pid" && method.tableau.bErr === undefined) {
    throw new TypeError(`${PREFIX}: ${method.tableau.name} has no error estimate; use ConstantStepSize with dt0.`);
  }
  const events = eventsOf(p, n, addGraph);
  if (method.kind === "sde" && events.length > 0) throw unsupported("events in an SDE ensemble", "solve on the CPU.");
  const saveTs = saveat.ts ?? new Float64Array(0);
  for (let k = 0; k < saveTs.length; k++) {
    if (k > 0 && !(Math.fround(saveTs[k]!) > Math.fround(saveTs[k - 1]!))) {
      throw new RangeError(`${PREFIX}: SaveAt ts[${k - 1}] = ${saveTs[k - 1]} and ts[${k}] = ${saveTs[k]} are not increasing in float32; space the output times further apart.`);
    }
  }
  for (let i = 0; i < p.y0s.length; i++) checkRange(p.y0s[i]!, `y0 of trajectory ${Math.floor(i / n)}, component ${i % n}`);
  const scratch = new Float64Array(Math.max(1, ...graphs.map((g) => g.layout.size)));
  const packParams = (i: number, out: Float32Array | Float64Array, offset: number): void => {
    const a = p.args[i];
    for (const g of graphs) {
      const size = g.layout.size;
      if (size === 0) continue;
      flattenArgs(g.layout, a, scratch);
      for (let k = 0; k < size; k++) {
        const x = scratch[k]!;
        if (!(Math.abs(x) <= F32_MAX)) {
          if (x !== x) throw new RangeError(`${PREFIX}: args of trajectory ${i}: parameter ${k} of a compiled function is NaN (missing from args?).`);
          checkRange(x, `args of trajectory ${i}, parameter ${k}`);
        }
        out[offset + g.offset + k] = x;
      }
    }
  };
  const packKey = (i: number, out: Uint32Array, offset: number): void => {
    const [k0, k1] = seedToKey(pathOf(p, i).seed, "seed");
    out[offset] = k0;
    out[offset + 1] = k1;
  };
  const rows = (saveat.t0 ? 1 : 0) + saveTs.length + (saveat.t1 ? 1 : 0);
  return {
    n,
    np,
    t0,
    t1,
    f,
    method,
    controller,
    events,
    maxSteps: v.maxSteps,
    saveT0: saveat.t0,
    saveTs,
    saveT1: saveat.t1,
    rows,
    packParams,
    packKey,
    precisionNotice: precisionNotice(controller),
  };
}
