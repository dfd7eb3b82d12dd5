/**
 * Forward sensitivities of a delay equation.
 *
 * A tangent S = ∂y/∂θ in a direction (ẏ0, ṗ) of the initial state and the parameters obeys the
 * variational delay equation (Hale & Verduyn Lunel, *Introduction to Functional Differential
 * Equations*, §2.4)
 *
 *   S′(t) = f_y S(t) + Σᵢ f_{yᵢ} [S(t − τᵢ) − y′(t − τᵢ) dτᵢ] + Σᵢ f_{y′ᵢ} [S′(t − τᵢ) − y″(t − τᵢ) dτᵢ] + f_p ṗ,
 *
 * with dτᵢ = ∂τᵢ/∂y S(t) + ∂τᵢ/∂p ṗ for a state- or parameter-dependent delay, and S = ∂φ/∂θ before
 * t0 (the tangent of y0 when the history is the default constant y0, else ∂φ/∂p ṗ). It is itself a
 * delay equation with the same delays: the state is augmented with m tangents, and the augmented
 * equation is solved by the same method of steps, so the tangents share its history, its
 * discontinuity tracking and its error control. The right-hand side is the directional derivative
 * of f along (S(t), S(t − τᵢ), ṗ), with the delays themselves perturbed: a central difference, one
 * pair of evaluations of f per direction (about 8 correct digits, as the ODE adjoints' finite
 * differences).
 */
import { ArgsLayout } from "../adjoint/derivatives.js";
import { tangentPullback, type VjpResult } from "../adjoint/outputs.js";
import { diffeqsolve } from "../integrate.js";
import type { Validated } from "../integrate/validate.js";
import { PIDController } from "../controllers/pid.js";
import { isOkay, SolveError } from "../results.js";
import { SaveAt } from "../saveat.js";
import { Solution } from "../solution.js";
import { Structure } from "../tree.js";
import { DelayTerm, type Delay, type History, type HistoryFunction } from "./term.js";

/** The tangents of a solve: the primal solution and, per saved row, m tangent rows (row r, direction d at (r·m + d)·n). */
interface TangentRun<Y> {
  solution: Solution<Y>;
  tangents: Float64Array;
  m: number;
}

/** Checks what the delay sensitivities do not differentiate (SaveAt fn and steps, events). */
function checkDelayDifferentiable(v: Validated<unknown>, who: string): DelayTerm {
  if (v.saveat.fn !== undefined) throw new TypeError(`${who}: SaveAt fn is not differentiated; save the state (SaveAt t0, ts, t1) and apply fn to the rows in your loss.`);
  if (v.saveat.steps > 0) throw new TypeError(`${who}: SaveAt steps is not differentiated; save at fixed times with SaveAt({ ts }).`);
  if (v.saveat.subs !== undefined && v.saveat.subs.length > 1) throw new TypeError(`${who}: SaveAt subs is not differentiated; save the state at fixed times with one SaveAt({ ts }).`);
  if (v.events !== null) throw new TypeError(`${who}: gradients of delay equations with events are not supported; solve without the event, or differentiate by finite differences.`);
  return v.terms as DelayTerm;
}

/**
 * Solves the delay equation with m tangent directions (`dirY0` m × n, `dirP` m × nP over the flat
 * parameters of `layout`).
 */
function solveWithTangents<Y>(v: Validated<Y>, args: unknown, throwOnFailure: boolean, layout: ArgsLayout, m: number, dirY0: Float64Array, dirP: Float64Array): TangentRun<Y> {
  const term = v.terms as DelayTerm;
  const n = v.y0.length;
  const N = n * (1 + m);
  const augmented = augmentedTerm(term, n, m, layout, dirY0, dirP);
  const z0 = new Float64Array(N);
  z0.set(v.y0);
  z0.set(dirY0.subarray(0, m * n), n);
  // The tangents are controlled with the state's tolerances (component i of each tangent with those of y_i).
  let controller = v.controller;
  if (controller instanceof PIDController) {
    const tile = (tol: number | Float64Array): number | Float64Array => {
      if (typeof tol === "number") return tol;
      const out = new Float64Array(N);
      for (let i = 0; i < N; i++) out[i] = tol[i % n]!;
      return out;
    };
    const p = controller;
    controller = new PIDController({
      rtol: tile(p.rtol), atol: tile(p.atol), pcoeff: p.pcoeff, icoeff: p.icoeff, dcoeff: p.dcoeff, dtmin: p.dtmin, dtmax: p.dtmax,
      forceDtmin: p.forceDtmin, factormin: p.factormin, factormax: p.factormax, safety: p.safety, norm: p.norm, stepTs: p.stepTs, jumpTs: p.jumpTs,
    });
  }
  const s = v.saveat;
  const aug = diffeqsolve({
    terms: augmented, solver: v.solver, t0: v.t0, t1: v.t1, dt0: v.dt0, y0: z0, args, stepsizeController: controller,
    saveat: new SaveAt({ t0: s.t0, t1: s.t1, ...(s.ts !== undefined ? { ts: s.ts } : {}) }), maxSteps: v.maxSteps, throw: false,
  });
  const rows = aug.ts.length;
  const ysFlat = new Float64Array(rows * n);
  const tangents = new Float64Array(rows * m * n);
  for (let r = 0; r < rows; r++) {
    const row = aug.ys[r]!;
    for (let j = 0; j < n; j++) ysFlat[r * n + j] = row[j]!;
    for (let q = 0; q < m * n; q++) tangents[r * m * n + q] = row[n + q]!;
  }
  const solution = new Solution<Y>({
    t0: v.t0, t1: v.t1, ts: aug.ts, ysFlat, size: n, result: aug.result, detail: "", message: aug.message, stats: aug.stats,
    tFinal: aug.tFinal, structure: v.structure, dense: null, events: [],
  });
  if (throwOnFailure && !isOkay(aug.result)) throw new SolveError(aug.result, aug.message, solution, aug.error);
  return { solution, tangents, m };
}

/**
 * The delay equation of the state and m tangents: Z = [y, S₁, …, S_m], the same delays (a variable
 * delay reads y, the first n components), the history [φ, ∂φ/∂θ_d], and the directional
 * derivatives of f as central differences.
 */
function augmentedTerm(term: DelayTerm, n: number, m: number, layout: ArgsLayout, dirY0: Float64Array, dirP: Float64Array): DelayTerm {
  const N = n * (1 + m);
  const k = term.delays.length;
  const nP = layout.size;
  const args0 = layout.mutableCopy();
  const p0 = layout.flatten(layout.args, new Float64Array(nP));
  // Per-call buffers.
  const y = new Float64Array(n);
  const yPert = new Float64Array(n);
  const fPlus = new Float64Array(n);
  const fMinus = new Float64Array(n);
  const fPrimal = new Float64Array(n);
  const zBuf = new Float64Array(N);
  const primal = new PartHistory(n, N, k, term.neutral);
  const pert = new PartHistory(n, N, k, term.neutral);
  const yView = new Float64Array(n);
  const delays: Delay[] = term.delays.map((d, i) => (typeof d === "number" ? d : (t: number, z: Float64Array, a: unknown) => {
    for (let j = 0; j < n; j++) yView[j] = z[j]!;
    return (term.delays[i] as (t: number, y: Float64Array, a: unknown) => number)(t, yView, a);
  }));
  let pNorm = 0;
  for (let q = 0; q < dirP.length; q++) pNorm = Math.max(pNorm, Math.abs(dirP[q]!));

  /** f at (t, y + e S_d, history + e S_d, p + e ṗ_d) into `out`. */
  const perturbed = (t: number, z: Float64Array, args: unknown, H: History, d: number, e: number, out: Float64Array): void => {
    const off = n * (1 + d);
    for (let j = 0; j < n; j++) yPert[j] = z[j]! + e * z[off + j]!;
    let a = args;
    if (nP > 0) {
      for (let q = 0; q < nP; q++) args0.set(q, p0[q]! + e * dirP[d * nP + q]!);
      a = args0.value;
    }
    for (let i = 0; i < k; i++) {
      const tau = term.constantDelays[i]!;
      if (tau === tau) {
        // A constant delay: the delayed state at the same time, plus the tangent there.
        pert.mix(i, H.delayed[i]!, term.neutral ? H.derivatives[i]! : null, off, e);
      } else {
        const s = t - Math.max(0, (term.delays[i] as (t: number, y: Float64Array, a: unknown) => number)(t, yPert, a));
        H.at(s, zBuf);
        pert.mixInto(pert.delayed[i]!, zBuf, off, e);
        if (term.neutral) {
          H.derivativeAt(s, zBuf);
          pert.mixInto(pert.derivatives[i]!, zBuf, off, e);
        }
      }
    }
    pert.bind(H, off, e);
    callField(term, t, yPert, a, out, pert.accessor, n);
  };

  const field = (t: number, z: Float64Array, args: unknown, dz: Float64Array, H: History): void => {
    for (let j = 0; j < n; j++) y[j] = z[j]!;
    for (let i = 0; i < k; i++) primal.mix(i, H.delayed[i]!, term.neutral ? H.derivatives[i]! : null, 0, 0);
    primal.bind(H, 0, 0);
    callField(term, t, y, args, fPrimal, primal.accessor, n);
    for (let j = 0; j < n; j++) dz[j] = fPrimal[j]!;
    for (let d = 0; d < m; d++) {
      const off = n * (1 + d);
      // The step of the central difference: relative to the state and the direction's size.
      let yn = 0;
      let sn = 0;
      for (let j = 0; j < n; j++) {
        yn = Math.max(yn, Math.abs(y[j]!));
        sn = Math.max(sn, Math.abs(z[off + j]!));
      }
      const dn = Math.max(sn, pNorm, 1e-300);
      const e = (1e-6 * Math.max(1, yn)) / dn;
      perturbed(t, z, args, H, d, e, fPlus);
      perturbed(t, z, args, H, d, -e, fMinus);
      for (let j = 0; j < n; j++) dz[off + j] = (fPlus[j]! - fMinus[j]!) / (2 * e);
    }
    if (nP > 0) for (let q = 0; q < nP; q++) args0.set(q, p0[q]!);
  };

  // The history of the tangents: the y0 tangent when φ is the default constant y0, else ∂φ/∂p ṗ.
  const phi = term.history;
  const scratch = [new Float64Array(n), new Float64Array(n)] as const;
  const hist: HistoryFunction = (t, a, out) => {
    historyValue(phi, t, a, out, n, m, args0, p0, dirP, nP, scratch);
  };
  return new DelayTerm(field, {
    delays,
    history: phi === undefined ? undefined : hist,
    ...(term.historyDerivative !== undefined ? { historyDerivative: augmentedDerivative(term.historyDerivative, n, m, args0, p0, dirP, nP) } : {}),
    neutral: term.neutral,
    discontinuities: term.discontinuities,
    ...(term.trackOrder !== undefined ? { trackOrder: term.trackOrder } : {}),
    maxDiscontinuities: term.maxDiscontinuities,
    maxIterations: term.maxIterations,
  });
}

/** Calls the user's field, copying an array it returns. */
function callField(term: DelayTerm, t: number, y: Float64Array, args: unknown, out: Float64Array, h: History, n: number): void {
  const r = term.vectorField(t, y, args, out, h);
  if (r !== undefined) for (let j = 0; j < n; j++) out[j] = (r as ArrayLike<number>)[j]!;
}

/** The augmented history [φ(t), ∂φ/∂θ_d (t)] (with φ ≡ y0 the default is handled by `history: undefined`). */
function historyValue(
  phi: DelayTerm["history"], t: number, a: unknown, out: Float64Array, n: number, m: number,
  args0: ReturnType<ArgsLayout["mutableCopy"]>, p0: Float64Array, dirP: Float64Array, nP: number, scratch: readonly [Float64Array, Float64Array],
): void {
  evalPhi(phi, t, a, out.subarray(0, n), n);
  for (let d = 0; d < m; d++) {
    const tan = out.subarray(n * (1 + d), n * (2 + d));
    tan.fill(0);
    if (typeof phi !== "function" || nP === 0) continue;
    let any = false;
    for (let q = 0; q < nP; q++) if (dirP[d * nP + q] !== 0) any = true;
    if (any) paramDerivative(phi, t, n, args0, p0, dirP.subarray(d * nP, (d + 1) * nP), scratch, tan);
  }
}

/** ∂φ(t)/∂p in direction ṗ by a central difference, into `out`. */
function paramDerivative(
  phi: HistoryFunction, t: number, n: number, args0: ReturnType<ArgsLayout["mutableCopy"]>, p0: Float64Array, pDot: Float64Array,
  scratch: readonly [Float64Array, Float64Array], out: Float64Array,
): void {
  const nP = p0.length;
  let scale = 0;
  for (let q = 0; q < nP; q++) scale = Math.max(scale, Math.abs(p0[q]!));
  let dn = 0;
  for (let q = 0; q < nP; q++) dn = Math.max(dn, Math.abs(pDot[q]!));
  const e = (1e-6 * Math.max(1, scale)) / dn;
  const [plus, minus] = scratch;
  for (let q = 0; q < nP; q++) args0.set(q, p0[q]! + e * pDot[q]!);
  evalPhi(phi, t, args0.value, plus, n);
  for (let q = 0; q < nP; q++) args0.set(q, p0[q]! - e * pDot[q]!);
  evalPhi(phi, t, args0.value, minus, n);
  for (let q = 0; q < nP; q++) args0.set(q, p0[q]!);
  for (let j = 0; j < n; j++) out[j] = (plus[j]! - minus[j]!) / (2 * e);
}

function evalPhi(phi: DelayTerm["history"], t: number, a: unknown, out: Float64Array, n: number): void {
  if (typeof phi === "number") out.fill(phi);
  else if (phi instanceof Float64Array) out.set(phi);
  else if (typeof phi === "function") {
    const r = phi(t, a, out);
    if (typeof r === "number") out.fill(r);
    else if (r !== undefined) for (let j = 0; j < n; j++) out[j] = r[j]!;
  }
}

/** φ′ augmented: [φ′, ∂φ′/∂θ_d] (the tangents' part by central differences in p). */
function augmentedDerivative(fn: HistoryFunction, n: number, m: number, args0: ReturnType<ArgsLayout["mutableCopy"]>, p0: Float64Array, dirP: Float64Array, nP: number): HistoryFunction {
  const scratch = [new Float64Array(n), new Float64Array(n)] as const;
  return (t, a, out) => {
    evalPhi(fn, t, a, out.subarray(0, n), n);
    for (let d = 0; d < m; d++) {
      const tan = out.subarray(n * (1 + d), n * (2 + d));
      tan.fill(0);
      let any = false;
      for (let q = 0; q < nP; q++) if (dirP[d * nP + q] !== 0) any = true;
      if (any) paramDerivative(fn, t, n, args0, p0, dirP.subarray(d * nP, (d + 1) * nP), scratch, tan);
    }
  };
}

/**
 * The part of the augmented history the user's field sees: the state's components, shifted by
 * e times a tangent's (for a perturbed evaluation), with `at` reading the augmented history.
 */
class PartHistory {
  readonly delayed: Float64Array[];
  readonly derivatives: Float64Array[];
  readonly accessor: History;
  private H: History | null = null;
  private off = 0;
  private e = 0;
  private readonly z: Float64Array;

  constructor(private readonly n: number, N: number, k: number, neutral: boolean) {
    this.delayed = Array.from({ length: k }, () => new Float64Array(n));
    this.derivatives = neutral ? Array.from({ length: k }, () => new Float64Array(n)) : [];
    this.z = new Float64Array(N);
    const self = this;
    this.accessor = {
      delayed: this.delayed,
      derivatives: this.derivatives,
      at(s: number, out?: Float64Array): Float64Array {
        return self.read(s, out ?? new Float64Array(self.n), false);
      },
      derivativeAt(s: number, out?: Float64Array): Float64Array {
        return self.read(s, out ?? new Float64Array(self.n), true);
      },
    };
  }

  /** Delayed state i (and derivative) of the augmented history, shifted by e × the tangent at `off`. */
  mix(i: number, z: Float64Array, dz: Float64Array | null, off: number, e: number): void {
    this.mixInto(this.delayed[i]!, z, off, e);
    if (dz !== null) this.mixInto(this.derivatives[i]!, dz, off, e);
  }

  mixInto(out: Float64Array, z: Float64Array, off: number, e: number): void {
    const n = this.n;
    if (e === 0) for (let j = 0; j < n; j++) out[j] = z[j]!;
    else for (let j = 0; j < n; j++) out[j] = z[j]! + e * z[off + j]!;
  }

  bind(H: History, off: number, e: number): void {
    this.H = H;
    this.off = off;
    this.e = e;
  }

  private read(s: number, out: Float64Array, derivative: boolean): Float64Array {
    const H = this.H!;
    const z = derivative ? H.derivativeAt(s, this.z) : H.at(s, this.z);
    this.mixInto(out, z, this.off, this.e);
    return out;
  }
}

/** @internal diffeqsolveJvp for a delay equation: one direction. */
export function delayTangentSolve<Y>(v: Validated<Y>, args: unknown, throwOnFailure: boolean, y0Dot: unknown, argsDot: unknown): { solution: Solution<Y>; tangents: Float64Array[] } {
  checkDelayDifferentiable(v as Validated<unknown>, "diffeqsolveJvp");
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const dirY0 = new Float64Array(n);
  if (y0Dot !== undefined) {
    if ((ArrayBuffer.isView(y0Dot) || Array.isArray(y0Dot)) && (y0Dot as ArrayLike<unknown>).length === n && typeof (y0Dot as ArrayLike<unknown>)[0] === "number") {
      for (let j = 0; j < n; j++) dirY0[j] = (y0Dot as ArrayLike<number>)[j]!;
    } else {
      const size = Structure.of(y0Dot, "tangents.y0", "diffeqsolveJvp").size;
      if (size !== n) throw new RangeError(`diffeqsolveJvp: \`tangents.y0\` has ${size} components but y0 has ${n}; give the tangent shaped like y0, or ${n} numbers.`);
      v.structure.flatten(y0Dot, dirY0);
    }
  }
  const dirP = new Float64Array(layout.size);
  if (argsDot !== undefined && layout.size > 0) layout.flatten(argsDot, dirP);
  const run = solveWithTangents(v, args, throwOnFailure, layout, 1, dirY0, dirP);
  const rows: Float64Array[] = [];
  for (let r = 0; r < run.solution.ts.length; r++) rows.push(run.tangents.subarray(r * n, (r + 1) * n));
  return { solution: run.solution, tangents: rows };
}

/** @internal diffeqsolveVjp with ForwardSensitivity for a delay equation: n + nP directions, contracted in the pullback. */
export function delaySensitivityVjp<Y, A>(v: Validated<Y>, args: A, throwOnFailure: boolean): VjpResult<Y, A> {
  const who = "diffeqsolveVjp (ForwardSensitivity)";
  checkDelayDifferentiable(v as Validated<unknown>, who);
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const nP = layout.size;
  const m = n + nP;
  const dirY0 = new Float64Array(m * n);
  const dirP = new Float64Array(m * nP);
  for (let d = 0; d < n; d++) dirY0[d * n + d] = 1;
  for (let q = 0; q < nP; q++) dirP[(n + q) * nP + q] = 1;
  const run = solveWithTangents(v, args, throwOnFailure, layout, m, dirY0, dirP);
  return { solution: run.solution, pullback: tangentPullback<Y, A>(run.solution, run.tangents, m, v.structure as Structure<unknown>, layout, who) };
}
