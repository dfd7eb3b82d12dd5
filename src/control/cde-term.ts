/**
 * Controlled differential equations: dy(t) = f(t, y, args) dX(t), with X a path of m channels
 * (data interpolated by `LinearInterpolation` or `CubicInterpolation`) and f(t, y) an n × m matrix
 * (Lyons' rough-path setting; the neural CDEs of Kidger et al., NeurIPS 2020). For a path that is
 * differentiable between its knots this is the ODE
 *
 *     y′(t) = f(t, y, args) · X′(t),
 *
 * which any ODE solver integrates (diffrax's `ControlTerm(f, path).to_ode()`). X′ jumps at the
 * knots of a linear interpolation (X″ at those of a cubic one): give `control.ts` to the
 * step-size controller as `jumpTs` so that no step straddles a knot.
 */
import { ODETerm } from "../terms.js";
import { describeValue } from "../tree.js";
import type { AbstractPath } from "./paths.js";

/**
 * The matrix of a CDE: writes f(t, y, args) into `out`, n rows of m (row-major: out[i·m + j] is the
 * effect of channel j on component i).
 */
export type CDEVectorField<A = any> = (t: number, y: Float64Array, args: A, out: Float64Array) => void;

/**
 * dy = f(t, y, args) dX(t) as an ODE term (y′ = f · X′), solved by any ODE solver.
 *
 * @example y′ = y dX with X the data (0, 1, 0.5) at t = 0, 1, 2: y(t) = y0 e^{X(t) − X(0)}.
 * ```ts
 * const X = new LinearInterpolation({ ts: [0, 1, 2], xs: [0, 1, 0.5] });
 * const term = new CDETerm((t, y, args, out) => { out[0] = y[0]; }, X);
 * const sol = diffeqsolve({ terms: term, solver: new Tsit5(), t0: 0, t1: 2, y0: [1],
 *   stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12, jumpTs: X.ts }) });
 * ```
 */
export class CDETerm<A = any> extends ODETerm<A> {
  /** The control X. */
  readonly control: AbstractPath;
  /** The matrix f(t, y, args), n × m. */
  readonly matrixField: CDEVectorField<A>;

  constructor(f: CDEVectorField<A>, control: AbstractPath) {
    if (typeof f !== "function") throw new TypeError(`new CDETerm(f, control): \`f\` must be a function (t, y, args, out) => void writing the n × m matrix; got ${describeValue(f)}.`);
    if (control === null || typeof control !== "object" || typeof (control as AbstractPath).derivative !== "function" || typeof (control as AbstractPath).size !== "number") {
      throw new TypeError(`new CDETerm(f, control): \`control\` must be a path such as new LinearInterpolation({ ts, xs }); got ${describeValue(control)}.`);
    }
    const m = control.size;
    const dX = new Float64Array(m);
    let mat = new Float64Array(0);
    super((t: number, y: Float64Array, args: A, dy: Float64Array) => {
      const n = y.length;
      if (mat.length !== n * m) mat = new Float64Array(n * m); // once per state size, not per call
      mat.fill(NaN); // an entry f leaves unwritten makes the step fail instead of reusing a stale value
      f(t, y, args, mat);
      control.derivative(t, dX);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < m; j++) acc += mat[i * m + j]! * dX[j]!;
        dy[i] = acc;
      }
    }, { compile: false });
    this.control = control;
    this.matrixField = f;
  }
}
