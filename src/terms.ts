/**
 * Terms: the vector field of a differential equation together with its control.
 *
 * An {@link ODETerm} is `dy/dt = f(t, y, args)`. {@link ControlTerm} (`g(t, y, args) dW`) and
 * {@link MultiTerm} (a sum of terms, for IMEX splits and SDEs) complete the diffrax vocabulary.
 */

/**
 * A vector field written in place: reads `y` and writes `dy`, both `Float64Array`s of the state's
 * length. This is the fast path. A function that instead returns an array is also accepted; its
 * result is copied into `dy` (slower: it allocates on every call).
 */
export type VectorFieldFn<A = any> = (t: number, y: Float64Array, args: A, dy: Float64Array) => void | ArrayLike<number>;

/** The in-place form every solver calls internally. */
export type InPlaceVectorField<A = any> = (t: number, y: Float64Array, args: A, dy: Float64Array) => void;

/**
 * A vector field object, as produced by `compile` or written by hand. Solvers use what is present
 * (an exact Jacobian, JVP, VJP) and fall back to finite differences where it is not.
 */
export interface VectorFieldObject<A = any> {
  /** The vector field, in place. */
  f: VectorFieldFn<A>;
  /** Dense Jacobian ∂f/∂y, written row-major into `J` (n × n). */
  jac?: (t: number, y: Float64Array, args: A, J: Float64Array) => void;
  /** Jacobian-vector product `out = (∂f/∂y) v`. */
  jvp?: (t: number, y: Float64Array, args: A, v: Float64Array, out: Float64Array) => void;
  /** Vector-Jacobian product `out = wᵀ (∂f/∂y)`. */
  vjp?: (t: number, y: Float64Array, args: A, w: Float64Array, out: Float64Array) => void;
  /** Structural sparsity of the Jacobian: for each row, the columns that may be non-zero. */
  jacSparsity?: readonly (readonly number[])[];
  /** Number of state components, when known in advance. */
  n?: number;
  /** Jacobian ∂f/∂p with respect to the flat parameter vector p (see `argNames`), row-major n × nArgs. */
  jacArgs?: (t: number, y: Float64Array, args: A, J: Float64Array) => void;
  /** Parameter VJP `out = wᵀ (∂f/∂p)` (length nArgs). */
  vjpArgs?: (t: number, y: Float64Array, args: A, w: Float64Array, out: Float64Array) => void;
  /**
   * Both VJPs in one pass, `outY = wᵀ ∂f/∂y` and `outArgs = wᵀ ∂f/∂p` (the adjoints call it once
   * per stage when present, instead of `vjp` and `vjpArgs`, sharing the work of the two).
   */
  vjpBoth?: (t: number, y: Float64Array, args: A, w: Float64Array, outY: Float64Array, outArgs: Float64Array) => void;
  /**
   * Second-order adjoint product (as `compile` generates it): `x` = [u (n), v (n), vArgs (nArgs)];
   * `outY` = ∂/∂y and `outArgs` = ∂/∂p of uᵀ (∂f/∂y v + ∂f/∂p vArgs). The discrete adjoints of
   * Rosenbrock methods use it (finite differences of `vjp` otherwise).
   */
  hvp?: (t: number, y: Float64Array, args: A, x: Float64Array, outY: Float64Array, outArgs: Float64Array) => void;
  /** Parameter JVP `out = (∂f/∂p) v` (v of length nArgs, out of length n). */
  jvpArgs?: (t: number, y: Float64Array, args: A, v: Float64Array, out: Float64Array) => void;
  /** Time derivative `out = ∂f/∂t` (Rosenbrock methods). */
  dfdt?: (t: number, y: Float64Array, args: A, out: Float64Array) => void;
  /** Length of the flat parameter vector p. */
  nArgs?: number;
  /** Names of the slots of p, in order (how named args map to p). */
  argNames?: readonly string[];
}

/** Either form of a vector field. */
export type VectorField<A = any> = VectorFieldFn<A> | VectorFieldObject<A>;

/** Abstract base of all terms. */
export abstract class AbstractTerm {
  /** A short name for error messages. */
  abstract readonly kind: "ode" | "control" | "multi";
}

/**
 * The term of an ordinary differential equation `dy/dt = f(t, y, args)`.
 *
 * @example
 * ```ts
 * const term = new ODETerm((t, y, args, dy) => { dy[0] = -args.k * y[0]; });
 * ```
 */
export class ODETerm<A = any> extends AbstractTerm {
  readonly kind = "ode" as const;
  /** The vector field object (a plain function is wrapped as `{ f }`). */
  readonly vf: VectorFieldObject<A>;
  constructor(vectorField: VectorField<A>) {
    super();
    if (typeof vectorField === "function") {
      this.vf = { f: vectorField };
    } else if (vectorField !== null && typeof vectorField === "object" && typeof vectorField.f === "function") {
      this.vf = vectorField;
    } else {
      throw new TypeError(
        "new ODETerm(vectorField): `vectorField` must be a function `(t, y, args, dy) => void` or an object " +
          `with an \`f\` function (as returned by compile); got ${vectorField === null ? "null" : typeof vectorField}.`,
      );
    }
  }
}

/** How the diffusion of a {@link ControlTerm} multiplies the Brownian increment. */
export type NoiseType = "general" | "diagonal";

/** Options of {@link ControlTerm}. */
export interface ControlTermOptions {
  /**
   * `"general"`: `diffusion` writes the n × m matrix g row-major (m = the Brownian motion's size),
   * and the term is g·dW. `"diagonal"`: m must equal n, `diffusion` writes n entries gᵢ and the
   * term is gᵢ dWᵢ. @defaultValue "general"
   */
  noise?: NoiseType;
  /**
   * Promise that the diffusion does not depend on y (it may depend on t): additive noise, which
   * SRA1 and ShARK require. @defaultValue false
   */
  additive?: boolean;
}

/**
 * A control term `g(t, y, args) dX(t)`: a vector field multiplied by the increment of a control
 * (for SDEs, a Brownian motion such as `VirtualBrownianTree`). `diffusion` writes the n × m matrix
 * `g` row-major into `out` (general noise, the default), or n entries for diagonal noise. For SDEs
 * the control may also be a function `(args) => path`, called once per solve: with per-trajectory
 * args, `solveEnsemble` gives every trajectory its own Brownian path (for example
 * `(args) => tree.withSeed(args.seed)`).
 *
 * @example
 * ```ts
 * const bm = new VirtualBrownianTree({ t0: 0, t1: 1, shape: 1, seed: 1 });
 * const noise = new ControlTerm((t, y, args, out) => { out[0] = 0.3 * y[0]; }, bm);
 * const additive = new ControlTerm((t, y, args, out) => { out[0] = 0.1; }, bm, { additive: true });
 * const perSolve = new ControlTerm((t, y, args, out) => { out[0] = 0.3 * y[0]; }, (args) => bm.withSeed(args.seed));
 * ```
 */
export class ControlTerm<A = any, C = unknown> extends AbstractTerm {
  readonly kind = "control" as const;
  /** How the diffusion multiplies the increment. */
  readonly noise: NoiseType;
  /** Whether the diffusion is declared independent of y. */
  readonly additive: boolean;
  constructor(
    /** The diffusion (or control) vector field. */
    readonly diffusion: (t: number, y: Float64Array, args: A, out: Float64Array) => void,
    /** The control: a Brownian motion or another path. */
    readonly control: C,
    options: ControlTermOptions = {},
  ) {
    super();
    if (typeof diffusion !== "function") {
      throw new TypeError(`new ControlTerm(diffusion, control): \`diffusion\` must be a function; got ${typeof diffusion}.`);
    }
    if (options === null || typeof options !== "object") {
      throw new TypeError("new ControlTerm(diffusion, control, options): `options` must be an object such as { noise: \"diagonal\" }.");
    }
    for (const key of Object.keys(options)) {
      if (key !== "noise" && key !== "additive") {
        throw new TypeError(`new ControlTerm(diffusion, control, options): unknown option \`${key}\`; the options are noise and additive.`);
      }
    }
    const noise = options.noise ?? "general";
    if (noise !== "general" && noise !== "diagonal") {
      throw new RangeError(`new ControlTerm(diffusion, control, options): \`noise\` = ${JSON.stringify(noise)} must be "general" or "diagonal".`);
    }
    this.noise = noise;
    this.additive = options.additive === true;
  }
}

/**
 * Throws when adaptive step-size control meets a control that cannot be revisited (a rejected
 * step asks for an interval again): `UnsafeBrownianPath` with `PIDController`. Called by
 * `diffeqsolve` when the controller is adaptive.
 *
 * @example
 * ```ts
 * assertRevisitable(new MultiTerm(drift, new ControlTerm(g, new UnsafeBrownianPath()))); // throws
 * ```
 */
export function assertRevisitable(terms: AbstractTerm): void {
  if (terms instanceof MultiTerm) {
    for (const t of terms.terms) assertRevisitable(t);
  } else if (terms instanceof ControlTerm) {
    const c = terms.control as { revisitable?: unknown } | null;
    if (c !== null && typeof c === "object" && c.revisitable === false) {
      throw new TypeError(
        `diffeqsolve: adaptive step-size control (PIDController) revisits intervals after a rejected step, but the control is a ` +
          `${c.constructor.name}, which cannot be revisited; use a VirtualBrownianTree ({ t0, t1, tol, shape, seed }) ` +
          "or use fixed steps (stepsizeController: new ConstantStepSize() with dt0).",
      );
    }
  }
}

/**
 * A sum of terms, for example `MultiTerm(new ODETerm(drift), new ControlTerm(diffusion, bm))` for
 * an SDE, or an explicit and an implicit part for IMEX methods.
 *
 * @example
 * ```ts
 * const terms = new MultiTerm(new ODETerm(drift), new ControlTerm(diffusion, brownian));
 * ```
 */
export class MultiTerm extends AbstractTerm {
  readonly kind = "multi" as const;
  readonly terms: readonly AbstractTerm[];
  constructor(...terms: AbstractTerm[]) {
    super();
    if (terms.length === 0) throw new TypeError("new MultiTerm(...terms): give at least one term.");
    for (let i = 0; i < terms.length; i++) {
      if (!(terms[i] instanceof AbstractTerm)) {
        throw new TypeError(`new MultiTerm(...terms): argument ${i} is not a term (ODETerm, ControlTerm or MultiTerm).`);
      }
    }
    this.terms = terms;
  }
}
