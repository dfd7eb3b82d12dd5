/**
 * Rosenbrock (linearly implicit) methods: `Rosenbrock23` (Shampine & Reichelt's ode23s pair) and
 * `Rodas5P` (Steinebach's Rodas5 with improved dense output). No Newton iteration: each stage is
 * one linear solve with W = M/(γ dt) − J, so a step never fails to converge; J is evaluated once
 * per accepted step (a rejected step reuses it and only refactors W for the new dt).
 *
 * Stages are written in Hairer & Wanner's transformed form (*Solving ODEs II*, §IV.7, (7.25)):
 *   (M/(γ dt) − J) U_i = f(t + c_i dt, y0 + Σ_{j<i} a_ij U_j) + M Σ_{j<i} (C_ij/dt) U_j + d_i dt ∂f/∂t,
 *   y1 = y0 + Σ b_i U_i,  error = Σ b̂_i U_i,
 * which needs neither Jacobian-vector products nor a multiplication by M for M = I.
 */
import type { AbstractTerm, InPlaceVectorField } from "../../terms.js";
import type { AbstractSolver, SolverState } from "../solver.js";
import { STEP_OK } from "../solver.js";
import { luFactor } from "../../linalg/lu.js";
import { rowMajor } from "./coefficients.js";
import {
  checkImplicitOptions, type ImplicitOptions, IterationMatrix, vectorFieldObject,
} from "./iteration-matrix.js";
import { newtonTolerance } from "./stage-newton.js";
import type { StepMap } from "../step-map.js";

/** Coefficients of a Rosenbrock method in the transformed form (see the module comment). */
export interface RosenbrockTableau {
  readonly name: string;
  readonly order: number;
  readonly embeddedOrder: number;
  readonly stages: number;
  /** Diagonal γ. */
  readonly gamma: number;
  /** a_ij, s × s row-major (strictly lower). */
  readonly a: Float64Array;
  /** C_ij, s × s row-major (strictly lower). */
  readonly C: Float64Array;
  /** Stage times c_i. */
  readonly c: Float64Array;
  /** d_i = Σ_j γ_ij (the ∂f/∂t coefficients). */
  readonly d: Float64Array;
  /** y1 = y0 + Σ b_i U_i. */
  readonly b: Float64Array;
  /** error = Σ bErr_i U_i. */
  readonly bErr: Float64Array;
  /**
   * Dense output: rows of coefficients h_{r,i} so that K_r = Σ h_{r,i} U_i and
   * y(θ) = (1−θ) y0 + θ (y1 + (1−θ)(K_1 + θ (K_2 + θ K_3 …))) (Steinebach's form).
   */
  readonly h: Float64Array;
  readonly denseRows: number;
  readonly source: string;
}

/**
 * Rodas5P: γ, a, C, c, d and the dense-output coefficients h as published by Steinebach (2023),
 * Table 1 / the supplement, in the transformed form used by Hairer's RODAS; stages 7 and 8 are
 * the embedded and main "stiffly accurate" stages: u7 = u6 + U6, u8 = u7 + U7, y1 = u8 + U8,
 * error = U8. Digits as distributed with OrdinaryDiffEq.jl's `Rodas5PTableau`.
 */
export const RODAS5P_TABLEAU: RosenbrockTableau = (() => {
  const s = 8;
  const a6 = [-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256, 0.030198172008377946];
  const a = rowMajor(
    [
      [],
      [3.0],
      [2.849394379747939, 0.45842242204463923],
      [-6.954028509809101, 2.489845061869568, -10.358996098473584],
      [2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641],
      a6,
      [...a6, 1],
      [...a6, 1, 1],
    ],
    s,
  );
  const C = rowMajor(
    [
      [],
      [-14.155112264123755],
      [-17.97296035885952, -2.859693295451294],
      [147.12150275711716, -1.41221402718213, 71.68940251302358],
      [165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306],
      [24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471],
      [30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783, -19.097331116725623, -28.087943162872662],
      [37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047, -40.06618937091002, -54.66780262877968, -9.48861652309627],
    ],
    s,
  );
  const h = Float64Array.from([
    25.948786856663858, -2.5579724845846235, 10.433815404888879, -2.3679251022685204, 0.524948541321073, 1.1241088310450404, 0.4272876194431874, -0.17202221070155493,
    -9.91568850695171, -0.9689944594115154, 3.0438037242978453, -24.495224566215796, 20.176138334709044, 15.98066361424651, -6.789040303419874, -6.710236069923372,
    11.419903575922262, 2.8879645146136994, 72.92137995996029, 80.12511834622643, -52.072871366152654, -59.78993625266729, -0.15582684282751913, 4.883087185713722,
  ]);
  return {
    name: "Rodas5P",
    order: 5,
    embeddedOrder: 4,
    stages: s,
    gamma: 0.21193756319429014,
    a,
    C,
    c: Float64Array.from([0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1, 1, 1]),
    d: Float64Array.from([0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734, 2.325825639765069, 0, 0, 0]),
    b: Float64Array.from([...a6, 1, 1, 1]),
    bErr: Float64Array.from([0, 0, 0, 0, 0, 0, 0, 1]),
    h,
    denseRows: 3,
    source:
      "G. Steinebach, \"Construction of Rosenbrock–Wanner method Rodas5P and numerical benchmarks within the Julia " +
      "Differential Equations package\", BIT Numer. Math. 63 (2023) 27; coefficients as in OrdinaryDiffEq.jl.",
  };
})();

/** Workspace of a Rosenbrock solve. */
export interface RosenbrockState extends SolverState {
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  readonly n: number;
  readonly im: IterationMatrix;
  /** Stage increments U_i (Rodas) or k1, k2, k3 (Rosenbrock23). */
  readonly ks: Float64Array[];
  /** f(t, y0) of the current step; ping-pongs with `f1` for FSAL methods. */
  f0: Float64Array;
  f1: Float64Array;
  readonly dT: Float64Array;
  readonly ytmp: Float64Array;
  readonly rhs: Float64Array;
  readonly mtmp: Float64Array;
  /** Dense-output vectors of the last accepted step. */
  readonly kd: Float64Array[];
  f0Valid: boolean;
  /** J and ∂f/∂t are those at the current step's (t, y0). */
  jacValid: boolean;
  f1Ready: boolean;
  tPrev: number;
  dtPrev: number;
  y0Prev: Float64Array;
  y1Prev: Float64Array;
}

abstract class RosenbrockBase implements AbstractSolver<RosenbrockState> {
  abstract readonly name: string;
  abstract readonly order: number;
  abstract readonly errorOrder: number;
  readonly hasSecondaryError = false;
  readonly options: ImplicitOptions;
  /** ∂f/∂t is zero (option `autonomous`): it is not computed. */
  protected readonly autonomous: boolean;
  constructor(name: string, options: ImplicitOptions | undefined) {
    this.options = checkImplicitOptions(name, options);
    this.autonomous = this.options.autonomous === true;
  }
  protected abstract get numStages(): number;
  protected abstract get numDense(): number;

  init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): RosenbrockState {
    // Each stage is one linear solve with W for the current step: no stale factorisation, and a
    // Krylov solve must converge (no Newton iteration corrects it).
    const im = new IterationMatrix(this.name, f, n, args, vectorFieldObject(terms), this.options, { staleOk: false, inexactOk: false, complex: false });
    const ks: Float64Array[] = [];
    for (let i = 0; i < this.numStages; i++) ks.push(new Float64Array(n));
    const kd: Float64Array[] = [];
    for (let i = 0; i < this.numDense; i++) kd.push(new Float64Array(n));
    const empty = new Float64Array(0);
    const state: RosenbrockState = {
      numFnEvals: 0, f, args, n, im, ks,
      f0: new Float64Array(n), f1: new Float64Array(n), dT: new Float64Array(n),
      ytmp: new Float64Array(n), rhs: new Float64Array(n), mtmp: new Float64Array(n), kd,
      f0Valid: false, jacValid: false, f1Ready: false,
      tPrev: 0, dtPrev: 0, y0Prev: empty, y1Prev: empty,
    };
    im.countEvalsIn(state);
    return state;
  }

  /**
   * Called by the loop with the controller's tolerances: a Krylov linear solver ties its tolerance
   * to the Newton tolerance these would give (the stages' solves must be as accurate as a
   * converged Newton iteration).
   */
  setTolerances(state: RosenbrockState, rtol: number | Float64Array, atol: number | Float64Array): void {
    state.im.setTolerances(rtol, atol, newtonTolerance(rtol));
  }

  extraStats(state: RosenbrockState): Record<string, number> {
    // Rosenbrock methods solve linear systems, no Newton iterations: no counter for them.
    return state.im.stats({});
  }

  restart(state: RosenbrockState, t: number, y: Float64Array): Float64Array {
    state.im.start(t, y);
    state.f(t, y, state.args, state.f0);
    state.numFnEvals++;
    state.f0Valid = true;
    state.jacValid = false;
    state.f1Ready = false;
    state.im.alpha = NaN;
    return state.f0;
  }

  /** Makes f0, J and ∂f/∂t current at (t, y0). */
  protected prepare(state: RosenbrockState, t: number, y0: Float64Array, dt: number): void {
    if (!state.f0Valid) {
      state.f(t, y0, state.args, state.f0);
      state.numFnEvals++;
      state.f0Valid = true;
    }
    if (!state.jacValid) {
      state.numFnEvals += state.im.evalJacobian(t, y0, state.f0, dt);
      if (!this.autonomous) {
        state.numFnEvals += state.im.timeDerivative(t, y0, state.f0, state.dT, state.rhs, dt);
      }
      state.jacValid = true;
    }
  }

  abstract step(state: RosenbrockState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): number;
  abstract accept(state: RosenbrockState): void;
  abstract interpolate(state: RosenbrockState, theta: number, out: Float64Array): void;
  abstract interpolateDerivative(state: RosenbrockState, theta: number, out: Float64Array): void;
  abstract denseSize(n: number): number;
  abstract writeDense(state: RosenbrockState, out: Float64Array, offset: number): void;
  abstract evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void;
}

/** Rosenbrock23's γ = d = 1/(2 + √2) (Shampine & Reichelt 1997, §3). */
export const R23_D = 1 / (2 + Math.SQRT2);
const R23_E32 = 6 + Math.SQRT2;

/**
 * Rosenbrock23: the L-stable, order-2 Rosenbrock–W pair of MATLAB's `ode23s` with an order-3 error
 * estimate, FSAL (two new evaluations of f per step plus the Jacobian), and a free second-order
 * interpolant. Robust at loose tolerances (rtol ≥ 1e-4…1e-6) and with crude Jacobians; for tight
 * tolerances use {@link Rodas5P}.
 *
 * Options: `massMatrix` (constant and nonsingular: for DAEs use {@link Rodas5P}), `linearSolver`,
 * `bandwidth`, `autonomous` (see {@link ImplicitOptions}).
 *
 * Reference: L. F. Shampine & M. W. Reichelt, "The MATLAB ODE Suite", SIAM J. Sci. Comput. 18(1)
 * (1997) 1–22, §3 (d = 1/(2+√2), e32 = 6+√2).
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new ODETerm(rober), solver: new Rosenbrock23(), t0: 0, t1: 1e5, y0: [1, 0, 0],
 *   stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-10 }) });
 * ```
 */
export class Rosenbrock23 extends RosenbrockBase {
  readonly name = "Rosenbrock23";
  readonly order = 2;
  readonly errorOrder = 3;
  constructor(options?: ImplicitOptions) {
    super("Rosenbrock23", options);
  }

  /** For the discrete adjoint (see {@link StepMap}). */
  get stepMap(): StepMap {
    return { kind: "rosenbrock23", solver: this };
  }
  protected get numStages(): number {
    return 3;
  }
  protected get numDense(): number {
    return 0;
  }

  override init(f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): RosenbrockState {
    const state = super.init(f, n, args, terms);
    const m = state.im.mass;
    if (m !== null && luFactor(n, Float64Array.from(m), new Int32Array(n)) !== 0) {
      // ode23s's error estimate is not valid for algebraic components (Shampine & Reichelt, §3).
      throw new TypeError(
        "Rosenbrock23: `massMatrix` is singular (a DAE); Rosenbrock23 needs a nonsingular mass matrix, " +
          "as MATLAB's ode23s. Use new Rodas5P({ massMatrix }) for index-1 DAEs.",
      );
    }
    return state;
  }

  step(state: RosenbrockState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    if (state.f1Ready) {
      // FSAL: f(t1, y1) of the accepted step is f0 of this one.
      const tmp = state.f0;
      state.f0 = state.f1;
      state.f1 = tmp;
      state.f0Valid = true;
      state.f1Ready = false;
    }
    this.prepare(state, t, y0, dt);
    const { n, im, f0, f1, dT, ytmp, rhs, mtmp } = state;
    const k1 = state.ks[0]!;
    const k2 = state.ks[1]!;
    const k3 = state.ks[2]!;
    const hd = dt * R23_D;
    const alpha = 1 / hd;
    // W = M − hd J = hd (αM − J): solutions of (αM − J) x = r are scaled by α.
    if (im.alpha !== alpha) {
      const fs = im.factor(alpha);
      if (fs !== 0) return fs;
    }
    for (let i = 0; i < n; i++) rhs[i] = f0[i] + hd * dT[i];
    let ls = im.solve(rhs);
    if (ls !== 0) return ls;
    for (let i = 0; i < n; i++) {
      k1[i] = alpha * rhs[i];
      ytmp[i] = y0[i] + 0.5 * dt * k1[i];
    }
    state.f(t + 0.5 * dt, ytmp, state.args, f1);
    im.massMul(k1, mtmp);
    for (let i = 0; i < n; i++) rhs[i] = f1[i] - mtmp[i];
    ls = im.solve(rhs);
    if (ls !== 0) return ls;
    for (let i = 0; i < n; i++) {
      k2[i] = alpha * rhs[i] + k1[i];
      y1[i] = y0[i] + dt * k2[i];
    }
    // f1 (at the midpoint) is needed again below; evaluate f(t1, y1) into ytmp first.
    state.f(t + dt, y1, state.args, ytmp);
    state.numFnEvals += 2;
    im.massMul(k2, mtmp);
    for (let i = 0; i < n; i++) rhs[i] = ytmp[i] - R23_E32 * (mtmp[i] - f1[i]) + hd * dT[i];
    im.massMul(k1, mtmp);
    for (let i = 0; i < n; i++) rhs[i] -= 2 * (mtmp[i] - f0[i]);
    ls = im.solve(rhs);
    if (ls !== 0) return ls;
    const c = dt / 6;
    for (let i = 0; i < n; i++) {
      k3[i] = alpha * rhs[i];
      yErr[i] = c * (k1[i] - 2 * k2[i] + k3[i]);
      f1[i] = ytmp[i]; // keep f(t1, y1) for FSAL
    }
    state.tPrev = t;
    state.dtPrev = dt;
    state.y0Prev = y0;
    state.y1Prev = y1;
    return STEP_OK;
  }

  accept(state: RosenbrockState): void {
    state.f1Ready = true;
    state.f0Valid = false;
    state.jacValid = false;
  }

  interpolate(state: RosenbrockState, theta: number, out: Float64Array): void {
    r23Dense(state.y0Prev, state.ks[0]!, state.ks[1]!, 0, 0, 0, state.n, state.dtPrev, theta, false, out);
  }
  interpolateDerivative(state: RosenbrockState, theta: number, out: Float64Array): void {
    r23Dense(state.y0Prev, state.ks[0]!, state.ks[1]!, 0, 0, 0, state.n, state.dtPrev, theta, true, out);
  }
  denseSize(n: number): number {
    return 3 * n;
  }
  writeDense(state: RosenbrockState, out: Float64Array, offset: number): void {
    const n = state.n;
    out.set(state.y0Prev, offset);
    out.set(state.ks[0]!, offset + n);
    out.set(state.ks[1]!, offset + 2 * n);
  }
  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    r23Dense(data, data, data, offset, offset + n, offset + 2 * n, n, dt, theta, derivative, out);
  }
}

/** y(θ) = y0 + dt (θ(1−θ) k1 + θ(θ−2d) k2) / (1−2d), Shampine & Reichelt (1997) §3. */
function r23Dense(
  y0: Float64Array, k1: Float64Array, k2: Float64Array, o0: number, o1: number, o2: number,
  n: number, dt: number, theta: number, derivative: boolean, out: Float64Array,
): void {
  const s = 1 / (1 - 2 * R23_D);
  if (derivative) {
    const w1 = (1 - 2 * theta) * s;
    const w2 = (2 * theta - 2 * R23_D) * s;
    for (let i = 0; i < n; i++) out[i] = w1 * k1[o1 + i] + w2 * k2[o2 + i];
  } else {
    const w1 = dt * theta * (1 - theta) * s;
    const w2 = dt * theta * (theta - 2 * R23_D) * s;
    for (let i = 0; i < n; i++) out[i] = y0[o0 + i] + w1 * k1[o1 + i] + w2 * k2[o2 + i];
  }
}

/**
 * A Rodas-type Rosenbrock method given by its transformed tableau (see {@link RosenbrockTableau}).
 * `Rodas5P` is this engine with {@link RODAS5P_TABLEAU}.
 */
export class RodasMethod extends RosenbrockBase {
  readonly name: string;
  readonly order: number;
  readonly errorOrder: number;
  readonly tableau: RosenbrockTableau;
  constructor(tableau: RosenbrockTableau, options?: ImplicitOptions) {
    super(tableau.name, options);
    this.tableau = tableau;
    this.name = tableau.name;
    this.order = tableau.order;
    this.errorOrder = Math.min(tableau.order, tableau.embeddedOrder) + 1;
  }

  /** For the discrete adjoint (see {@link StepMap}). */
  get stepMap(): StepMap {
    return { kind: "rodas", solver: this };
  }
  protected get numStages(): number {
    return this.tableau.stages;
  }
  protected get numDense(): number {
    return this.tableau.denseRows;
  }

  step(state: RosenbrockState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    this.prepare(state, t, y0, dt);
    const tab = this.tableau;
    const s = tab.stages;
    const { a, C, c, d, b, bErr } = tab;
    const { n, im, f0, dT, ytmp, rhs, mtmp, ks } = state;
    const hasMass = im.mass !== null;
    const alpha = 1 / (dt * tab.gamma);
    if (im.alpha !== alpha) {
      const fs = im.factor(alpha);
      if (fs !== 0) return fs;
    }
    const invDt = 1 / dt;
    for (let st = 0; st < s; st++) {
      const ki = ks[st]!;
      const row = st * s;
      if (st === 0) {
        const dd = d[0] * dt;
        for (let j = 0; j < n; j++) rhs[j] = f0[j] + dd * dT[j];
      } else {
        // Stage value y0 + Σ a_ij U_j, then f at it.
        for (let j = 0; j < n; j++) ytmp[j] = y0[j];
        for (let l = 0; l < st; l++) {
          const al = a[row + l];
          if (al !== 0) {
            const kl = ks[l]!;
            for (let j = 0; j < n; j++) ytmp[j] += al * kl[j];
          }
        }
        state.f(t + c[st] * dt, ytmp, state.args, rhs);
        const dd = d[st] * dt;
        if (dd !== 0) for (let j = 0; j < n; j++) rhs[j] += dd * dT[j];
        // + M Σ (C_ij/dt) U_j
        const acc = hasMass ? ytmp : rhs;
        if (hasMass) for (let j = 0; j < n; j++) acc[j] = 0;
        for (let l = 0; l < st; l++) {
          const cl = C[row + l] * invDt;
          if (cl !== 0) {
            const kl = ks[l]!;
            for (let j = 0; j < n; j++) acc[j] += cl * kl[j];
          }
        }
        if (hasMass) {
          im.massMul(acc, mtmp);
          for (let j = 0; j < n; j++) rhs[j] += mtmp[j];
        }
      }
      const ls = im.solve(rhs);
      if (ls !== 0) return ls;
      for (let j = 0; j < n; j++) ki[j] = rhs[j];
    }
    state.numFnEvals += s - 1;
    for (let j = 0; j < n; j++) {
      let acc = 0;
      let err = 0;
      for (let l = 0; l < s; l++) {
        acc += b[l] * ks[l]![j];
        err += bErr[l] * ks[l]![j];
      }
      y1[j] = y0[j] + acc;
      yErr[j] = err;
    }
    state.tPrev = t;
    state.dtPrev = dt;
    state.y0Prev = y0;
    state.y1Prev = y1;
    return STEP_OK;
  }

  accept(state: RosenbrockState): void {
    state.f0Valid = false;
    state.jacValid = false;
    // Dense-output vectors K_r = Σ h_ri U_i of this step.
    const { n, ks, kd } = state;
    const { h, stages: s, denseRows } = this.tableau;
    for (let r = 0; r < denseRows; r++) {
      const out = kd[r]!;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < s; l++) acc += h[r * s + l] * ks[l]![j];
        out[j] = acc;
      }
    }
  }

  interpolate(state: RosenbrockState, theta: number, out: Float64Array): void {
    const { n, kd, y0Prev, y1Prev } = state;
    const rows = this.tableau.denseRows;
    const t1 = 1 - theta;
    for (let j = 0; j < n; j++) {
      let g = 0;
      for (let r = rows - 1; r >= 0; r--) g = g * theta + kd[r]![j];
      out[j] = t1 * y0Prev[j] + theta * (y1Prev[j] + t1 * g);
    }
  }

  interpolateDerivative(state: RosenbrockState, theta: number, out: Float64Array): void {
    const { n, kd, y0Prev, y1Prev, dtPrev } = state;
    const rows = this.tableau.denseRows;
    const inv = 1 / dtPrev;
    for (let j = 0; j < n; j++) {
      let g = 0;
      let dg = 0;
      for (let r = rows - 1; r >= 0; r--) {
        dg = dg * theta + g;
        g = g * theta + kd[r]![j];
      }
      out[j] = (y1Prev[j] - y0Prev[j] + (1 - 2 * theta) * g + theta * (1 - theta) * dg) * inv;
    }
  }

  denseSize(n: number): number {
    return (2 + this.tableau.denseRows) * n;
  }

  writeDense(state: RosenbrockState, out: Float64Array, offset: number): void {
    const n = state.n;
    out.set(state.y0Prev, offset);
    out.set(state.y1Prev, offset + n);
    for (let r = 0; r < this.tableau.denseRows; r++) out.set(state.kd[r]!, offset + (2 + r) * n);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    const rows = this.tableau.denseRows;
    const t1 = 1 - theta;
    for (let j = 0; j < n; j++) {
      let g = 0;
      let dg = 0;
      for (let r = rows - 1; r >= 0; r--) {
        dg = dg * theta + g;
        g = g * theta + data[offset + (2 + r) * n + j];
      }
      const y0 = data[offset + j];
      const y1 = data[offset + n + j];
      out[j] = derivative ? (y1 - y0 + (1 - 2 * theta) * g + theta * t1 * dg) / dt : t1 * y0 + theta * (y1 + t1 * g);
    }
  }
}

/**
 * Rodas5P: an L-stable, stiffly accurate Rosenbrock method of order 5 (embedded order 4, eight
 * stages, one Jacobian per step) with a fourth-order dense output, by Steinebach; the most
 * efficient choice for small to medium stiff systems at rtol 1e-6 … 1e-10, and for index-1 DAEs
 * with a constant mass matrix.
 *
 * Options: `massMatrix`, `linearSolver`, `bandwidth`, `autonomous` (see {@link ImplicitOptions}).
 *
 * Reference: G. Steinebach, "Construction of Rosenbrock–Wanner method Rodas5P and numerical
 * benchmarks within the Julia Differential Equations package", BIT Numer. Math. 63 (2023) 27;
 * transformed form: Hairer & Wanner, *Solving ODEs II*, §IV.7.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new ODETerm(vdpol), solver: new Rodas5P(), t0: 0, t1: 11, y0: [2, 0],
 *   stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-8 }) });
 * ```
 */
export class Rodas5P extends RodasMethod {
  constructor(options?: ImplicitOptions) {
    super(RODAS5P_TABLEAU, options);
  }
}
