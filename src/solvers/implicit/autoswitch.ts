/**
 * `AutoSwitch`: a non-stiff explicit Runge–Kutta method and a stiff method used in turn, switching
 * both ways during the solve according to an estimate of the stiffness.
 *
 * Stiffness is measured as dt·ρ against the explicit method's stability boundary S along the
 * negative real axis. With the explicit method active, ρ is Hairer's estimate of the dominant
 * eigenvalue from two stages at the same time t1 (the last stage and the first-same-as-last one):
 * ρ ≈ ‖k_s − k_{s−1}‖ / ‖Y_s − Y_{s−1}‖, free of extra evaluations (Hairer & Wanner, *Solving
 * ODEs II*, §IV.2, as in DOPRI5's stiffness detection). With the stiff method active, ρ is bounded by
 * ‖J‖∞ of the Jacobian it already has. After `maxStiffSteps` consecutive steps with dt·ρ > 0.9 S the
 * stiff method takes over; after `maxNonstiffSteps` consecutive steps with dt·ρ < 0.9 S the explicit
 * one takes over again (the rule of OrdinaryDiffEq.jl's AutoSwitch).
 */
import { checkKeys } from "../../util/options.js";
import type { AbstractTerm, InPlaceVectorField } from "../../terms.js";
import { ODETerm } from "../../terms.js";
import { describeValue } from "../../tree.js";
import { ExplicitRungeKutta, type ERKState } from "../erk.js";
import type { AbstractSolver, SolverState } from "../solver.js";
import { STEP_OK } from "../solver.js";
import type { IterationMatrix } from "./iteration-matrix.js";

/** Stability boundaries on the negative real axis of common explicit methods (OrdinaryDiffEq.jl's values). */
const STABILITY: Record<string, number> = { Tsit5: 3.5068, Dopri5: 3.3066, Dopri8: 6.0, Vern7: 4.6, Vern9: 4.4, Bosh3: 2.5 };

/** Options of {@link AutoSwitch}. */
export interface AutoSwitchOptions {
  /** The explicit method (first-same-as-last, with c_{s−1} = 1), e.g. `new Tsit5()`. */
  nonstiff: ExplicitRungeKutta;
  /** The stiff method, e.g. `new Rodas5P()` (a one-step method: Rosenbrock, ESDIRK). */
  stiff: AbstractSolver<any>;
  /** Consecutive stiff-looking steps before switching to the stiff method. @defaultValue 10 */
  maxStiffSteps?: number;
  /** Consecutive non-stiff-looking steps before switching back. @defaultValue 3 */
  maxNonstiffSteps?: number;
  /** Stability boundary S of the explicit method. @defaultValue known per method (Tsit5 3.5068, Dopri5 3.3066), else 3 */
  stabilityBoundary?: number;
}

/** Workspace of an AutoSwitch solve. */
export interface AutoSwitchState extends SolverState {
  readonly n: number;
  readonly ns: ERKState;
  readonly st: SolverState & { im?: IterationMatrix };
  /** 0: the explicit method is active, 1: the stiff one. */
  active: number;
  /** The active method changes before the next step. */
  switchPending: boolean;
  stiffCount: number;
  nonstiffCount: number;
  numSwitches: number;
  numStiffSteps: number;
  lastDt: number;
  /** Which method wrote the last step (for interpolation). */
  lastActive: number;
  readonly d: Float64Array;
}

/**
 * Automatic stiffness switching between an explicit and a stiff method.
 *
 * Reference: E. Hairer & G. Wanner, *Solving ODEs II*, §IV.2 (stiffness detection); the switching
 * rule follows OrdinaryDiffEq.jl's `AutoSwitch` (C. Rackauckas & Q. Nie, J. Open Res. Softw. 5
 * (2017) 15).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new ODETerm(vdpol), solver: new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() }),
 *   t0: 0, t1: 11, y0: [2, 0], stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-6 }) });
 * ```
 */
export class AutoSwitch implements AbstractSolver<AutoSwitchState> {
  readonly name: string;
  readonly order: number;
  readonly errorOrder: number;
  readonly hasSecondaryError: boolean;
  readonly nonstiff: ExplicitRungeKutta;
  readonly stiff: AbstractSolver<any>;
  readonly maxStiffSteps: number;
  readonly maxNonstiffSteps: number;
  readonly stabilityBoundary: number;

  constructor(options: AutoSwitchOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new AutoSwitch(options): \`options\` must be { nonstiff, stiff }, e.g. { nonstiff: new Tsit5(), stiff: new Rodas5P() }; got ${describeValue(options)}.`);
    }
    checkKeys(options, ["nonstiff", "stiff", "maxStiffSteps", "maxNonstiffSteps", "stabilityBoundary"], "new AutoSwitch(options)");
    const { nonstiff, stiff } = options;
    if (!(nonstiff instanceof ExplicitRungeKutta)) {
      throw new TypeError(`new AutoSwitch(options): \`nonstiff\` must be an explicit Runge–Kutta method such as new Tsit5(); got ${describeValue(nonstiff)}.`);
    }
    const tab = nonstiff.tableau;
    if (!tab.fsal || tab.c[tab.stages - 2] !== 1) {
      throw new TypeError(
        `new AutoSwitch(options): \`nonstiff\` = ${nonstiff.name} cannot estimate stiffness for free; use a first-same-as-last method whose ` +
          "second-to-last stage is at t1, such as Tsit5 or Dopri5.",
      );
    }
    if (stiff === null || typeof stiff !== "object" || typeof (stiff as AbstractSolver).step !== "function") {
      throw new TypeError(`new AutoSwitch(options): \`stiff\` must be a stiff solver such as new Rodas5P(); got ${describeValue(stiff)}.`);
    }
    if (typeof (stiff as { stepFactor?: unknown }).stepFactor === "function") {
      throw new TypeError(
        `new AutoSwitch(options): \`stiff\` = ${stiff.name} chooses its own steps (a multistep or RADAU5-style method); ` +
          "pair AutoSwitch with a one-step stiff method such as Rodas5P, Rosenbrock23 or Kvaerno5.",
      );
    }
    const positiveInt = (name: string, v: number | undefined, d: number): number => {
      if (v === undefined) return d;
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`new AutoSwitch(options): \`${name}\` must be a whole number ≥ 1; got ${describeValue(v)}.`);
      return v;
    };
    this.maxStiffSteps = positiveInt("maxStiffSteps", options.maxStiffSteps, 10);
    this.maxNonstiffSteps = positiveInt("maxNonstiffSteps", options.maxNonstiffSteps, 3);
    const S = options.stabilityBoundary ?? STABILITY[nonstiff.name] ?? 3;
    if (!(S > 0) || !Number.isFinite(S)) throw new RangeError(`new AutoSwitch(options): \`stabilityBoundary\` must be a positive number; got ${describeValue(S)}.`);
    this.stabilityBoundary = S;
    this.nonstiff = nonstiff;
    this.stiff = stiff;
    this.name = `AutoSwitch(${nonstiff.name}, ${stiff.name})`;
    this.order = Math.min(nonstiff.order, stiff.order);
    this.errorOrder = Math.min(nonstiff.errorOrder, stiff.errorOrder);
    this.hasSecondaryError = false;
  }

  checkTerms(terms: AbstractTerm): void {
    if (!(terms instanceof ODETerm)) {
      throw new TypeError(`diffeqsolve: ${this.name} solves ODEs and needs \`terms\` = new ODETerm(f); got a ${terms.constructor.name}.`);
    }
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): AutoSwitchState {
    return {
      numFnEvals: 0, n,
      ns: this.nonstiff.init(f, n, args),
      st: this.stiff.init(f, n, args, terms),
      active: 0, switchPending: false, stiffCount: 0, nonstiffCount: 0, numSwitches: 0, numStiffSteps: 0,
      lastDt: 0, lastActive: 0, d: new Float64Array(n),
    };
  }

  /** Forwards the controller's tolerances to the stiff method (its Newton tests). */
  setTolerances(state: AutoSwitchState, rtol: number | Float64Array, atol: number | Float64Array): void {
    const s = this.stiff as { setTolerances?: (st: SolverState, r: number | Float64Array, a: number | Float64Array) => void };
    if (typeof s.setTolerances === "function") s.setTolerances(state.st, rtol, atol);
  }

  extraStats(state: AutoSwitchState): Record<string, number> {
    const base = typeof this.stiff.extraStats === "function" ? this.stiff.extraStats(state.st) : {};
    return { ...base, numSwitches: state.numSwitches, numStiffSteps: state.numStiffSteps };
  }

  private sync(state: AutoSwitchState): void {
    state.numFnEvals = state.ns.numFnEvals + state.st.numFnEvals;
  }

  restart(state: AutoSwitchState, t: number, y: Float64Array): Float64Array {
    const r = state.active === 0 ? this.nonstiff.restart(state.ns, t, y) : this.stiff.restart(state.st, t, y);
    state.switchPending = false;
    this.sync(state);
    return r;
  }

  step(state: AutoSwitchState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    if (state.switchPending) {
      state.active = 1 - state.active;
      state.switchPending = false;
      state.numSwitches++;
      state.stiffCount = 0;
      state.nonstiffCount = 0;
      if (state.active === 0) this.nonstiff.restart(state.ns, t, y0);
      else this.stiff.restart(state.st, t, y0);
    }
    state.lastDt = dt;
    const status = state.active === 0
      ? this.nonstiff.step(state.ns, times, y0, y1, yErr, yErr2)
      : this.stiff.step(state.st, times, y0, y1, yErr, yErr2);
    this.sync(state);
    return status === STEP_OK ? STEP_OK : status;
  }

  /** Dominant-eigenvalue estimate of the last step (see the module comment). */
  private rho(state: AutoSwitchState): number {
    const n = state.n;
    if (state.active === 0) {
      const tab = this.nonstiff.tableau;
      const s = tab.stages;
      const ks = state.ns.ks;
      const kLast = ks[s - 1]!;
      const kPrev = ks[s - 2]!;
      const row = (s - 2) * s;
      // Y_{s−1} − y1 = dt Σ_j (a_{s−1,j} − b_j) k_j: both stages sit at t1.
      let num = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < s; j++) acc += (tab.a[row + j]! - tab.b[j]!) * ks[j]![i]!;
        const dy = state.lastDt * acc;
        const df = kLast[i]! - kPrev[i]!;
        num += df * df;
        den += dy * dy;
      }
      return den > 0 ? Math.sqrt(num / den) : 0;
    }
    const im = state.st.im;
    // No Jacobian to judge by (none, or a matrix-free linear solver): stay stiff.
    return im === undefined ? Infinity : im.jacobianNormInf();
  }

  accept(state: AutoSwitchState): void {
    const active = state.active;
    // The stiffness estimate reads the stages before accept() recycles them.
    const est = Math.abs(state.lastDt) * this.rho(state);
    if (active === 0) this.nonstiff.accept(state.ns);
    else {
      this.stiff.accept(state.st);
      state.numStiffSteps++;
    }
    state.lastActive = active;
    const bound = 0.9 * this.stabilityBoundary;
    if (active === 0) {
      state.stiffCount = est > bound ? state.stiffCount + 1 : 0;
      if (state.stiffCount >= this.maxStiffSteps) state.switchPending = true;
    } else {
      state.nonstiffCount = est < bound ? state.nonstiffCount + 1 : 0;
      if (state.nonstiffCount >= this.maxNonstiffSteps) state.switchPending = true;
    }
    this.sync(state);
  }

  interpolate(state: AutoSwitchState, theta: number, out: Float64Array): void {
    if (state.lastActive === 0) this.nonstiff.interpolate(state.ns, theta, out);
    else this.stiff.interpolate(state.st, theta, out);
    this.sync(state);
  }

  interpolateDerivative(state: AutoSwitchState, theta: number, out: Float64Array): void {
    if (state.lastActive === 0) this.nonstiff.interpolateDerivative(state.ns, theta, out);
    else this.stiff.interpolateDerivative(state.st, theta, out);
    this.sync(state);
  }

  denseSize(n: number): number {
    return 1 + Math.max(this.nonstiff.denseSize(n), this.stiff.denseSize(n));
  }

  writeDense(state: AutoSwitchState, out: Float64Array, offset: number): void {
    out[offset] = state.lastActive;
    if (state.lastActive === 0) this.nonstiff.writeDense(state.ns, out, offset + 1);
    else this.stiff.writeDense(state.st, out, offset + 1);
    this.sync(state);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    if (data[offset] === 0) this.nonstiff.evaluateDense(data, offset + 1, n, dt, theta, derivative, out);
    else this.stiff.evaluateDense(data, offset + 1, n, dt, theta, derivative, out);
  }
}
