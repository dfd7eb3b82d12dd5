/**
 * Splitting (partitioned, symplectic) methods for y = (y₁, y₂) with y₁′ = f₁(t, y₂) and
 * y₂′ = f₂(t, y₁): one class, {@link SplittingMethod}, driven by a validated table of coefficients.
 *
 * A step of size h is a sequence of s stages; stage i first *drifts*, y₁ ← y₁ + bᵢ h f₁(y₂), then
 * *kicks*, y₂ ← y₂ + aᵢ h f₂(y₁). Each drift and kick is the exact flow of one part (the other part
 * frozen), so for a separable Hamiltonian H = T(p) + V(q) (y₁ = q, y₂ = p) every step is a
 * composition of symplectic maps: the method is symplectic, conserves quadratic invariants such as
 * angular momentum of central forces exactly, and keeps the energy error bounded, without drift,
 * over exponentially long times (Hairer, Lubich & Wanner, *Geometric Numerical Integration*,
 * ch. VI and IX). With Σbᵢ = Σaᵢ = 1 the method is consistent; its order comes from the table.
 *
 * Symmetric compositions γ₁ … γₛ of the Störmer–Verlet method are written in kick–drift–kick form,
 * K(γ₁/2) D(γ₁) K((γ₁+γ₂)/2) D(γ₂) … D(γₛ) K(γₛ/2), whose last kick is at the new y₁: the next step
 * reuses it (first same as last), so a step costs s evaluations of f₂ and s of f₁.
 *
 * Time: a kick at stage i sees t + (b₁ + … + bᵢ)h, the time its drifts have reached, and a drift
 * sees t + (a₁ + … + aᵢ₋₁)h. In the extended phase space (t a coordinate moved by the drifts) this
 * is the same splitting, so the order holds when f₂ depends on t (a time-dependent potential) and,
 * symmetrically, when f₁ does; it may drop when both do.
 *
 * The methods have no error estimate: use fixed steps (`ConstantStepSize`, `StepTo`) or the
 * time-reversible adaptive steps of `ReversibleStepSize`. Dense output is the cubic Hermite
 * interpolant of the step's ends, whose two derivative evaluations are made only when output
 * inside a step is asked for; output that needs the method's full order should land on steps.
 *
 * Allocation: `init` allocates everything; `step` copies y₀ into its own y₁, y₂ buffers and back
 * (no views are created), so it allocates nothing beyond what V8 boxes for a stage time passed to
 * a user function it does not inline.
 */
import { hermiteCubic } from "../../interpolation/hermite.js";
import { AbstractPartitionedTerm, type AbstractTerm, type InPlaceVectorField } from "../../terms.js";
import { type AbstractSolver, type SolverState, STEP_OK } from "../solver.js";

/** The published coefficients of a splitting method (see {@link defineSplitting}). */
export interface SplittingSpec {
  /** Name, as in the literature. */
  readonly name: string;
  /** Classical order (for separable Hamiltonians H = T(p) + V(q)). */
  readonly order: number;
  /** bᵢ: the drift coefficients, y₁ ← y₁ + bᵢ h f₁(y₂) at the start of stage i. */
  readonly drift: readonly number[];
  /** aᵢ: the kick coefficients, y₂ ← y₂ + aᵢ h f₂(y₁) at the end of stage i. */
  readonly kick: readonly number[];
  /** Citation for the coefficients. */
  readonly source: string;
}

/** A validated splitting method with its precomputed stage times. */
export interface Splitting {
  readonly name: string;
  readonly order: number;
  readonly stages: number;
  readonly drift: Float64Array;
  readonly kick: Float64Array;
  /** Time of the kick of stage i, as a fraction of h: b₁ + … + bᵢ. */
  readonly kickTime: Float64Array;
  /** Time of the drift of stage i, as a fraction of h: a₁ + … + aᵢ₋₁. */
  readonly driftTime: Float64Array;
  /** Whether the sequence of flows reads the same backwards (the method is then symmetric: time-reversible). */
  readonly symmetric: boolean;
  /** The first flow is a kick and the last is a kick at the final y₁: f₂ of one step's end starts the next. */
  readonly fsal: boolean;
  readonly source: string;
}

/**
 * Validates a splitting method's table: equal lengths, finite coefficients, Σbᵢ = Σaᵢ = 1 (to
 * rounding), so that a transcription error is caught when the module loads. Computes the stage
 * times, whether the method is symmetric and whether it can reuse its last kick.
 *
 * @example
 * ```ts
 * const verlet = defineSplitting({ name: "VelocityVerlet", order: 2, drift: [0, 1], kick: [0.5, 0.5], source: "Verlet (1967)" });
 * verlet.symmetric; // true
 * ```
 */
export function defineSplitting(spec: SplittingSpec): Splitting {
  const { name, order, drift, kick, source } = spec;
  const s = drift.length;
  if (s === 0 || kick.length !== s) throw new Error(`${name}: drift and kick coefficients must be non-empty and of equal length (got ${s} and ${kick.length}).`);
  let sb = 0;
  let sa = 0;
  for (let i = 0; i < s; i++) {
    if (!Number.isFinite(drift[i]!) || !Number.isFinite(kick[i]!)) throw new Error(`${name}: coefficient ${i} is not finite.`);
    sb += drift[i]!;
    sa += kick[i]!;
  }
  const tol = 64 * Number.EPSILON * s;
  if (Math.abs(sb - 1) > tol) throw new Error(`${name}: the drift coefficients sum to ${sb}, not 1.`);
  if (Math.abs(sa - 1) > tol) throw new Error(`${name}: the kick coefficients sum to ${sa}, not 1.`);
  const kickTime = new Float64Array(s);
  const driftTime = new Float64Array(s);
  let cb = 0;
  let ca = 0;
  for (let i = 0; i < s; i++) {
    driftTime[i] = ca;
    cb += drift[i]!;
    kickTime[i] = cb;
    ca += kick[i]!;
  }
  // The flows in order, zero coefficients dropped and equal neighbours merged.
  const flows: [number, number][] = [];
  for (let i = 0; i < s; i++) {
    for (const [kind, c] of [[0, drift[i]!], [1, kick[i]!]] as [number, number][]) {
      if (c === 0) continue;
      const last = flows[flows.length - 1];
      if (last !== undefined && last[0] === kind) last[1] += c;
      else flows.push([kind, c]);
    }
  }
  const symmetric = flows.every(([kind, c], i) => {
    const [k2, c2] = flows[flows.length - 1 - i]!;
    return kind === k2 && Math.abs(c - c2) <= 1e-14 * Math.max(1, Math.abs(c));
  });
  let lastKick = -1;
  for (let i = 0; i < s; i++) if (kick[i] !== 0) lastKick = i;
  let driftsAfter = false;
  for (let i = lastKick + 1; i < s; i++) if (drift[i] !== 0) driftsAfter = true;
  const fsal = drift[0] === 0 && kick[0] !== 0 && lastKick >= 0 && !driftsAfter;
  return { name, order, stages: s, drift: Float64Array.from(drift), kick: Float64Array.from(kick), kickTime, driftTime, symmetric, fsal, source };
}

/**
 * The kick–drift–kick table of the symmetric composition Φ_{γₛh} ∘ … ∘ Φ_{γ₁h} of the Störmer–Verlet
 * method Φ (a kick of h/2, a drift of h, a kick of h/2), merging neighbouring kicks.
 *
 * @example
 * ```ts
 * verletComposition("Yoshida4", 4, [w1, w0, w1], "Yoshida (1990)");
 * ```
 */
export function verletComposition(name: string, order: number, gammas: readonly number[], source: string): SplittingSpec {
  const s = gammas.length;
  const drift = [0, ...gammas];
  const kick: number[] = [];
  for (let i = 0; i <= s; i++) kick.push(((i > 0 ? gammas[i - 1]! : 0) + (i < s ? gammas[i]! : 0)) / 2);
  return { name, order, drift, kick, source };
}

/** Workspace of a splitting solve. */
export interface SplittingState extends SolverState {
  readonly term: AbstractPartitionedTerm;
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  readonly n: number;
  readonly n1: number;
  readonly n2: number;
  /** The two parts of the state during a step. */
  readonly y1: Float64Array;
  readonly y2: Float64Array;
  /** Rates of the parts: f₁(y₂) and f₂(y₁). */
  readonly d1: Float64Array;
  d2: Float64Array;
  /** f₂ at the start of the step, from the last kick of the step before (first same as last). */
  force: Float64Array;
  /** 1 when `force` holds f₂ at the current state. */
  forceValid: number;
  /** Evaluations of f₁ (f₂'s are `numFnEvals`). */
  numFirstEvals: number;
  /** Whether the term's separability was checked (once per solve). */
  checked: boolean;
  /** Start time and size of the last step, in a typed array so that keeping them never boxes a number. */
  readonly last: Float64Array;
  y0Ref: Float64Array;
  y1Ref: Float64Array;
  /** [y0, y1, f0, f1] of the last step for Hermite interpolation, filled on first use. */
  readonly dense: Float64Array;
  readonly f0: Float64Array;
  readonly f1: Float64Array;
  denseReady: boolean;
  /** f(t, y) at a restart. */
  readonly fr: Float64Array;
}

/**
 * A splitting method from a validated table (see the module documentation). The methods are
 * subclasses that only name their table: `SemiImplicitEuler`, `VelocityVerlet`, `Yoshida4`,
 * `McAte4`, `McAte5`, `Yoshida6`, `KahanLi8`; build your own with `new SplittingMethod(defineSplitting(…))`.
 *
 * @example
 * ```ts
 * const ruth3 = new SplittingMethod(defineSplitting({ name: "Ruth3", order: 3, drift: [2 / 3, -2 / 3, 1], kick: [7 / 24, 3 / 4, -1 / 24], source: "Ruth (1983)" }));
 * ```
 */
export class SplittingMethod implements AbstractSolver<SplittingState> {
  readonly name: string;
  readonly order: number;
  readonly errorOrder = 0;
  readonly hasSecondaryError = false;
  /** Whether the method is symmetric (time-reversible), as symmetric compositions are. */
  readonly symmetric: boolean;

  constructor(readonly splitting: Splitting) {
    this.name = splitting.name;
    this.order = splitting.order;
    this.symmetric = splitting.symmetric;
  }

  checkTerms(terms: AbstractTerm): void {
    if (!(terms instanceof AbstractPartitionedTerm)) {
      throw new TypeError(
        `diffeqsolve: ${this.name} is a splitting method for partitioned systems; give terms = new PartitionedTerm(f1, f2) ` +
          `(y1' = f1(t, y2), y2' = f2(t, y1), e.g. q' = ∂H/∂p, p' = −∂H/∂q) or new SecondOrderTerm(acceleration); got a ${terms.constructor.name}. ` +
          "For a general ODE use an ODE solver such as Tsit5.",
      );
    }
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): SplittingState {
    const term = terms as AbstractPartitionedTerm;
    const n1 = term.firstSize(n);
    const n2 = n - n1;
    const dense = new Float64Array(4 * n);
    return {
      numFnEvals: 0,
      numFirstEvals: 0,
      term,
      f,
      args,
      n,
      n1,
      n2,
      y1: new Float64Array(n1),
      y2: new Float64Array(n2),
      d1: new Float64Array(n1),
      d2: new Float64Array(n2),
      force: new Float64Array(n2),
      forceValid: 0,
      checked: false,
      last: new Float64Array(2),
      y0Ref: dense,
      y1Ref: dense,
      dense,
      f0: dense.subarray(2 * n, 3 * n),
      f1: dense.subarray(3 * n, 4 * n),
      denseReady: false,
      fr: new Float64Array(n),
    };
  }

  extraStats(state: SplittingState): Record<string, number> {
    return { numFirstFieldEvals: state.numFirstEvals };
  }

  restart(state: SplittingState, t: number, y: Float64Array): Float64Array {
    if (!state.checked) {
      state.term.checkSeparable(t, y, state.args, this.name);
      state.checked = true;
    }
    const fr = state.fr;
    state.f(t, y, state.args, fr);
    state.numFnEvals++;
    state.numFirstEvals++;
    // f₂(t, y₁) is the first kick of a method that starts with one.
    const { n1, n2, force } = state;
    for (let i = 0; i < n2; i++) force[i] = fr[n1 + i]!;
    state.forceValid = 1;
    return fr;
  }

  step(state: SplittingState, times: Float64Array, y0: Float64Array, y1: Float64Array): number {
    const t = times[0]!;
    const h = times[1]!;
    const { term, args, n1, n2, y1: a, y2: b, d1 } = state;
    const { stages, drift, kick, kickTime, driftTime, fsal } = this.splitting;
    for (let i = 0; i < n1; i++) a[i] = y0[i]!;
    for (let i = 0; i < n2; i++) b[i] = y0[n1 + i]!;
    const d2 = state.d2;
    for (let k = 0; k < stages; k++) {
      const bk = drift[k]!;
      if (bk !== 0) {
        term.drift(t + driftTime[k]! * h, b, args, d1);
        state.numFirstEvals++;
        const c = bk * h;
        for (let i = 0; i < n1; i++) a[i] = a[i]! + c * d1[i]!;
      }
      const ak = kick[k]!;
      if (ak !== 0) {
        let rate = d2;
        if (k === 0 && fsal && state.forceValid === 1) rate = state.force;
        else {
          term.kick(t + kickTime[k]! * h, a, b, args, d2);
          state.numFnEvals++;
        }
        const c = ak * h;
        for (let i = 0; i < n2; i++) b[i] = b[i]! + c * rate[i]!;
      }
    }
    for (let i = 0; i < n1; i++) y1[i] = a[i]!;
    for (let i = 0; i < n2; i++) y1[n1 + i] = b[i]!;
    state.last[0] = t;
    state.last[1] = h;
    state.y0Ref = y0;
    state.y1Ref = y1;
    state.denseReady = false;
    return STEP_OK;
  }

  /** The step is taken: its last kick (f₂ at the new y₁) becomes the next step's first. */
  accept(state: SplittingState): void {
    if (!this.splitting.fsal) return;
    const fresh = state.d2;
    state.d2 = state.force;
    state.force = fresh;
    state.forceValid = 1;
  }

  /** [y0, y1, f0, f1] of the last step, with f at both ends evaluated on first use. */
  private ensureDense(state: SplittingState): void {
    if (state.denseReady) return;
    const { n, dense, f, args, last } = state;
    const t = last[0]!;
    const h = last[1]!;
    dense.set(state.y0Ref, 0);
    dense.set(state.y1Ref, n);
    f(t, state.y0Ref, args, state.f0);
    f(t + h, state.y1Ref, args, state.f1);
    state.numFnEvals += 2;
    state.numFirstEvals += 2;
    state.denseReady = true;
  }

  interpolate(state: SplittingState, theta: number, out: Float64Array): void {
    this.ensureDense(state);
    hermiteCubic(state.dense, 0, state.n, state.last[1]!, theta, false, out);
  }

  interpolateDerivative(state: SplittingState, theta: number, out: Float64Array): void {
    this.ensureDense(state);
    hermiteCubic(state.dense, 0, state.n, state.last[1]!, theta, true, out);
  }

  denseSize(n: number): number {
    return 4 * n;
  }

  writeDense(state: SplittingState, out: Float64Array, offset: number): void {
    this.ensureDense(state);
    out.set(state.dense, offset);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    hermiteCubic(data, offset, n, dt, theta, derivative, out);
  }
}
