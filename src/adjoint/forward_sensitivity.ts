/**
 * ForwardSensitivity: forward-mode derivatives of a solve, for every solver.
 *
 * The state is augmented with m tangent directions S_d (d = 1 … m), each obeying the forward
 * sensitivity (variational) equation
 *
 *   dS_d/dt = (∂f/∂y) S_d + (∂f/∂p) ṗ_d,   S_d(t0) = ẏ0_d,
 *
 * For an explicit Runge–Kutta method the tangents are those of the discrete solution itself: the
 * primal solve runs as usual, keeping each step's stages, and the tangents follow step by step
 * from the stage inputs (forward-mode differentiation of the discretisation, to rounding; see
 * discreteTangents). For other solvers the augmented system is solved by the same solver through
 * the ordinary loop, and the step-size controller sees the state and the tangents (with the
 * state's rtol and atol, as CVODES' default), so the tangents, the sensitivity equations'
 * solution, meet the tolerance too; the steps may then be smaller than the primal's. (With a
 * custom `norm` function, only the state is controlled, and the steps are the primal's.) At an
 * event that changes the state or ends the solve, the tangents jump with the state: through the
 * affect's derivatives and the event time's own sensitivity (from its condition, on the step's
 * interpolant); see events.ts. (Solves with such events, and SDE solves, take the augmented system.)
 *
 * Reference: E. Hairer, S. P. Nørsett and G. Wanner, Solving Ordinary Differential Equations I,
 * §I.14 (the variational equation); for the discrete equivalence, A. Walther, "Automatic
 * differentiation of explicit Runge–Kutta methods for optimal control", Comput. Optim. Appl. 36, 2007.
 */
import { checkKeys } from "../util/options.js";
import { Structure } from "../tree.js";
import { PIDController } from "../controllers/pid.js";
import { createLoopWorkspace, initialStepSize, type LoopWorkspace, runLoop, solutionFromWorkspace, type StepHook, validate, type Validated } from "../integrate.js";
import { ERKStepAdjoint } from "./erk_adjoint.js";
import { NEED_OUTPUTS, NEED_STEP, type StepAdjoint, StepRecord } from "./step_adjoint.js";
import { isOkay, RESULTS, SolveError } from "../results.js";
import { changesSolve, EventJump, groupEvents } from "./events.js";
import { Event } from "../events/event.js";
import type { Integration } from "../integrate/loop.js";
import { Solution } from "../solution.js";
import { ControlTerm, MultiTerm, ODETerm } from "../terms.js";
import type { AbstractBrownianPath } from "../brownian/path.js";
import { DiffusionDerivatives } from "./diffusion.js";
import { checkSDESolver, differentiableTerms, tangentsExact } from "./sde_terms.js";
import { ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";
import { rowsByStep, tangentPullback, type VjpResult } from "./outputs.js";
import type { ExplicitRungeKutta } from "../solvers/erk.js";

/**
 * Forward-mode sensitivities: the gradient is assembled from n + nP tangent directions (one per
 * component of y0 and per parameter) carried along the state. With explicit Runge–Kutta solvers
 * the discrete forward mode (the Jacobians once per stage for all directions); with other solvers
 * the augmented sensitivity system, about (1 + n + nP) forward solves' worth of vector-field work
 * (less with an exact `jac`/`jacArgs`). Suits few parameters; works with every ODE solver.
 *
 * @example
 * ```ts
 * const { pullback } = diffeqsolveVjp({ ...options, solver: new Rodas5P(), adjoint: new ForwardSensitivity() });
 * ```
 */
export class ForwardSensitivity {
  readonly kind = "forwardSensitivity" as const;
  constructor(options: Record<string, never> = {}) {
    checkKeys(options, [], "new ForwardSensitivity(options)");
  }
}

/** The primal solution and, per saved row, m tangent rows (row r, direction d at (r·m + d)·n). */
interface TangentRun<Y> {
  solution: Solution<Y>;
  tangents: Float64Array;
  m: number;
}

/**
 * Solves the primal problem with m tangent directions: `dirY0` (m × n) and `dirP` (m × nP); a
 * direction whose parameter tangent is one-hot may give its index in `unitP` (−1 otherwise).
 * Explicit Runge–Kutta solves take the discrete forward mode alongside the primal solve (see
 * {@link discreteTangents}); other solvers, the augmented system.
 */
function solveWithTangents<Y>(
  v: Validated<Y>, args: unknown, throwOnFailure: boolean, deriv: VectorFieldDerivatives, m: number, dirY0: Float64Array, dirP: Float64Array, unitP: Int32Array,
  who: string, diffusion: ControlTerm | null,
): TangentRun<Y> {
  const map = v.solver.stepMap;
  if (map !== undefined && map.kind === "erk" && diffusion === null && v.events === null) {
    const run = discreteTangents(map.solver, v, args, throwOnFailure, deriv, m, dirY0, dirP, unitP);
    if (run !== null) return run;
  }
  return solveAugmented(v, args, throwOnFailure, deriv, m, dirY0, dirP, unitP, who, diffusion);
}

/** The stage tangents K̇ = ∂f/∂y Ẏ + ∂f/∂p ṗ for m directions at once (m × n, direction after direction). */
function stageTangentFunction(
  deriv: VectorFieldDerivatives, n: number, m: number, dirP: Float64Array, unitP: Int32Array,
): (t: number, y: Float64Array, yDot: Float64Array, out: Float64Array, offset: number) => void {
  const nP = deriv.nP;
  let anyP = false;
  let allUnit = nP > 0;
  for (let d = 0; d < m; d++) {
    let nz = false;
    for (let k = 0; k < nP; k++) if (dirP[d * nP + k] !== 0) nz = true;
    if (nz) anyP = true;
    if (nz && unitP[d]! < 0) allUnit = false;
  }
  const J = deriv.vf.jac !== undefined && m >= n ? new Float64Array(n * n) : null;
  const JP = anyP && allUnit && m > 1 ? new Float64Array(n * Math.max(nP, 1)) : null;
  const sv = new Float64Array(n);
  const ov = new Float64Array(n);
  const pViews: Float64Array[] = [];
  for (let d = 0; d < m; d++) pViews.push(dirP.subarray(d * nP, (d + 1) * nP));
  return (t, y, yDot, out, offset) => {
    if (J !== null) {
      deriv.jacY(t, y, J);
      for (let d = 0; d < m; d++) {
        const o = offset + d * n;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += J[i * n + j]! * yDot[d * n + j]!;
          out[o + i] = acc;
        }
      }
    } else {
      for (let d = 0; d < m; d++) {
        for (let j = 0; j < n; j++) sv[j] = yDot[d * n + j]!;
        deriv.jvpY(t, y, sv, ov);
        for (let i = 0; i < n; i++) out[offset + d * n + i] = ov[i]!;
      }
    }
    if (!anyP) return;
    if (JP !== null) {
      deriv.jacP(t, y, JP);
      for (let d = 0; d < m; d++) {
        const u = unitP[d]!;
        if (u >= 0) for (let i = 0; i < n; i++) out[offset + d * n + i] += JP[i * nP + u]!;
      }
      return;
    }
    for (let d = 0; d < m; d++) {
      ov.fill(0);
      deriv.jvpPAdd(t, y, pViews[d]!, ov);
      for (let i = 0; i < n; i++) out[offset + d * n + i] += ov[i]!;
    }
  };
}

/** Bytes the discrete forward mode may keep (every step's state and stages) before it falls back to the augmented solve. */
const DISCRETE_TANGENT_BYTES = 64 * 1024 * 1024;

/** The step hook of the discrete forward mode: every step's state and stages. */
class TangentRecorder implements StepHook {
  readonly times = new Float64Array(3);
  ws: LoopWorkspace | null = null;
  states: Float64Array;
  overflow = false;
  private readonly x: Float64Array;
  constructor(readonly steps: StepRecord, readonly adj: StepAdjoint, readonly n: number) {
    this.states = new Float64Array(steps.capacity * n);
    this.x = new Float64Array(n);
  }
  accepted(y0: Float64Array): void {
    if (this.overflow) return;
    const i = this.steps.push(this.times);
    const n = this.n;
    if ((i + 1) * (n + this.adj.keptPerStep) * 8 > DISCRETE_TANGENT_BYTES) {
      this.overflow = true;
      this.adj.dropKept();
      return;
    }
    if (this.states.length < (i + 1) * n) {
      const grown = new Float64Array(2 * this.states.length);
      grown.set(this.states);
      this.states = grown;
    }
    this.adj.capture(i, y0, this.ws!.solverState!, this.x, true);
    const states = this.states;
    for (let j = 0; j < n; j++) states[i * n + j] = this.x[j]!;
  }

}

/**
 * The discrete forward mode of an explicit Runge–Kutta solve: the primal solve runs as usual
 * (its own, fused kernel) keeping every step's state and stages; then each step's tangents follow
 * from the recorded stage inputs, Ẏ_i = ẏ0 + h Σ a_il K̇_l, K̇_i = ∂f/∂y(Y_i) Ẏ_i + ∂f/∂p ṗ,
 * ẏ1 = ẏ0 + h Σ b_i K̇_i, and the saved rows' from the interpolant's stages (the output plan says
 * which step and θ). The same numbers as the augmented system's (mathematically), at the cost of
 * the derivative products only. Null when the record would exceed its memory bound.
 */
function discreteTangents<Y>(
  solver: ExplicitRungeKutta, v: Validated<Y>, args: unknown, throwOnFailure: boolean, deriv: VectorFieldDerivatives,
  m: number, dirY0: Float64Array, dirP: Float64Array, unitP: Int32Array,
): TangentRun<Y> | null {
  const n = v.y0.length;
  const steps = new StepRecord(256);
  const adj = new ERKStepAdjoint(solver, { v: v as Validated<unknown>, args, layout: deriv.layout, steps, who: "ForwardSensitivity" });
  const rec = new TangentRecorder(steps, adj, n);
  const ws = createLoopWorkspace(v, args, { plan: true });
  rec.ws = ws as LoopWorkspace;
  ws.stepHook = rec;
  runLoop(v, v.y0, args, ws);
  ws.stepHook = null;
  rec.ws = null;
  if (rec.overflow) return null;
  const solution = solutionFromWorkspace(v, ws, false);
  const N = steps.count;
  const rows = solution.ts.length;
  const { stateStart, stateRows, interpStart, interpRows, interpTheta } = rowsByStep(ws.rows, N);
  const rk = adj.rk;
  const mn = m * n;
  const S = Float64Array.from(dirY0.subarray(0, mn));
  const Kd = new Float64Array(rk.denseStages * mn);
  const Yd = new Float64Array(mn);
  const tangents = new Float64Array(rows * mn);
  const stageTangent = stageTangentFunction(deriv, n, m, dirP, unitP);
  // With an exact Jacobian and unit parameter directions (the gradient's case), generated kernels.
  let anyP = false;
  let allUnit = true;
  const nP = deriv.nP;
  for (let d = 0; d < m; d++) {
    let nz = false;
    for (let k = 0; k < nP; k++) if (dirP[d * nP + k] !== 0) nz = true;
    if (nz) anyP = true;
    if (nz && unitP[d]! < 0) allUnit = false;
  }
  const useJ = deriv.vf.jac !== undefined && m >= n && (!anyP || allUnit);
  const J = new Float64Array(n * n);
  const JP = anyP ? new Float64Array(n * Math.max(nP, 1)) : null;
  const KdViews: Float64Array[] = [];
  for (let i = 0; i < rk.denseStages; i++) KdViews.push(Kd.subarray(i * mn, (i + 1) * mn));
  const x0 = new Float64Array(n);
  const saveStates = (k: number): void => {
    for (let q = stateStart[k]!; q < stateStart[k + 1]!; q++) tangents.set(S, stateRows[q]! * mn);
  };
  saveStates(0);
  for (let i = 0; i < N; i++) {
    const outputs = interpStart[i + 1]! > interpStart[i]!;
    for (let j = 0; j < n; j++) x0[j] = rec.states[i * n + j]!;
    adj.record(i, x0, outputs ? NEED_OUTPUTS : NEED_STEP);
    const h = steps.h(i);
    const count = outputs ? rk.denseStages : rk.stepStages;
    // Without outputs in the step, the generated kernel also advances S to y1's tangents.
    let advanced = false;
    if (useJ && rk.stageTangentsJacobian(steps.t(i), h, count, m, S, KdViews, unitP, J, JP, !outputs)) advanced = !outputs;
    else rk.stageTangents(steps.t(i), h, count, m, S, Kd, Yd, stageTangent);
    for (let q = interpStart[i]!; q < interpStart[i + 1]!; q++) rk.interpolateTangents(h, interpTheta[q]!, m, S, Kd, tangents, interpRows[q]! * mn);
    if (!advanced) rk.advanceTangents(h, m, S, Kd);
    saveStates(i + 1);
  }
  if (throwOnFailure && !isOkay(solution.result)) throw new SolveError(solution.result, ws.detail, solution);
  return { solution, tangents, m };
}

/** The primal and its tangents as one augmented system solved by the same solver (any solver). */
function solveAugmented<Y>(
  v: Validated<Y>,
  args: unknown,
  throwOnFailure: boolean,
  deriv: VectorFieldDerivatives,
  m: number,
  dirY0: Float64Array,
  dirP: Float64Array,
  unitP: Int32Array,
  who: string,
  diffusion: ControlTerm | null,
): TangentRun<Y> {
  const n = v.y0.length;
  const nP = deriv.nP;
  const N = n * (1 + m);
  const f = v.f;
  const yv = new Float64Array(n);
  const fv = new Float64Array(n);
  const sv = new Float64Array(n);
  const ov = new Float64Array(n);
  const pViews: Float64Array[] = [];
  let anyP = false;
  for (let d = 0; d < m; d++) {
    pViews.push(dirP.subarray(d * nP, (d + 1) * nP));
    for (let k = 0; k < nP; k++) if (dirP[d * nP + k] !== 0) anyP = true;
  }
  const useJac = deriv.vf.jac !== undefined && m >= n;
  let allUnit = nP > 0 && anyP;
  for (let d = 0; d < m; d++) {
    let nz = false;
    for (let k = 0; k < nP; k++) if (dirP[d * nP + k] !== 0) nz = true;
    if (nz && unitP[d]! < 0) allUnit = false;
  }
  const useJacP = allUnit && m > 1;
  const J = useJac ? new Float64Array(n * n) : null;
  const JP = useJacP ? new Float64Array(n * Math.max(nP, 1)) : null;
  // The gradient's case (unit directions: y0 first, then one per parameter) with exact Jacobians:
  // two branch-free passes, S' = J S for every direction, then + ∂f/∂p_k for the parameter ones.
  const unitCase = J !== null && JP !== null && m === n + nP && isGradientLayout(dirY0, unitP, n, nP);
  const faugUnit = (t: number, Z: Float64Array, a: unknown, dZ: Float64Array): void => {
    for (let j = 0; j < n; j++) yv[j] = Z[j]!;
    f(t, yv, a, fv);
    for (let j = 0; j < n; j++) dZ[j] = fv[j]!;
    deriv.jacY(t, yv, J!);
    deriv.jacP(t, yv, JP!);
    const Jm = J!;
    const JPm = JP!;
    for (let d = 0; d < m; d++) {
      const off = n * (1 + d);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += Jm[i * n + j]! * Z[off + j]!;
        dZ[off + i] = acc;
      }
    }
    for (let k = 0; k < nP; k++) {
      const off = n * (1 + n + k);
      for (let i = 0; i < n; i++) dZ[off + i] += JPm[i * nP + k]!;
    }
  };
  const faug = (t: number, Z: Float64Array, a: unknown, dZ: Float64Array): void => {
    for (let j = 0; j < n; j++) yv[j] = Z[j]!;
    f(t, yv, a, fv);
    for (let j = 0; j < n; j++) dZ[j] = fv[j]!;
    if (J !== null) deriv.jacY(t, yv, J);
    if (JP !== null) deriv.jacP(t, yv, JP);
    for (let d = 0; d < m; d++) {
      const off = n * (1 + d);
      if (J !== null) {
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += J[i * n + j]! * Z[off + j]!;
          ov[i] = acc;
        }
      } else {
        for (let j = 0; j < n; j++) sv[j] = Z[off + j]!;
        deriv.jvpY(t, yv, sv, ov);
      }
      if (anyP) {
        const u = unitP[d]!;
        if (JP !== null) {
          if (u >= 0) for (let i = 0; i < n; i++) ov[i] += JP[i * nP + u]!;
        } else deriv.jvpPAdd(t, yv, pViews[d]!, ov);
      }
      for (let i = 0; i < n; i++) dZ[off + i] = ov[i]!;
    }
  };
  const z0 = new Float64Array(N);
  z0.set(v.y0);
  z0.set(dirY0.subarray(0, m * n), n);

  // Step control: for explicit Runge–Kutta methods on the state only (the steps are the primal's,
  // and the tangents are the exact derivative of that discrete solution); for the others on the
  // state and the tangents together, as CVODES does by default, so that the tangents meet the
  // tolerance too: their accuracy is not tied to the state's (a Rosenbrock method on the augmented
  // system, with a finite-difference Jacobian, gave tangents 500 tolerance units off).
  // The first step is the primal's either way.
  let controller = v.controller;
  let dt0 = v.dt0;
  if (controller instanceof PIDController) {
    const pid = controller;
    const controlled = tangentsExact(v.solver) || typeof pid.norm === "function" ? n : N;
    const expand = (tol: number | Float64Array): Float64Array => {
      // Entries past `controlled` are never read by the norm below; they are kept valid tolerances.
      const out = new Float64Array(N).fill(typeof tol === "number" ? tol : tol[0]!);
      for (let i = 0; i < controlled; i++) out[i] = typeof tol === "number" ? tol : tol[i % n]!;
      return out;
    };
    const base = pid.norm;
    let view: Float64Array | null = null;
    const norm = (s: Float64Array): number => {
      if (base === "rms") {
        let acc = 0;
        for (let i = 0; i < controlled; i++) acc += s[i]! * s[i]!;
        return Math.sqrt(acc / controlled);
      }
      if (base === "max") {
        let acc = 0;
        for (let i = 0; i < controlled; i++) acc = Math.max(acc, Math.abs(s[i]!)) + (s[i]! - s[i]!);
        return acc;
      }
      if (view === null || view.buffer !== s.buffer || view.byteOffset !== s.byteOffset) view = s.subarray(0, n);
      return base(view);
    };
    controller = new PIDController({
      rtol: expand(pid.rtol), atol: expand(pid.atol), pcoeff: pid.pcoeff, icoeff: pid.icoeff, dcoeff: pid.dcoeff,
      dtmin: pid.dtmin, dtmax: pid.dtmax, forceDtmin: pid.forceDtmin, factormin: pid.factormin, factormax: pid.factormax,
      safety: pid.safety, norm, stepTs: pid.stepTs, jumpTs: pid.jumpTs,
    });
    if (dt0 === undefined && v.t0 !== v.t1) {
      const f0 = new Float64Array(n);
      f(v.t0, Float64Array.from(v.y0), args, f0);
      const dir = v.t1 >= v.t0 ? 1 : -1;
      let dtmax = Math.abs(v.t1 - v.t0);
      if (pid.dtmax !== undefined) dtmax = Math.min(dtmax, pid.dtmax);
      dt0 = dir * initialStepSize(f, args, v.t0, Float64Array.from(v.y0), f0, dir, v.solver.order, pid.rtol, pid.atol, dtmax, new Float64Array(n), new Float64Array(n));
    }
  }
  const loop: { ws: Integration | null } = { ws: null };
  const drift = new ODETerm(unitCase ? faugUnit : faug);
  const va = validate({
    terms: diffusion === null ? drift : new MultiTerm(drift, tangentDiffusion(diffusion, args, n, m, dirP, deriv.layout)), solver: v.solver, t0: v.t0, t1: v.t1, dt0, y0: z0, args, saveat: v.saveat,
    stepsizeController: controller, maxSteps: v.maxSteps, throw: false, progressMeter: v.progress ?? undefined,
    ...(v.events !== null ? { event: tangentEvents(v as Validated<unknown>, m, dirP, deriv.layout, loop, who), maxEvents: v.maxEvents } : {}),
  });
  // The augmented solve, through the one loop.
  const ws = createLoopWorkspace(va, args);
  loop.ws = ws as Integration;
  runLoop(va, va.y0, args, ws);
  const aug = solutionFromWorkspace(va, ws, false);
  const rows = aug.ts.length;
  const ysFlat = new Float64Array(rows * n);
  const tangents = new Float64Array(rows * m * n);
  for (let r = 0; r < rows; r++) {
    const row = aug.ys[r]!;
    for (let j = 0; j < n; j++) ysFlat[r * n + j] = row[j]!;
    for (let q = 0; q < m * n; q++) tangents[r * m * n + q] = row[n + q]!;
  }
  const events = aug.events.map((e) => ({ index: e.index, t: e.t, y: e.y.slice(0, n) }));
  const solution = new Solution<Y>({
    t0: v.t0, t1: v.t1, ts: aug.ts, ysFlat, size: n, result: aug.result, detail: ws.detail, stats: aug.stats,
    tFinal: aug.tFinal, structure: v.structure, dense: null, events,
  });
  if (throwOnFailure && !isOkay(aug.result)) throw new SolveError(aug.result, ws.detail, solution);
  return { solution, tangents, m };
}

/**
 * The control term of the augmented SDE: the same path, general noise, the rows of the state
 * g(t, y) (diagonal noise written on the diagonal) and below them, for each direction d,
 * (∂g/∂y) S_d + (∂g/∂p) ṗ_d, so that every tangent sees the state's Brownian increments.
 */
function tangentDiffusion(term: ControlTerm, args: unknown, n: number, dirs: number, dirP: Float64Array, layout: ArgsLayout): ControlTerm {
  const control = term.control as AbstractBrownianPath | ((a: unknown) => AbstractBrownianPath);
  const m = (typeof control === "function" ? control(args) : control).size;
  const diagonal = term.noise === "diagonal";
  const gSize = diagonal ? n : n * m;
  const nP = layout.size;
  const dd = new DiffusionDerivatives(term, n, gSize, layout);
  const g = term.diffusion as (t: number, y: Float64Array, a: unknown, out: Float64Array) => void;
  const y = new Float64Array(n);
  const s = new Float64Array(n);
  const gv = new Float64Array(gSize);
  const pViews: Float64Array[] = [];
  let anyP = false;
  for (let d = 0; d < dirs; d++) {
    pViews.push(dirP.subarray(d * nP, (d + 1) * nP));
    for (let k = 0; k < nP; k++) if (dirP[d * nP + k] !== 0) anyP = true;
  }
  /** Writes g-shaped `src` as rows block·n … block·n + n − 1 of the N × m matrix `out`. */
  const place = (src: Float64Array, block: number, out: Float64Array): void => {
    const base = block * n * m;
    if (diagonal) for (let i = 0; i < n; i++) out[base + i * m + i] = src[i]!;
    else for (let q = 0; q < n * m; q++) out[base + q] = src[q]!;
  };
  const augmented = (t: number, Z: Float64Array, a: unknown, out: Float64Array): void => {
    for (let j = 0; j < n; j++) y[j] = Z[j]!;
    if (diagonal) out.fill(0, 0, n * (1 + dirs) * m);
    g(t, y, a, gv);
    place(gv, 0, out);
    for (let d = 0; d < dirs; d++) {
      const off = n * (1 + d);
      for (let j = 0; j < n; j++) s[j] = Z[off + j]!;
      dd.jvpY(t, y, s, gv);
      if (anyP) dd.jvpPAdd(t, y, pViews[d]!, gv);
      place(gv, 1 + d, out);
    }
  };
  return new ControlTerm(augmented, term.control, { noise: "general" });
}

/**
 * The events of the augmented solve: each event of `v` with its condition read on the state part,
 * and, where it changes the solve, an affect that applies the jump to the state and its
 * linearisation to every tangent (events.ts). The events firing together at one time are applied
 * as one jump by the first affect called there (the detector's records tell which fired); the
 * others then do nothing. The state before the jump is the interpolant's, as the solve located
 * it; its time derivative, the interpolant's, is read from the solver.
 */
function tangentEvents(v: Validated<unknown>, m: number, dirP: Float64Array, layout: ArgsLayout, loop: { ws: Integration | null }, who: string): Event[] {
  const n = v.y0.length;
  const nP = layout.size;
  const y = new Float64Array(n);
  const du = new Float64Array(n);
  const dp = new Float64Array(nP);
  let ydotZ = new Float64Array(0);
  const ydot = new Float64Array(n);
  let pending = 0;
  let pendingStep = -1;
  let pendingT = NaN;
  const jumpAt = (t: number, Z: Float64Array): void => {
    const ws = loop.ws!;
    if (pending > 0 && ws.numAcceptedSteps === pendingStep && t === pendingT) {
      pending--; // applied with the first event of this time
      return;
    }
    const records = ws.events!.records();
    let first = records.length;
    while (first > 0 && records[first - 1]!.t === t) first--;
    const group = { ...groupEvents(v.events!, records, first)[0]!, yPre: Float64Array.from(Z.subarray(0, n)) };
    let calls = 0;
    for (let r = first; r < records.length; r++) if (changesSolve(v.events![records[r]!.index]!)) calls++;
    pending = calls - 1;
    pendingStep = ws.numAcceptedSteps;
    pendingT = t;
    const jump = new EventJump(group, v, layout, who);
    let root: Float64Array | null = null;
    if (ws.numAcceptedSteps > 0) {
      if (ydotZ.length !== Z.length) ydotZ = new Float64Array(Z.length);
      ws.v.solver.interpolateDerivative(ws.solverState!, ws.eventThetaValue, ydotZ);
      for (let j = 0; j < n; j++) ydot[j] = ydotZ[j]!;
      root = ydot;
    }
    for (let d = 0; d < m; d++) {
      const off = n * (1 + d);
      for (let j = 0; j < n; j++) du[j] = Z[off + j]!;
      for (let k = 0; k < nP; k++) dp[k] = dirP[d * nP + k]!;
      jump.forward(du, root, dp, 0, du);
      for (let j = 0; j < n; j++) Z[off + j] = du[j]!;
    }
    for (let j = 0; j < n; j++) Z[j] = jump.yPost[j]!;
  };
  return v.events!.map((e) => {
    const cond = e.cond;
    const options: Record<string, unknown> = { terminal: e.terminal };
    if (cond !== undefined) {
      options.cond = (t: number, Z: Float64Array, a: unknown) => {
        for (let j = 0; j < n; j++) y[j] = Z[j]!;
        return cond(t, y, a);
      };
    }
    if (e.kind === "scheduled") options.times = e.times;
    if (e.kind === "discrete") options.discrete = true;
    if (e.kind === "continuous") {
      options.direction = e.direction;
      options.rootTolerance = e.rootTolerance;
      if (e.interpPoints !== undefined) options.interpPoints = e.interpPoints;
    }
    if (changesSolve(e)) options.affect = jumpAt;
    return new Event(options);
  });
}

/** Whether the directions are the gradient's: y0's unit vectors, then one unit parameter each. */
function isGradientLayout(dirY0: Float64Array, unitP: Int32Array, n: number, nP: number): boolean {
  for (let d = 0; d < n + nP; d++) {
    for (let j = 0; j < n; j++) if (dirY0[d * n + j] !== (d === j ? 1 : 0)) return false;
    if (unitP[d] !== (d < n ? -1 : d - n)) return false;
  }
  return true;
}

/** @internal diffeqsolveJvp: one tangent direction. */
export function tangentSolve<Y>(v: Validated<Y>, args: unknown, throwOnFailure: boolean, y0Dot: unknown, argsDot: unknown): { solution: Solution<Y>; tangents: Float64Array[] } {
  const { drift: vf, diffusion } = differentiableTerms(v as Validated<unknown>, "diffeqsolveJvp", true);
  checkSDESolver(v as Validated<unknown>, "diffeqsolveJvp");
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const deriv = new VectorFieldDerivatives(vf, n, layout, v.f);
  const dirY0 = new Float64Array(n);
  if (y0Dot !== undefined) {
    if ((ArrayBuffer.isView(y0Dot) || Array.isArray(y0Dot)) && (y0Dot as ArrayLike<unknown>).length === n && typeof (y0Dot as ArrayLike<unknown>)[0] === "number") {
      for (let j = 0; j < n; j++) dirY0[j] = (y0Dot as ArrayLike<number>)[j]!;
    } else {
      const size = Structure.of(y0Dot, "tangents.y0", "diffeqsolveJvp").size;
      if (size !== n) {
        throw new RangeError(`diffeqsolveJvp: \`tangents.y0\` has ${size} components but y0 has ${n}; give the tangent shaped like y0, or ${n} numbers.`);
      }
      v.structure.flatten(y0Dot, dirY0);
    }
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(dirY0[j]!)) throw new RangeError(`diffeqsolveJvp: the tangent of \`y0\` component ${j} is ${dirY0[j]}; tangents must be finite numbers.`);
    }
  }
  const dirP = new Float64Array(Math.max(layout.size, 1));
  if (argsDot !== undefined && layout.size > 0) layout.flatten(argsDot, dirP);
  for (let k = 0; k < dirP.length; k++) {
    if (!Number.isFinite(dirP[k]!)) throw new RangeError(`diffeqsolveJvp: the tangent of \`args\` slot ${layout.names[k]} is ${dirP[k]}; tangents must be finite numbers.`);
  }
  const run = solveWithTangents(v, args, throwOnFailure, deriv, 1, dirY0, dirP.subarray(0, layout.size), Int32Array.of(-1), "diffeqsolveJvp", diffusion);
  const rows: Float64Array[] = [];
  for (let r = 0; r < run.solution.ts.length; r++) rows.push(run.tangents.subarray(r * n, (r + 1) * n));
  return { solution: run.solution, tangents: rows };
}

/** @internal diffeqsolveVjp with {@link ForwardSensitivity}: n + nP directions, contracted in the pullback. */
export function forwardSensitivityVjp<Y, A>(adjoint: ForwardSensitivity, v: Validated<Y>, args: A, throwOnFailure: boolean): VjpResult<Y, A> {
  void adjoint;
  const who = "diffeqsolveVjp (ForwardSensitivity)";
  const { drift: vf, diffusion } = differentiableTerms(v as Validated<unknown>, who, true);
  checkSDESolver(v as Validated<unknown>, who);
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const nP = layout.size;
  const deriv = new VectorFieldDerivatives(vf, n, layout, v.f);
  const m = n + nP;
  const dirY0 = new Float64Array(m * n);
  const dirP = new Float64Array(m * nP);
  const unitP = new Int32Array(m).fill(-1);
  for (let d = 0; d < n; d++) dirY0[d * n + d] = 1;
  for (let k = 0; k < nP; k++) {
    dirP[(n + k) * nP + k] = 1;
    unitP[n + k] = k;
  }
  const run = solveWithTangents(v, args, throwOnFailure, deriv, m, dirY0, dirP, unitP, who, diffusion);
  return { solution: run.solution, pullback: tangentPullback<Y, A>(run.solution, run.tangents, m, v.structure as Structure<unknown>, layout, who) };
}
