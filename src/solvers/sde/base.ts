/**
 * What every SDE solver shares: term checking, the workspace, the diffusion probe, and linear
 * dense output. Each method (one file each) writes only its `step`.
 *
 * An SDE is `dy = f(t, y) dt + g(t, y) dW` given as
 * `new MultiTerm(new ODETerm(f), new ControlTerm(g, brownian, { noise, additive }))`. The drift is
 * named to the loop through `vectorFieldTerm`, so `diffeqsolve` probes it like an ODE's vector
 * field and its automatic initial step uses it; the diffusion is probed here on the first
 * `restart`, where (t0, y0) are known.
 */
import { ContractError } from "../../results.js";
import { AbstractBrownianPath } from "../../brownian/path.js";
import { evaluateLinearDense, linearDerivative, linearInterpolate, writeLinearDense } from "../../interpolation/linear.js";
import { type AbstractTerm, ControlTerm, type InPlaceVectorField, MultiTerm, ODETerm } from "../../terms.js";
import type { AbstractSolver, SolverState } from "../solver.js";

/**
 * Thrown when a diffusion declared additive (`new ControlTerm(g, bm, { additive: true })`) changes
 * with y: SRA1 and ShARK would converge to neither the Itô nor the Stratonovich solution.
 */
export class AdditiveNoiseError extends ContractError {
  constructor(message: string) {
    super(message);
    this.name = "AdditiveNoiseError";
  }
}

/** The diffusion in place: writes g(t, y) (n × m row-major, or n entries for diagonal noise) into `out`. */
export type Diffusion = (t: number, y: Float64Array, args: any, out: Float64Array) => void;

/** Workspace of an SDE solve (allocated once in `init`). */
export interface SDEState extends SolverState {
  readonly f: InPlaceVectorField;
  readonly g: Diffusion;
  readonly bm: AbstractBrownianPath;
  readonly args: unknown;
  /** State length. */
  readonly n: number;
  /** Brownian dimension. */
  readonly m: number;
  readonly diagonal: boolean;
  /** Whether the diffusion is declared independent of y (checked at t0 by the first `restart`). */
  readonly additive: boolean;
  /** Length of one diffusion evaluation: n·m (general) or n (diagonal). */
  readonly gSize: number;
  /** Drift evaluations. */
  readonly k0: Float64Array;
  readonly k1: Float64Array;
  /** Diffusion evaluations. */
  readonly g0: Float64Array;
  readonly g1: Float64Array;
  readonly g2: Float64Array;
  readonly g3: Float64Array;
  /** Brownian increment and space–time Lévy area of the step. */
  readonly dW: Float64Array;
  readonly dH: Float64Array;
  /** Noise combinations (length m). */
  readonly v0: Float64Array;
  readonly v1: Float64Array;
  readonly ytmp: Float64Array;
  /** Scratch of the state's length for error estimates. */
  readonly etmp: Float64Array;
  numDiffusionEvals: number;
  probed: boolean;
  /** Start time and size of the last step, in a typed array so that storing them never boxes a number. */
  readonly last: Float64Array;
  y0Prev: Float64Array;
  y1Prev: Float64Array;
}

/**
 * The control of an SDE's ControlTerm: a Brownian path, or a function of the solve's `args` that
 * returns one, called once per solve (in `init`): `(args) => tree.withSeed(args.seed)` gives every
 * member of an ensemble (`solveEnsemble` with per-trajectory args) its own path.
 */
export type BrownianControl = AbstractBrownianPath | ((args: any) => AbstractBrownianPath);

/** Which stochastic integral the solver converges to. */
export type Interpretation = "ito" | "stratonovich";

function describeTerms(terms: AbstractTerm): string {
  if (terms instanceof MultiTerm) return `MultiTerm(${terms.terms.map((t) => t.constructor.name).join(", ")})`;
  return `a ${terms.constructor.name}`;
}

/**
 * The noise product out_i = base_i + Σ_j g_ij v_j (general, g row-major n × m), or base_i + g_i v_i
 * (diagonal). `out` may be `base`. Allocates nothing.
 *
 * @example
 * ```ts
 * addNoise(y1, y1, g0, dW, n, m, false); // y1 += g0·dW
 * ```
 */
export function addNoise(out: Float64Array, base: Float64Array, g: Float64Array, v: Float64Array, n: number, m: number, diagonal: boolean): void {
  if (diagonal) {
    for (let i = 0; i < n; i++) out[i] = base[i]! + g[i]! * v[i]!;
  } else if (m === 1) {
    const v0 = v[0]!;
    for (let i = 0; i < n; i++) out[i] = base[i]! + g[i]! * v0;
  } else {
    for (let i = 0; i < n; i++) {
      let acc = base[i]!;
      const o = i * m;
      for (let j = 0; j < m; j++) acc += g[o + j]! * v[j]!;
      out[i] = acc;
    }
  }
}

/**
 * Base of the SDE solvers: checks and allocation, linear dense output. Subclasses set the
 * method's name, strong order (`order`), `errorOrder` (0: no error estimate), interpretation and
 * requirements, and implement `step`, which reads the increment of the step from the Brownian
 * motion (`state.bm.incrementAt(times, …)`, the step's own [t, dt] array, so that no double is
 * boxed) so a rejected step revisits the same path.
 *
 * References: P. E. Kloeden and E. Platen, *Numerical Solution of Stochastic Differential
 * Equations*, Springer 1992; P. Kidger, "On Neural Differential Equations", DPhil thesis, Oxford
 * 2021, ch. 5 (SDE solvers as solvers of controlled terms, as in diffrax).
 *
 * @example
 * ```ts
 * class MyEuler extends AbstractSDESolver {
 *   readonly name = "MyEuler"; readonly order = 0.5; readonly errorOrder = 0; readonly interpretation = "ito" as const;
 *   step(s: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array): number {
 *     const t = times[0], dt = times[1];
 *     s.bm.incrementAt(times, s.dW, null); s.f(t, y0, s.args, s.k0); s.g(t, y0, s.args, s.g0);
 *     for (let i = 0; i < s.n; i++) s.ytmp[i] = y0[i] + dt * s.k0[i];
 *     addNoise(y1, s.ytmp, s.g0, s.dW, s.n, s.m, s.diagonal);
 *     this.record(s, times, y0, y1);
 *     return 0;
 *   }
 * }
 * ```
 */
export abstract class AbstractSDESolver implements AbstractSolver<SDEState> {
  abstract readonly name: string;
  /** Strong order of convergence (for the noise this method is meant for). */
  abstract readonly order: number;
  abstract readonly errorOrder: number;
  readonly hasSecondaryError = false;
  /** Itô or Stratonovich. */
  abstract readonly interpretation: Interpretation;
  /** Needs the space–time Lévy area from the Brownian motion. */
  protected readonly needsLevyArea: boolean = false;
  /** Needs additive noise (declared with `{ additive: true }`). */
  protected readonly needsAdditive: boolean = false;

  /** The parts of an SDE's terms, after {@link checkTerms}. */
  protected parts(terms: AbstractTerm): { drift: ODETerm; diffusion: ControlTerm<any, BrownianControl> } {
    const mt = terms as MultiTerm;
    return { drift: mt.terms[0] as ODETerm, diffusion: mt.terms[1] as ControlTerm<any, BrownianControl> };
  }

  /** Throws unless `bm` is a Brownian path with what this method needs. */
  private checkPath(bm: unknown, fromFactory: boolean): asserts bm is AbstractBrownianPath {
    const name = this.name;
    if (!(bm instanceof AbstractBrownianPath)) {
      const what = bm === null ? "null" : typeof bm === "object" ? `a ${(bm as object).constructor.name}` : typeof bm;
      throw new TypeError(
        `diffeqsolve: ${name} needs the ControlTerm's control to be a Brownian motion, new VirtualBrownianTree({ t0, t1, shape, seed }) ` +
          `or new UnsafeBrownianPath({ shape, seed }), or a function (args) => such a path; ${fromFactory ? "the function returned" : "got"} ${what}.`,
      );
    }
    if (this.needsLevyArea && bm.levyArea !== "space-time") {
      throw new TypeError(
        `diffeqsolve: ${name} needs the space–time Lévy area of the Brownian motion; construct it with levyArea: "space-time" ` +
          `(for example new VirtualBrownianTree({ t0, t1, shape, seed, levyArea: "space-time" })).`,
      );
    }
  }

  checkTerms(terms: AbstractTerm): void {
    const name = this.name;
    if (!(terms instanceof MultiTerm) || terms.terms.length !== 2 || !(terms.terms[0] instanceof ODETerm) || !(terms.terms[1] instanceof ControlTerm)) {
      throw new TypeError(
        `diffeqsolve: ${name} solves SDEs and needs terms = new MultiTerm(new ODETerm(drift), new ControlTerm(diffusion, brownian)); ` +
          `got ${describeTerms(terms)}.`,
      );
    }
    const ct = terms.terms[1] as ControlTerm;
    // A function of args is called per solve, in init (one path per ensemble member).
    if (typeof ct.control !== "function") this.checkPath(ct.control, false);
    if (this.needsAdditive && !ct.additive) {
      throw new TypeError(
        `diffeqsolve: ${name} is for additive noise (a diffusion that does not depend on y); declare it with ` +
          "new ControlTerm(diffusion, brownian, { additive: true }), or use EulerMaruyama, EulerHeun or Milstein for noise that depends on y.",
      );
    }
  }

  /** The drift: `diffeqsolve` probes it and uses it for the automatic initial step. */
  vectorFieldTerm(terms: AbstractTerm): ODETerm {
    return this.parts(terms).drift;
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): SDEState {
    const { diffusion } = this.parts(terms);
    const control = diffusion.control;
    const bm = typeof control === "function" ? control(args) : control;
    this.checkPath(bm, typeof control === "function");
    bm.startSolve();
    const m = bm.size;
    const diagonal = diffusion.noise === "diagonal";
    if (diagonal && m !== n) {
      throw new RangeError(
        `diffeqsolve: ${this.name}: diagonal noise needs one Brownian dimension per state component, but the state has ${n} ` +
          `components and the Brownian motion has shape [${bm.shape.join(", ")}] (size ${m}); use shape: ${n}, or noise: "general" ` +
          `with a diffusion writing the ${n} × ${m} matrix.`,
      );
    }
    const gSize = diagonal ? n : n * m;
    const empty = new Float64Array(0);
    return {
      numFnEvals: 0,
      numDiffusionEvals: 0,
      f,
      g: diffusion.diffusion,
      bm,
      args,
      n,
      m,
      diagonal,
      additive: diffusion.additive,
      gSize,
      k0: new Float64Array(n),
      k1: new Float64Array(n),
      g0: new Float64Array(gSize),
      g1: new Float64Array(gSize),
      g2: new Float64Array(gSize),
      g3: new Float64Array(gSize),
      dW: new Float64Array(m),
      dH: new Float64Array(m),
      v0: new Float64Array(m),
      v1: new Float64Array(m),
      ytmp: new Float64Array(n),
      etmp: new Float64Array(n),
      probed: false,
      last: new Float64Array(2),
      y0Prev: empty,
      y1Prev: empty,
    };
  }

  /** Checks once that the diffusion writes exactly the entries the noise type needs. */
  private probe(state: SDEState, t: number, y: Float64Array): void {
    const { n, m, gSize, diagonal } = state;
    const buf = new Float64Array(gSize + 1).fill(NaN);
    const shape = diagonal
      ? `diagonal noise with n = ${n} state components needs n = ${n} entries`
      : `general noise with n = ${n} state components and a Brownian motion of size m = ${m} needs the n × m = ${gSize} entries of g, row-major`;
    const r = state.g(t, Float64Array.from(y), state.args, buf) as unknown;
    if (r !== undefined) {
      throw new TypeError(`${this.name}: the diffusion must write g into \`out\` in place ((t, y, args, out) => { out[0] = … }) and return nothing.`);
    }
    for (let i = 0; i < gSize; i++) {
      if (Number.isNaN(buf[i]!)) {
        throw new RangeError(
          `${this.name}: the diffusion did not write out[${i}] (or wrote NaN) at t = ${t}: ${shape}.` +
            (diagonal ? "" : ` Check the Brownian motion's shape, or pass { noise: "diagonal" } to ControlTerm for one noise per component.`),
        );
      }
    }
    if (!Number.isNaN(buf[gSize]!)) {
      throw new RangeError(
        `${this.name}: the diffusion writes out[${gSize}] but ${shape}; check the Brownian motion's shape ([${state.bm.shape.join(", ")}]) ` +
          "against the diffusion.",
      );
    }
    if (state.additive) this.checkAdditive(state, t, y, buf);
    state.probed = true;
  }

  /**
   * A diffusion declared additive must not depend on y: compares g(t0, y0) (as probed) with g at a
   * perturbed state, y0_i + 1e-3·(1 + |y0_i|)·(1, −½, ⅓, …)_i, once per solve. A dependence this
   * perturbation cannot see (g flat near y0) goes unnoticed.
   */
  private checkAdditive(state: SDEState, t: number, y: Float64Array, g0: Float64Array): void {
    const { n, gSize } = state;
    const yp = new Float64Array(n);
    for (let i = 0; i < n; i++) yp[i] = y[i]! + (1e-3 * (1 + Math.abs(y[i]!)) * (i % 2 === 0 ? 1 : -1)) / (1 + i);
    const g1 = new Float64Array(gSize);
    state.g(t, yp, state.args, g1);
    for (let i = 0; i < gSize; i++) {
      const a = g0[i]!;
      const b = g1[i]!;
      if (!(Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)))) {
        throw new AdditiveNoiseError(
          `${this.name}: the diffusion is declared additive (new ControlTerm(diffusion, brownian, { additive: true })) but depends on y: ` +
            `at t = ${t}, g[${i}] = ${a} at y0 and ${b} at a state 1e-3 away. Additive-noise methods would then converge to neither the ` +
            "Itô nor the Stratonovich solution. Remove `additive: true` and use EulerMaruyama or Milstein (Itô) or EulerHeun (Stratonovich), " +
            "or make the diffusion depend on t only.",
        );
      }
    }
  }

  restart(state: SDEState, t: number, y: Float64Array): Float64Array {
    if (!state.probed) this.probe(state, t, y);
    state.f(t, y, state.args, state.k0);
    state.numFnEvals++;
    return state.k0;
  }

  abstract step(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): number;

  /** Records the step for dense output (called at the end of every `step`). */
  protected record(state: SDEState, times: Float64Array, y0: Float64Array, y1: Float64Array): void {
    state.last[0] = times[0]!;
    state.last[1] = times[1]!;
    state.y0Prev = y0;
    state.y1Prev = y1;
  }

  accept(_state: SDEState): void {}

  extraStats(state: SDEState): Record<string, number> {
    return { numDiffusionEvals: state.numDiffusionEvals };
  }

  /** Dense output inside a step is linear interpolation between its end points. */
  interpolate(state: SDEState, theta: number, out: Float64Array): void {
    linearInterpolate(state, theta, out);
  }

  interpolateDerivative(state: SDEState, _theta: number, out: Float64Array): void {
    linearDerivative(state, out);
  }

  denseSize(n: number): number {
    return 2 * n;
  }

  writeDense(state: SDEState, out: Float64Array, offset: number): void {
    writeLinearDense(state, out, offset);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    evaluateLinearDense(data, offset, n, dt, theta, derivative, out);
  }
}
