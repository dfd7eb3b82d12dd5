import { type AbstractTerm, type InPlaceVectorField, type MultiTerm, UnderdampedLangevinDiffusionTerm, UnderdampedLangevinDriftTerm } from "../../terms.js";
import { AbstractSDESolver, type SDEState } from "../sde/base.js";
import { STEP_OK } from "../solver.js";

/** Workspace of {@link BAOAB}: the SDE workspace plus the splitting's own buffers. */
export interface BAOABState extends SDEState {
  readonly d: number;
  readonly gamma: Float64Array;
  readonly u: Float64Array;
  readonly gradient: (x: Float64Array, args: any, out: Float64Array) => void;
  readonly x: Float64Array;
  /** ∇f at the start of the step (the last B of the previous step), and the scratch for the next. */
  grad: Float64Array;
  gradNext: Float64Array;
  gradValid: number;
  /** e^{−γh} and √(u(1 − e^{−2γh})/|h|) for the step size in `cachedH[0]`. */
  readonly c1: Float64Array;
  readonly c2: Float64Array;
  readonly cachedH: Float64Array;
}

function describe(terms: AbstractTerm): string {
  return terms.constructor.name;
}

/**
 * BAOAB (Leimkuhler & Matthews) for underdamped Langevin dynamics
 * dx = v dt, dv = −γ v dt − u ∇f(x) dt + √(2γu) dW, the splitting
 *
 *     B: v ← v − (h/2) u ∇f(x),   A: x ← x + (h/2) v,   O: v ← e^{−γh} v + √(u(1 − e^{−2γh})) ξ,   A, B,
 *
 * where O is the exact Ornstein–Uhlenbeck flow of the friction and noise, with ξ = ΔW/√h from the
 * step's Brownian increment (so the solve is a function of the Brownian path, as every SDE solve
 * here: the same tree gives the same trajectory at any step, and ensembles use one seed per
 * trajectory). One gradient per step (the last B's is the next step's first). For a quadratic
 * potential its stationary distribution has the exact distribution of x for every stable h, and
 * that of v with a relative error O(h²); in general its configurational sampling error is O(h²).
 * Weak order 2, no error estimate: fixed steps. Dense output is linear interpolation.
 *
 * The terms are diffrax's pair `MultiTerm(UnderdampedLangevinDriftTerm(γ, u, ∇f),
 * UnderdampedLangevinDiffusionTerm(γ, u, brownian))`, with the same γ and u in both.
 *
 * References: B. Leimkuhler and C. Matthews, "Rational construction of stochastic numerical
 * methods for molecular sampling", Appl. Math. Res. Express 2013 (2013) 34–56; B. Leimkuhler and
 * C. Matthews, *Molecular Dynamics*, Springer 2015, §7.
 *
 * @example
 * ```ts
 * const bm = new VirtualBrownianTree({ t0: 0, t1: 100, tol: 0.01, shape: 1, seed: 3 });
 * const terms = new MultiTerm(new UnderdampedLangevinDriftTerm(1, 1, (x, args, g) => { g[0] = x[0]; }), new UnderdampedLangevinDiffusionTerm(1, 1, bm));
 * diffeqsolve({ terms, solver: new BAOAB(), t0: 0, t1: 100, dt0: 0.1, y0: [0, 0], stepsizeController: new ConstantStepSize() });
 * ```
 */
export class BAOAB extends AbstractSDESolver {
  readonly name = "BAOAB";
  readonly order = 1;
  readonly errorOrder = 0;
  readonly interpretation = "ito" as const;

  override checkTerms(terms: AbstractTerm): void {
    super.checkTerms(terms);
    const [drift, diffusion] = (terms as MultiTerm).terms;
    if (!(drift instanceof UnderdampedLangevinDriftTerm) || !(diffusion instanceof UnderdampedLangevinDiffusionTerm)) {
      throw new TypeError(
        "diffeqsolve: BAOAB splits underdamped Langevin dynamics and needs terms = new MultiTerm(new UnderdampedLangevinDriftTerm(gamma, u, gradient), " +
          `new UnderdampedLangevinDiffusionTerm(gamma, u, brownian)); got MultiTerm(${describe(drift!)}, ${describe(diffusion!)}). For another SDE use ShARK, SRA1 or EulerMaruyama.`,
      );
    }
  }

  override init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): BAOABState {
    const base = super.init(f, n, args, terms);
    const drift = (terms as MultiTerm).terms[0] as UnderdampedLangevinDriftTerm;
    const { d, gamma, u } = drift.coefficients(n);
    const diffusion = ((terms as MultiTerm).terms[1] as UnderdampedLangevinDiffusionTerm).coefficients(n);
    for (let i = 0; i < d; i++) {
      if (diffusion.gamma[i] !== gamma[i] || diffusion.u[i] !== u[i]) {
        throw new RangeError(
          `diffeqsolve: BAOAB: the drift term has gamma = ${gamma[i]}, u = ${u[i]} in dimension ${i} but the diffusion term has ` +
            `gamma = ${diffusion.gamma[i]}, u = ${diffusion.u[i]}; underdamped Langevin dynamics uses the same in both.`,
        );
      }
    }
    if (base.m !== d) {
      throw new RangeError(`diffeqsolve: BAOAB: the Brownian motion has size ${base.m} but the position has ${d} dimensions; give it shape ${d}.`);
    }
    return Object.assign(base, {
      d, gamma, u, gradient: drift.gradient, x: new Float64Array(d), grad: new Float64Array(d), gradNext: new Float64Array(d), gradValid: 0,
      c1: new Float64Array(d), c2: new Float64Array(d), cachedH: new Float64Array([NaN]),
    });
  }

  override restart(state: SDEState, t: number, y: Float64Array): Float64Array {
    (state as BAOABState).gradValid = 0;
    return super.restart(state, t, y);
  }

  /** The O-step's coefficients for the step h = times[1] (recomputed only when h changes). */
  private coefficients(state: BAOABState, times: Float64Array): void {
    const h = times[1]!;
    if (state.cachedH[0] === h) return;
    const { d, gamma, u, c1, c2 } = state;
    for (let i = 0; i < d; i++) {
      const e = Math.exp(-gamma[i]! * Math.abs(h));
      c1[i] = e;
      c2[i] = Math.sqrt((u[i]! * (1 - e * e)) / Math.abs(h));
    }
    state.cachedH[0] = h;
  }

  step(s: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array): number {
    const state = s as BAOABState;
    const h = times[1]!;
    const { d, u, x, args, dW, gradient } = state;
    state.bm.incrementAt(times, dW, null);
    this.coefficients(state, times);
    const { c1, c2 } = state;
    if (state.gradValid === 0) {
      for (let i = 0; i < d; i++) x[i] = y0[i]!;
      gradient(x, args, state.grad);
      state.numFnEvals++;
    }
    const g0 = state.grad;
    const half = 0.5 * h;
    for (let i = 0; i < d; i++) {
      const v = y0[d + i]! - half * u[i]! * g0[i]!; // B
      const xa = y0[i]! + half * v; // A
      const vo = c1[i]! * v + c2[i]! * dW[i]!; // O
      x[i] = xa + half * vo; // A
      y1[d + i] = vo;
    }
    const g1 = state.gradNext;
    gradient(x, args, g1);
    state.numFnEvals++;
    for (let i = 0; i < d; i++) {
      y1[i] = x[i]!;
      y1[d + i] = y1[d + i]! - half * u[i]! * g1[i]!; // B
    }
    this.record(state, times, y0, y1);
    return STEP_OK;
  }

  /** The step is taken: its last gradient is the next step's first. */
  override accept(s: SDEState): void {
    const state = s as BAOABState;
    const g = state.grad;
    state.grad = state.gradNext;
    state.gradNext = g;
    state.gradValid = 1;
  }
}
