/**
 * BacksolveAdjoint: the continuous adjoint ("optimise then discretise"), solved backward in time.
 *
 * For a loss L of the saved states, the adjoint a(t) = ∂L/∂y(t) and the parameter gradient g(t)
 * obey, backward from t1 together with the state itself,
 *
 *   dy/dt = f(t, y, p),   da/dt = −aᵀ ∂f/∂y,   dg/dt = −aᵀ ∂f/∂p,
 *
 * with a jumping by the cotangent of each saved row as the backward solve passes its time, and
 * y reset there to the forward solution's saved value (which keeps the backward state on the
 * forward trajectory). Then ∂L/∂y0 = a(t0) and ∂L/∂p = g(t0). At an event that changed the state
 * or ended the solve, a jumps back through the transposed saltation of the jump (the affect's
 * derivatives and the event time's dependence, with f(t*, y⁻) for the state's time derivative;
 * events.ts), and the state restarts from the recorded state before the event. Memory is O(n + nP) whatever the
 * number of steps; the gradient is that of the exact solution, accurate to the tolerances of the
 * forward and backward solves (not the exact gradient of the discrete solution).
 *
 * Reference: L. S. Pontryagin et al., The Mathematical Theory of Optimal Processes, 1962;
 * R. T. Q. Chen, Y. Rubanova, J. Bettencourt and D. Duvenaud, "Neural ordinary differential
 * equations", NeurIPS 2018 (Algorithm 1); diffrax's BacksolveAdjoint.
 */
import { AbstractStepSizeController } from "../controllers/base.js";
import { ConstantStepSize } from "../controllers/constant.js";
import { PIDController } from "../controllers/pid.js";
import { ROW_BEFORE_EVENTS } from "../integrate/output.js";
import { createLoopWorkspace, diffeqsolve, runLoop, solutionFromWorkspace, type Validated } from "../integrate.js";
import type { AbstractSolver } from "../solvers/solver.js";
import { SaveAt } from "../saveat.js";
import { ODETerm } from "../terms.js";
import { describeValue } from "../tree.js";
import { ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";
import { eventJumps } from "./events.js";
import { isSDETerms } from "./sde_terms.js";
import { checkDifferentiable, emptyStats, packCotangents, type Gradients, type VjpResult } from "./outputs.js";

/** Options of {@link BacksolveAdjoint}. */
export interface BacksolveAdjointOptions {
  /** Solver of the backward solve (any ODE solver, implicit ones included). @defaultValue the forward solver */
  solver?: AbstractSolver<any>;
  /**
   * Step-size controller of the backward solve (the adjoint tolerances): it controls the error of
   * the state, the adjoint and the parameter gradient together.
   * @defaultValue a PIDController with the forward controller's (smallest) rtol and atol; fixed
   * steps of the forward dt0 after a ConstantStepSize solve
   */
  stepsizeController?: AbstractStepSizeController;
  /** Most steps of each backward segment. @defaultValue the forward solve's maxSteps */
  maxSteps?: number;
  /**
   * Where the backward solve gets y(t): `"backsolve"` solves the state backward with the adjoint
   * (constant memory; unstable for stiff problems, whose decaying modes grow backward);
   * `"interpolate"` reads it from the forward solve's dense output (memory proportional to the
   * steps; stable for stiff problems, the "interpolating adjoint" of SciMLSensitivity).
   * @defaultValue "backsolve"
   */
  state?: "backsolve" | "interpolate";
}

/**
 * The continuous adjoint solved backward in time with any solver: constant memory, gradients
 * accurate to the solve tolerances. Prefer {@link RecursiveCheckpointAdjoint} with explicit
 * solvers (exact for the computed solution); use this with stiff solvers and long horizons.
 *
 * @example
 * ```ts
 * const { pullback } = diffeqsolveVjp({
 *   ...options, solver: new Rodas5P(),
 *   adjoint: new BacksolveAdjoint({ stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }) }),
 * });
 * ```
 */
export class BacksolveAdjoint {
  readonly kind = "backsolve" as const;
  readonly solver: AbstractSolver<any> | undefined;
  readonly stepsizeController: AbstractStepSizeController | undefined;
  readonly maxSteps: number | undefined;
  readonly state: "backsolve" | "interpolate";
  constructor(options: BacksolveAdjointOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("new BacksolveAdjoint(options): `options` must be an object such as { stepsizeController: new PIDController({ rtol: 1e-8 }) }.");
    }
    for (const key of Object.keys(options)) {
      if (key !== "solver" && key !== "stepsizeController" && key !== "maxSteps" && key !== "state") {
        throw new TypeError(`new BacksolveAdjoint(options): unknown option \`${key}\`; the options are solver, stepsizeController, maxSteps and state.`);
      }
    }
    if (options.solver !== undefined && (options.solver === null || typeof options.solver !== "object" || typeof options.solver.step !== "function")) {
      throw new TypeError(`new BacksolveAdjoint: \`solver\` must be a solver such as new Tsit5(); got ${describeValue(options.solver)}.`);
    }
    if (options.stepsizeController !== undefined && !(options.stepsizeController instanceof AbstractStepSizeController)) {
      throw new TypeError(`new BacksolveAdjoint: \`stepsizeController\` must be PIDController, ConstantStepSize or StepTo; got ${describeValue(options.stepsizeController)}.`);
    }
    const m = options.maxSteps;
    if (m !== undefined && (typeof m !== "number" || !Number.isInteger(m) || m < 1)) {
      throw new RangeError(`new BacksolveAdjoint: \`maxSteps\` = ${describeValue(m)} must be a whole number ≥ 1, or omitted (the forward solve's).`);
    }
    this.solver = options.solver;
    this.stepsizeController = options.stepsizeController;
    this.maxSteps = options.maxSteps;
    const state = options.state ?? "backsolve";
    if (state !== "backsolve" && state !== "interpolate") {
      throw new RangeError(`new BacksolveAdjoint: \`state\` = ${typeof state === "string" ? JSON.stringify(state) : describeValue(state)} must be "backsolve" or "interpolate".`);
    }
    this.state = state;
  }
}

function minTol(tol: number | Float64Array): number {
  if (typeof tol === "number") return tol;
  let m = Infinity;
  for (let i = 0; i < tol.length; i++) m = Math.min(m, tol[i]!);
  return m;
}

/** @internal The forward solve and the backward adjoint solve. */
export function backsolveVjp<Y, A>(adjoint: BacksolveAdjoint, v: Validated<Y>, args: A, throwOnFailure: boolean): VjpResult<Y, A> {
  const who = "diffeqsolveVjp (BacksolveAdjoint)";
  if (isSDETerms(v as Validated<unknown>)) {
    throw new TypeError(
      `${who}: the continuous adjoint is solved for ODEs; for SDEs use adjoint: new RecursiveCheckpointAdjoint() (EulerMaruyama, EulerHeun) ` +
        "or new ReversibleAdjoint() (ReversibleHeun), which take the Brownian path again on the backward pass.",
    );
  }
  const vf = checkDifferentiable(v as Validated<unknown>, who);
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const nP = layout.size;
  const deriv = new VectorFieldDerivatives(vf, n, layout, v.f);

  const interpolate = adjoint.state === "interpolate";
  const vf2: Validated<Y> = interpolate && !v.saveat.dense
    ? { ...v, saveat: new SaveAt({ t0: v.saveat.t0, t1: v.saveat.t1, ...(v.saveat.ts !== undefined ? { ts: v.saveat.ts } : {}), dense: true }) }
    : v;
  const ws = createLoopWorkspace(vf2, args, { plan: true });
  runLoop(vf2, vf2.y0, args, ws);
  const solution = solutionFromWorkspace(vf2, ws, throwOnFailure);
  const yEnd = Float64Array.from(ws.y);
  const tEnd = ws.tFinal;
  // Events that changed the solve: the adjoint jumps back through each (events.ts).
  const jumps = eventJumps(v as Validated<unknown>, solution.events, layout, who);
  // The row saved at t0 before events there (a dose at t0) is the state before them (the output plan marks it).
  const preRow = ws.rows.count > 0 && ws.rows.rowKind![0] === ROW_BEFORE_EVENTS ? 0 : -1;
  const dirT = tEnd >= v.t0 ? 1 : -1;

  const solver = adjoint.solver ?? v.solver;
  let controller = adjoint.stepsizeController;
  let fixedDt: number | undefined;
  if (controller === undefined) {
    const c = v.controller;
    if (c instanceof PIDController) controller = new PIDController({ rtol: minTol(c.rtol), atol: minTol(c.atol) });
    else if (c instanceof ConstantStepSize && v.dt0 !== undefined) {
      controller = new ConstantStepSize();
      fixedDt = Math.abs(v.dt0);
    } else controller = new PIDController({ rtol: 1e-8, atol: 1e-10 });
  } else if (controller instanceof ConstantStepSize) {
    if (v.dt0 === undefined) throw new TypeError(`${who}: a ConstantStepSize backward solve takes the forward dt0, but none was given; pass dt0 or use a PIDController.`);
    fixedDt = Math.abs(v.dt0);
  }
  const maxSteps = adjoint.maxSteps ?? v.maxSteps;

  // Backsolve: Z = [y, a, g]; interpolate: Z = [a, g] with y(t) from the forward interpolant.
  const ny = interpolate ? 0 : n;
  const Nz = ny + n + nP;
  const f = v.f;
  const yv = new Float64Array(n);
  const av = new Float64Array(n);
  const fv = new Float64Array(n);
  const ov = new Float64Array(n);
  const pz = new Float64Array(Math.max(nP, 1));
  let numVjp = 0;
  const tLo = Math.min(v.t0, tEnd);
  const tHi = Math.max(v.t0, tEnd);
  const fz = (t: number, Z: Float64Array, a: unknown, dZ: Float64Array): void => {
    // Clamped: a solver may probe just outside the interval (a finite-difference ∂f/∂t).
    if (interpolate) solution.evaluate(t < tLo ? tLo : t > tHi ? tHi : t, yv);
    for (let j = 0; j < n; j++) {
      if (!interpolate) yv[j] = Z[j]!;
      av[j] = Z[ny + j]!;
    }
    if (!interpolate) f(t, yv, a, fv);
    pz.fill(0);
    deriv.vjpYP(t, yv, av, ov, pz);
    numVjp++;
    for (let j = 0; j < n; j++) {
      if (!interpolate) dZ[j] = fv[j]!;
      dZ[ny + j] = -ov[j]!;
    }
    for (let k = 0; k < nP; k++) dZ[ny + n + k] = -pz[k]!;
  };
  const term = new ODETerm(fz);
  const rows = solution.ts.length;

  const pullback = (ysBar: unknown): Gradients<Y, A> => {
    const bar = packCotangents(ysBar, rows, n, v.structure as never, who);
    const stats = emptyStats();
    const Z = new Float64Array(Nz);
    if (!interpolate) Z.set(yEnd);
    let tCur = tEnd;
    const vjp0 = numVjp;
    const back = (tTo: number): void => {
      if (tTo === tCur) return;
      const dir = tTo > tCur ? 1 : -1;
      const sol = diffeqsolve({
        terms: term, solver, t0: tCur, t1: tTo, y0: Z, args, stepsizeController: controller, maxSteps,
        ...(fixedDt !== undefined ? { dt0: dir * fixedDt } : {}),
      });
      Z.set(sol.ys[sol.ys.length - 1]!);
      stats.numBackwardSteps += sol.stats.numSteps;
      stats.numFnEvals += sol.stats.numFnEvals;
      tCur = tTo;
    };
    const eventTimes = new Float64Array(solution.events.length);
    const adj = Z.subarray(ny, ny + n);
    const grad = Z.subarray(ny + n);
    let next = jumps.length - 1;
    /** Solves back to the next event and through its jump (the state then restarts from y⁻). */
    const jumpBack = (): void => {
      const jump = jumps[next--]!;
      back(jump.group.t);
      const tau = jump.reverse(adj, null, grad, adj);
      if (jump.group.timeRecord >= 0) eventTimes[jump.group.timeRecord] += tau;
      if (!interpolate) Z.set(jump.group.yPre);
    };
    for (let r = rows - 1; r >= 0; r--) {
      const tr = solution.ts[r]!;
      // Rows at an event's time hold the state after it: they come before its jump.
      while (next >= 0 && (dirT * (jumps[next]!.group.t - tr) > 0 || r === preRow)) jumpBack();
      back(tr);
      const yr = solution.ys[r]!;
      for (let j = 0; j < n; j++) {
        if (!interpolate) Z[j] = yr[j]!;
        Z[ny + j] += bar[r * n + j]!;
      }
    }
    while (next >= 0) jumpBack();
    back(v.t0);
    stats.numVjpEvals = numVjp - vjp0;
    return { y0: v.structure.unflatten(Z.subarray(ny, ny + n)) as never, args: layout.unflatten(Z.subarray(ny + n)) as A, eventTimes, stats };
  };
  return { solution, pullback };
}
