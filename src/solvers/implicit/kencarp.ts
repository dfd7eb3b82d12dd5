/**
 * Additive (IMEX) Runge–Kutta methods of Kennedy & Carpenter: `KenCarp3`, `KenCarp4`, `KenCarp5`,
 * for y' = f_E(t, y) + f_I(t, y) given as `new MultiTerm(new ODETerm(fE), new ODETerm(fI))`: the
 * non-stiff f_E is treated explicitly, the stiff f_I by an L-stable, stiffly accurate ESDIRK that
 * shares its weights b (and embedded weights b̂) with the explicit table.
 *
 * Stage i solves w = Z_i − y0: w = dt Σ_{j<i} (aE_ij kE_j + aI_ij kI_j) + γ dt f_I(Z_i) by the
 * simplified Newton iteration of the ESDIRK engine (W = I/(γ dt) − ∂f_I/∂y), then kI_i is recovered
 * from the stage equation and kE_i = f_E(Z_i). y1 = y0 + dt Σ b_j (kE_j + kI_j); the error
 * dt Σ (b_j − b̂_j)(kE_j + kI_j) is filtered by (I − γ dt J)⁻¹. Dense output: cubic Hermite.
 *
 * Coefficients: C. A. Kennedy & M. H. Carpenter, "Additive Runge–Kutta schemes for
 * convection–diffusion–reaction equations", Appl. Numer. Math. 44 (2003) 139–181 (ARK3(2)4L[2]SA,
 * ARK4(3)6L[2]SA, ARK5(4)8L[2]SA); digits as distributed with SUNDIALS ARKODE.
 */
import { MultiTerm, ODETerm, type AbstractTerm, type InPlaceVectorField, type VectorFieldFn } from "../../terms.js";
import type { AbstractSolver, SolverState } from "../solver.js";
import { STEP_OK } from "../solver.js";
import {
  checkImplicitOptions, type ImplicitOptions, IterationMatrix,
} from "./iteration-matrix.js";
import {
  evaluateHermiteDense, filterError, hermite, newtonStats, setNewtonScale, setNewtonTolerances, solveStage, stageSlope,
  type StageNewtonState, writeHermiteDense,
} from "./stage-newton.js";
import { rowMajor } from "./coefficients.js";
import type { StepMap } from "../step-map.js";

/** An additive Runge–Kutta pair: explicit and implicit tables with shared weights. */
export interface ARKTableau {
  readonly name: string;
  readonly order: number;
  readonly embeddedOrder: number;
  readonly stages: number;
  readonly gamma: number;
  /** Explicit table (strictly lower), s × s row-major. */
  readonly aE: Float64Array;
  /** Implicit table (lower, diagonal γ from stage 2), s × s row-major. */
  readonly aI: Float64Array;
  readonly c: Float64Array;
  readonly b: Float64Array;
  readonly bHat: Float64Array;
  readonly source: string;
}

function ark(spec: { name: string; order: number; embeddedOrder: number; gamma: number; aE: number[][]; aI: number[][]; b: number[]; bHat: number[]; source: string }): ARKTableau {
  const s = spec.b.length;
  const aE = rowMajor(spec.aE, s);
  const aI = rowMajor(spec.aI, s);
  const c = new Float64Array(s);
  for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) c[i] += aI[i * s + j];
  return {
    name: spec.name, order: spec.order, embeddedOrder: spec.embeddedOrder, stages: s, gamma: spec.gamma, aE, aI, c,
    b: Float64Array.from(spec.b), bHat: Float64Array.from(spec.bHat), source: spec.source,
  };
}

const G3 = 1767732205903 / 4055673282236;
/** ARK3(2)4L[2]SA (Kennedy & Carpenter 2003, Table 5 / Appendix). */
export const KENCARP3_TABLEAU = ark({
  name: "KenCarp3", order: 3, embeddedOrder: 2, gamma: G3,
  aE: [
    [],
    [1767732205903 / 2027836641118],
    [5535828885825 / 10492691773637, 788022342437 / 10882634858940],
    [6485989280629 / 16251701735622, -4246266847089 / 9704473918619, 10755448449292 / 10357097424841],
  ],
  aI: [
    [0],
    [G3, G3],
    [2746238789719 / 10658868560708, -640167445237 / 6845629431997, G3],
    [1471266399579 / 7840856788654, -4482444167858 / 7529755066697, 11266239266428 / 11593286722821, G3],
  ],
  b: [1471266399579 / 7840856788654, -4482444167858 / 7529755066697, 11266239266428 / 11593286722821, G3],
  bHat: [2756255671327 / 12835298489170, -10771552573575 / 22201958757719, 9247589265047 / 10645013368117, 2193209047091 / 5459859503100],
  source: "Kennedy & Carpenter, Appl. Numer. Math. 44 (2003) 139–181, ARK3(2)4L[2]SA.",
});

/** ARK4(3)6L[2]SA (Kennedy & Carpenter 2003). */
export const KENCARP4_TABLEAU = ark({
  name: "KenCarp4", order: 4, embeddedOrder: 3, gamma: 1 / 4,
  aE: [
    [],
    [1 / 2],
    [13861 / 62500, 6889 / 62500],
    [-116923316275 / 2393684061468, -2731218467317 / 15368042101831, 9408046702089 / 11113171139209],
    [-451086348788 / 2902428689909, -2682348792572 / 7519795681897, 12662868775082 / 11960479115383, 3355817975965 / 11060851509271],
    [647845179188 / 3216320057751, 73281519250 / 8382639484533, 552539513391 / 3454668386233, 3354512671639 / 8306763924573, 4040 / 17871],
  ],
  aI: [
    [0],
    [1 / 4, 1 / 4],
    [8611 / 62500, -1743 / 31250, 1 / 4],
    [5012029 / 34652500, -654441 / 2922500, 174375 / 388108, 1 / 4],
    [15267082809 / 155376265600, -71443401 / 120774400, 730878875 / 902184768, 2285395 / 8070912, 1 / 4],
    [82889 / 524892, 0, 15625 / 83664, 69875 / 102672, -2260 / 8211, 1 / 4],
  ],
  b: [82889 / 524892, 0, 15625 / 83664, 69875 / 102672, -2260 / 8211, 1 / 4],
  bHat: [4586570599 / 29645900160, 0, 178811875 / 945068544, 814220225 / 1159782912, -3700637 / 11593932, 61727 / 225920],
  source: "Kennedy & Carpenter, Appl. Numer. Math. 44 (2003) 139–181, ARK4(3)6L[2]SA.",
});

/** ARK5(4)8L[2]SA (Kennedy & Carpenter 2003). */
export const KENCARP5_TABLEAU = ark({
  name: "KenCarp5", order: 5, embeddedOrder: 4, gamma: 41 / 200,
  aE: [
    [],
    [41 / 100],
    [367902744464 / 2072280473677, 677623207551 / 8224143866563],
    [1268023523408 / 10340822734521, 0, 1029933939417 / 13636558850479],
    [14463281900351 / 6315353703477, 0, 66114435211212 / 5879490589093, -54053170152839 / 4284798021562],
    [14090043504691 / 34967701212078, 0, 15191511035443 / 11219624916014, -18461159152457 / 12425892160975, -281667163811 / 9011619295870],
    [19230459214898 / 13134317526959, 0, 21275331358303 / 2942455364971, -38145345988419 / 4862620318723, -1 / 8, -1 / 8],
    [-19977161125411 / 11928030595625, 0, -40795976796054 / 6384907823539, 177454434618887 / 12078138498510, 782672205425 / 8267701900261,
      -69563011059811 / 9646580694205, 7356628210526 / 4942186776405],
  ],
  aI: [
    [0],
    [41 / 200, 41 / 200],
    [41 / 400, -567603406766 / 11931857230679, 41 / 200],
    [683785636431 / 9252920307686, 0, -110385047103 / 1367015193373, 41 / 200],
    [3016520224154 / 10081342136671, 0, 30586259806659 / 12414158314087, -22760509404356 / 11113319521817, 41 / 200],
    [218866479029 / 1489978393911, 0, 638256894668 / 5436446318841, -1179710474555 / 5321154724896, -60928119172 / 8023461067671, 41 / 200],
    [1020004230633 / 5715676835656, 0, 25762820946817 / 25263940353407, -2161375909145 / 9755907335909, -211217309593 / 5846859502534,
      -4269925059573 / 7827059040749, 41 / 200],
    [-872700587467 / 9133579230613, 0, 0, 22348218063261 / 9555858737531, -1143369518992 / 8141816002931, -39379526789629 / 19018526304540,
      32727382324388 / 42900044865799, 41 / 200],
  ],
  b: [-872700587467 / 9133579230613, 0, 0, 22348218063261 / 9555858737531, -1143369518992 / 8141816002931, -39379526789629 / 19018526304540,
    32727382324388 / 42900044865799, 41 / 200],
  bHat: [-975461918565 / 9796059967033, 0, 0, 78070527104295 / 32432590147079, -548382580838 / 3424219808633, -33438840321285 / 15594753105479,
    3629800801594 / 4656183773603, 4035322873751 / 18575991585200],
  source: "Kennedy & Carpenter, Appl. Numer. Math. 44 (2003) 139–181, ARK5(4)8L[2]SA.",
});

/** Wraps a vector field that may return its result into the in-place form (allocated once). */
function inPlace(fn: VectorFieldFn, n: number): InPlaceVectorField {
  return (t, y, args, dy) => {
    const r = fn(t, y, args, dy);
    if (r !== undefined) for (let i = 0; i < n; i++) dy[i] = r[i]!;
  };
}

/** Workspace of a KenCarp solve. */
export interface ARKState extends SolverState, StageNewtonState {
  readonly fE: InPlaceVectorField;
  readonly fI: InPlaceVectorField;
  readonly kE: Float64Array[];
  readonly kI: Float64Array[];
  /** f = f_E + f_I at the start and end of the last accepted step (Hermite dense output). */
  readonly fStart: Float64Array;
  readonly fEnd: Float64Array;
  k0Valid: boolean;
  jacCurrent: boolean;
  jacEverEvaluated: boolean;
  tPrev: number;
  dtPrev: number;
  y0Prev: Float64Array;
  y1Prev: Float64Array;
}

/** An IMEX additive Runge–Kutta method given by its pair of tables. */
export class AdditiveRungeKutta implements AbstractSolver<ARKState> {
  readonly name: string;
  readonly order: number;
  readonly errorOrder: number;
  readonly hasSecondaryError = false;
  /** The cubic Hermite interpolant is of order 3: output times are landed on for higher orders (see AbstractSolver.denseOrder). */
  readonly denseOrder = 3;
  readonly tableau: ARKTableau;
  readonly options: ImplicitOptions;

  constructor(tableau: ARKTableau, options?: ImplicitOptions) {
    this.options = checkImplicitOptions(tableau.name, options);
    if (this.options.massMatrix !== undefined) {
      throw new TypeError(`new ${tableau.name}(options): \`massMatrix\` is not supported by IMEX methods; use Rodas5P, BDF or a Kvaerno method for M y' = f.`);
    }
    this.tableau = tableau;
    this.name = tableau.name;
    this.order = tableau.order;
    this.errorOrder = Math.min(tableau.order, tableau.embeddedOrder) + 1;
  }

  /** For the discrete adjoint (see {@link StepMap}). */
  get stepMap(): StepMap {
    return { kind: "imex", solver: this };
  }

  /** KenCarp methods take `new MultiTerm(new ODETerm(explicitPart), new ODETerm(implicitPart))`. */
  checkTerms(terms: AbstractTerm): void {
    if (!(terms instanceof MultiTerm) || terms.terms.length !== 2 || !(terms.terms[0] instanceof ODETerm) || !(terms.terms[1] instanceof ODETerm)) {
      throw new TypeError(
        `diffeqsolve: ${this.name} is an IMEX method and needs \`terms\` = new MultiTerm(new ODETerm(explicitPart), new ODETerm(implicitPart)) ` +
          `(the non-stiff part first, the stiff part second); got a ${terms.constructor.name}.`,
      );
    }
  }

  /** The sum f_E + f_I as one ODE term, for the loop's probe and initial step. */
  vectorFieldTerm(terms: AbstractTerm): ODETerm | undefined {
    if (!(terms instanceof MultiTerm)) return undefined;
    const e = (terms.terms[0] as ODETerm).vf.f;
    const i = (terms.terms[1] as ODETerm).vf.f;
    let tmp = new Float64Array(0);
    return new ODETerm((t: number, y: Float64Array, args: unknown, dy: Float64Array) => {
      const n = dy.length;
      if (tmp.length !== n) tmp = new Float64Array(n);
      const re = e(t, y, args, dy);
      if (re !== undefined) for (let k = 0; k < n; k++) dy[k] = re[k]!;
      const ri = i(t, y, args, tmp);
      if (ri !== undefined) for (let k = 0; k < n; k++) tmp[k] = ri[k]!;
      for (let k = 0; k < n; k++) dy[k] += tmp[k]!;
    });
  }

  init(_f: InPlaceVectorField, n: number, args: unknown, terms: AbstractTerm): ARKState {
    const multi = terms as MultiTerm;
    const eTerm = multi.terms[0] as ODETerm;
    const iTerm = multi.terms[1] as ODETerm;
    const fE = inPlace(eTerm.vf.f, n);
    const fI = inPlace(iTerm.vf.f, n);
    const im = new IterationMatrix(this.name, fI, n, args, iTerm.vf, this.options);
    const s = this.tableau.stages;
    const kE: Float64Array[] = [];
    const kI: Float64Array[] = [];
    for (let i = 0; i < s; i++) {
      kE.push(new Float64Array(n));
      kI.push(new Float64Array(n));
    }
    const empty = new Float64Array(0);
    const state: ARKState = {
      numFnEvals: 0, fE, fI, args, n, im, kE, kI,
      z: new Float64Array(n), w: new Float64Array(n), sum: new Float64Array(n), fz: new Float64Array(n),
      rhs: new Float64Array(n), scale: new Float64Array(n), scalars: new Float64Array(2), fStart: new Float64Array(n), fEnd: new Float64Array(n),
      k0Valid: false, jacCurrent: false, jacEverEvaluated: false, numNewtonIterations: 0,
      rtol: 1e-8, atol: 1e-10, newtonTol: 0, tPrev: 0, dtPrev: 0, y0Prev: empty, y1Prev: empty,
    };
    im.countEvalsIn(state);
    im.useWeights(state.scale);
    this.setTolerances(state, 1e-8, 1e-10);
    return state;
  }

  /** Called by the loop with the controller's tolerances (for the Newton convergence test). */
  setTolerances(state: ARKState, rtol: number | Float64Array, atol: number | Float64Array): void {
    setNewtonTolerances(state, rtol, atol);
  }

  extraStats(state: ARKState): Record<string, number> {
    return newtonStats(state);
  }

  /** f_E and f_I at (t, y) into the first stage; returns their sum (in fStart). */
  private firstStage(state: ARKState, t: number, y: Float64Array): void {
    state.fE(t, y, state.args, state.kE[0]!);
    state.fI(t, y, state.args, state.kI[0]!);
    state.numFnEvals += 2;
    state.k0Valid = true;
  }

  restart(state: ARKState, t: number, y: Float64Array): Float64Array {
    state.im.start(t, y);
    this.setTolerances(state, state.rtol, state.atol); // the Newton tolerance depends on the linear solver chosen
    this.firstStage(state, t, y);
    state.jacCurrent = false;
    const { n, kE, kI, fStart } = state;
    for (let i = 0; i < n; i++) fStart[i] = kE[0]![i] + kI[0]![i];
    return fStart;
  }

  step(state: ARKState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const tab = this.tableau;
    const s = tab.stages;
    const { aE, aI, c, b, bHat, gamma } = tab;
    const { n, kE, kI, im, z, w, sum, rhs, fE, fI, args } = state;
    if (!state.k0Valid) this.firstStage(state, t, y0);
    setNewtonScale(state, y0);
    if (!state.jacEverEvaluated) {
      state.numFnEvals += im.evalJacobian(t, y0, kI[0]!, dt);
      state.jacEverEvaluated = true;
      state.jacCurrent = true;
    }
    const alpha = 1 / (dt * gamma);
    const scalars = state.scalars;
    scalars[0] = alpha;
    for (let attempt = 0; ; attempt++) {
      if (im.alpha !== alpha) {
        const fs = im.factor(alpha);
        if (fs !== 0) return fs;
      }
      let failed = 0;
      for (let st = 1; st < s && failed === 0; st++) {
        const row = st * s;
        const ti = t + c[st] * dt;
        scalars[1] = ti;
        // S = dt Σ_{j<i} (aE_ij kE_j + aI_ij kI_j); predictor: explicit Euler over c_i dt.
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let j = 0; j < st; j++) acc += aE[row + j] * kE[j]![i] + aI[row + j] * kI[j]![i];
          sum[i] = dt * acc;
          w[i] = c[st] * dt * (kE[0]![i] + kI[0]![i]);
        }
        failed = solveStage(state, fI, y0, null);
        if (failed !== 0) break;
        // kI_i from the stage equation (no mass matrix here), kE_i = f_E(Z_i).
        stageSlope(state, null, kI[st]!);
        for (let i = 0; i < n; i++) z[i] = y0[i] + w[i];
        fE(ti, z, args, kE[st]!);
        state.numFnEvals++;
      }
      if (failed === 0) break;
      if (state.jacCurrent || attempt > 0) return failed;
      state.numFnEvals += im.evalJacobian(t, y0, kI[0]!, dt);
      state.jacCurrent = true;
    }
    for (let i = 0; i < n; i++) {
      let acc = 0;
      let e = 0;
      for (let j = 0; j < s; j++) {
        const kj = kE[j]![i] + kI[j]![i];
        acc += b[j] * kj;
        e += (b[j] - bHat[j]) * kj;
      }
      y1[i] = y0[i] + dt * acc;
      rhs[i] = dt * e;
    }
    // Filter the error estimate by (I − γ dt J)⁻¹ (Hairer & Wanner, Solving ODEs II, §IV.8).
    const fe = filterError(state, null, yErr);
    if (fe !== 0) return fe;
    state.tPrev = t;
    state.dtPrev = dt;
    state.y0Prev = y0;
    state.y1Prev = y1;
    return STEP_OK;
  }

  accept(state: ARKState): void {
    // f at the new point: the next step's first stage and the end slope of this step's interpolant.
    const { n, kE, kI, fStart, fEnd } = state;
    for (let i = 0; i < n; i++) fStart[i] = kE[0]![i] + kI[0]![i];
    this.firstStage(state, state.tPrev + state.dtPrev, state.y1Prev);
    for (let i = 0; i < n; i++) fEnd[i] = kE[0]![i] + kI[0]![i];
    state.jacCurrent = false;
  }

  interpolate(state: ARKState, theta: number, out: Float64Array): void {
    hermite(state.y0Prev, state.y1Prev, state.fStart, state.fEnd, 0, 0, 0, 0, state.n, state.dtPrev, theta, false, out);
  }

  interpolateDerivative(state: ARKState, theta: number, out: Float64Array): void {
    hermite(state.y0Prev, state.y1Prev, state.fStart, state.fEnd, 0, 0, 0, 0, state.n, state.dtPrev, theta, true, out);
  }

  denseSize(n: number): number {
    return 4 * n;
  }

  writeDense(state: ARKState, out: Float64Array, offset: number): void {
    writeHermiteDense(out, offset, state.n, state.y0Prev, state.y1Prev, state.fStart, state.fEnd);
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    evaluateHermiteDense(data, offset, n, dt, theta, derivative, out);
  }
}

/**
 * KenCarp3: Kennedy & Carpenter's ARK3(2)4L[2]SA IMEX pair, order 3 (embedded 2), four stages; the
 * implicit part is L-stable and stiffly accurate. Terms: `new MultiTerm(new ODETerm(nonStiff),
 * new ODETerm(stiff))`. Reference: Kennedy & Carpenter, Appl. Numer. Math. 44 (2003) 139–181.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new MultiTerm(new ODETerm(advection), new ODETerm(diffusion)), solver: new KenCarp3(), t0: 0, t1: 1, y0 });
 * ```
 */
export class KenCarp3 extends AdditiveRungeKutta {
  constructor(options?: ImplicitOptions) {
    super(KENCARP3_TABLEAU, options);
  }
}

/**
 * KenCarp4: ARK4(3)6L[2]SA, order 4 (embedded 3), six stages, L-stable stiffly accurate implicit
 * part. Reference: Kennedy & Carpenter, Appl. Numer. Math. 44 (2003) 139–181.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new MultiTerm(new ODETerm(reaction), new ODETerm(diffusion)), solver: new KenCarp4(), t0: 0, t1: 1, y0 });
 * ```
 */
export class KenCarp4 extends AdditiveRungeKutta {
  constructor(options?: ImplicitOptions) {
    super(KENCARP4_TABLEAU, options);
  }
}

/**
 * KenCarp5: ARK5(4)8L[2]SA, order 5 (embedded 4), eight stages, L-stable stiffly accurate implicit
 * part. Reference: Kennedy & Carpenter, Appl. Numer. Math. 44 (2003) 139–181.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms: new MultiTerm(new ODETerm(nonStiff), new ODETerm(stiff)), solver: new KenCarp5(), t0: 0, t1: 1, y0 });
 * ```
 */
export class KenCarp5 extends AdditiveRungeKutta {
  constructor(options?: ImplicitOptions) {
    super(KENCARP5_TABLEAU, options);
  }
}
