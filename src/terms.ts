/**
 * Terms: the vector field of a differential equation together with its control.
 *
 * An {@link ODETerm} is `dy/dt = f(t, y, args)`. {@link ControlTerm} (`g(t, y, args) dW`) and
 * {@link MultiTerm} (a sum of terms, for IMEX splits and SDEs) complete the diffrax vocabulary.
 */
import { argNamesOf, argsProblem, type ArgLayout } from "./compile/args.js";
import { describeValue } from "./tree.js";

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

/** Options of {@link ODETerm}. */
export interface ODETermOptions {
  /**
   * Compile a plain function automatically. With `true`, the first solve compiles f as
   * `compile(f)` would (once per function; later solves and ensembles reuse it) and the solvers
   * run the generated code: explicit Runge–Kutta methods inline it into their stage loop,
   * implicit solvers get the exact Jacobian, adjoints exact products with ∂f/∂y. Where the
   * compiler cannot read f (a closure over outer variables, a loop bound it cannot unroll, calls
   * it does not know) or compiled code could differ from f (mutable outer state, `Math.random`,
   * side effects, a default for a missing parameter), f is called as written, silently;
   * `term.compilation` says which happened and why. The compiled f computes f's values up to the
   * documented rounding of `compile` (constant powers such as `x ** 1.5` become `x * Math.sqrt(x)`).
   * With `false`, f is always called as written. A vector field object (from `compile`, or written
   * by hand with its own `jac`) is used as given either way.
   * @defaultValue true
   */
  compile?: boolean;
}

/** How an {@link ODETerm}'s vector field is evaluated: see `term.compilation`. */
export interface VectorFieldCompilation {
  /**
   * `"compiled"`: f was compiled automatically and the solvers run the generated code;
   * `"fallback"`: f could not be compiled, or not without changing what it computes, and is called
   * as written (`reason` says why); `"disabled"`: `{ compile: false }`; `"object"`: the vector
   * field is an object (for example `compile(f)`) and is used as given.
   */
  readonly status: "compiled" | "fallback" | "disabled" | "object";
  /** For `"fallback"`, the reason (the compiler's message, with the place in f and a fix); otherwise null. */
  readonly reason: string | null;
}

/** @internal What automatic compilation gives for a function: the vector field, or why there is none. */
export type AutomaticCompilation = { readonly vf: VectorFieldObject; readonly reason: null } | { readonly vf: null; readonly reason: string };

/**
 * The automatic compiler (compile/auto.ts), installed by the compiler module when it is loaded, so
 * that a bundle without `compile` carries no parser: there, plain functions are called as written.
 */
let automaticCompiler: ((fn: Function) => AutomaticCompilation) | null = null;

/** @internal Installs the automatic compiler (called once, by compile/compile.ts). */
export function installAutomaticCompiler(compiler: (fn: Function) => AutomaticCompilation): void {
  automaticCompiler = compiler;
}

/**
 * The term of an ordinary differential equation `dy/dt = f(t, y, args)`.
 *
 * A plain function f is compiled automatically where the compiler can read it (see
 * {@link ODETermOptions.compile}); `term.compilation` tells whether it was.
 *
 * @example
 * ```ts
 * const term = new ODETerm((t, y, args, dy) => { dy[0] = -args.k * y[0]; });
 * const asWritten = new ODETerm((t, y, args, dy) => { dy[0] = -args.k * y[0]; }, { compile: false });
 * ```
 */
export class ODETerm<A = any> extends AbstractTerm {
  readonly kind = "ode" as const;
  /** The vector field as given to the constructor. */
  readonly vectorField: VectorField<A>;
  private readonly autoCompile: boolean;
  private resolved: { readonly vf: VectorFieldObject<A>; readonly compilation: VectorFieldCompilation } | undefined;

  constructor(vectorField: VectorField<A>, options: ODETermOptions = {}) {
    super();
    if (typeof vectorField !== "function" && (vectorField === null || typeof vectorField !== "object" || typeof vectorField.f !== "function")) {
      throw new TypeError(
        "new ODETerm(vectorField): `vectorField` must be a function `(t, y, args, dy) => void` or an object " +
          `with an \`f\` function (as returned by compile); got ${vectorField === null ? "null" : typeof vectorField}.`,
      );
    }
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new ODETerm(vectorField, options): \`options\` must be an object such as { compile: false }; got ${options === null ? "null" : typeof options}.`);
    }
    for (const key of Object.keys(options)) {
      if (key !== "compile") throw new TypeError(`new ODETerm(vectorField, options): unknown option \`${key}\`; the only option is compile (true or false).`);
    }
    if (options.compile !== undefined && typeof options.compile !== "boolean") {
      throw new TypeError(`new ODETerm(vectorField, options): \`compile\` must be true or false; got ${typeof options.compile}.`);
    }
    if (typeof vectorField !== "function") checkVectorFieldObject(vectorField);
    this.vectorField = vectorField;
    this.autoCompile = options.compile ?? true;
  }

  /**
   * The vector field object the solvers use: the automatically compiled field, the given object,
   * or `{ f }` for a function called as written. Decided (and f compiled) on first read.
   */
  get vf(): VectorFieldObject<A> {
    return (this.resolved ??= this.resolve()).vf;
  }

  /** How the vector field is evaluated: compiled automatically or not, and why not. */
  get compilation(): VectorFieldCompilation {
    return (this.resolved ??= this.resolve()).compilation;
  }

  private resolve(): { vf: VectorFieldObject<A>; compilation: VectorFieldCompilation } {
    const given = this.vectorField;
    if (typeof given !== "function") return { vf: given, compilation: { status: "object", reason: null } };
    const plain = { f: given };
    if (!this.autoCompile) return { vf: plain, compilation: { status: "disabled", reason: null } };
    if (automaticCompiler === null) {
      return { vf: plain, compilation: { status: "fallback", reason: "the compiler is not part of this program (a bundle that leaves out `compile`)." } };
    }
    const r = automaticCompiler(given);
    return r.vf === null
      ? { vf: plain, compilation: { status: "fallback", reason: r.reason } }
      : { vf: r.vf as VectorFieldObject<A>, compilation: { status: "compiled", reason: null } };
  }
}

/** The optional function members of a {@link VectorFieldObject}. */
const VF_FUNCTIONS = ["jac", "jvp", "vjp", "jacArgs", "vjpArgs", "vjpBoth", "jvpArgs", "dfdt"] as const;

/**
 * Checks the optional members of a vector field object once, where it is made, so that a wrong
 * one is named here rather than failing as "x is not a function" deep inside a solver.
 */
function checkVectorFieldObject(vf: VectorFieldObject): void {
  const where = "new ODETerm(vectorField)";
  for (const name of VF_FUNCTIONS) {
    const m = vf[name];
    if (m !== undefined && typeof m !== "function") {
      throw new TypeError(`${where}: \`vectorField.${name}\` must be a function or omitted; got ${describeValue(m)}.`);
    }
  }
  for (const name of ["n", "nArgs"] as const) {
    const m = vf[name];
    if (m !== undefined && !(typeof m === "number" && Number.isInteger(m) && m >= (name === "n" ? 1 : 0))) {
      throw new TypeError(`${where}: \`vectorField.${name}\` = ${describeValue(m)} must be a whole number ≥ ${name === "n" ? 1 : 0} or omitted.`);
    }
  }
  const sp = vf.jacSparsity;
  if (sp !== undefined) {
    const ok = Array.isArray(sp) && sp.every((row) => Array.isArray(row) && row.every((j) => Number.isInteger(j) && j >= 0));
    if (!ok || (vf.n !== undefined && sp.length !== vf.n)) {
      throw new TypeError(
        `${where}: \`vectorField.jacSparsity\` must list, for each of the ${vf.n ?? "n"} rows, the columns that may be non-zero ` +
          `(an array of arrays of whole numbers ≥ 0); got ${Array.isArray(sp) ? `an array of ${sp.length}` : describeValue(sp)}.`,
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
      throw new RangeError(`new ControlTerm(diffusion, control, options): \`noise\` = ${typeof noise === "string" ? JSON.stringify(noise) : describeValue(noise)} must be "general" or "diagonal".`);
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
 * Throws a RangeError when a vector field that knows its state size (`n`, as every compiled
 * vector field carries) is given a state of another size. Without this check a field compiled for
 * n = 2 runs on a 1-component y0: it reads y[1] as undefined, writes dy[1] past the end (silently
 * dropped), and the solve "succeeds" with a wrong answer. Called by `diffeqsolve`'s validation
 * (and by every entry point that takes a y0) with the length of the flattened y0.
 *
 * @example
 * ```ts
 * checkStateSize(new ODETerm(compile((t, [x, v]) => [v, -x])), 1, "diffeqsolve"); // throws: compiled for n = 2
 * ```
 */
export function checkStateSize(terms: AbstractTerm, n: number, api = "diffeqsolve"): void {
  if (terms instanceof MultiTerm) {
    for (const t of terms.terms) checkStateSize(t, n, api);
    return;
  }
  if (!(terms instanceof ODETerm)) return;
  const m = terms.vf.n;
  if (m === undefined || m === n) return;
  if (terms.compilation.status === "compiled") {
    // Compiled automatically from a plain function: say it as the function's own mistake.
    throw new RangeError(
      m < n
        ? `${api}: the vector field did not write dy[${m}] (it writes ${m} component${m === 1 ? "" : "s"}); it must write all ${n} components of dy, or y0 must have ${m}.`
        : `${api}: the vector field writes dy[${n}] but y0 has only ${n} component${n === 1 ? "" : "s"}; check the length of y0.`,
    );
  }
  throw new RangeError(
    `${api}: \`y0\` has ${n} component${n === 1 ? "" : "s"} but the vector field was compiled for n = ${m} ` +
      `(it reads y[0] … y[${m - 1}] and writes ${m} derivatives); give y0 ${m} components, or compile a vector field for ${n}.`,
  );
}

/**
 * Throws a TypeError when `args` cannot feed a compiled vector field among `terms`: a parameter it
 * reads is missing or of the wrong kind (without this check a missing `args.k` silently reads
 * undefined and every derivative is NaN). Called by `diffeqsolve`'s validation (and every entry
 * point that takes args) with the args of the solve.
 *
 * @example
 * ```ts
 * checkTermArgs(new ODETerm(compile((t, [x], { k }) => [-k * x])), {}, "diffeqsolve"); // throws: args.k is undefined
 * ```
 */
export function checkTermArgs(terms: AbstractTerm, args: unknown, api = "diffeqsolve"): void {
  if (terms instanceof MultiTerm) {
    for (const t of terms.terms) checkTermArgs(t, args, api);
    return;
  }
  if (!(terms instanceof ODETerm)) return;
  // A field compiled automatically from a plain function reads args as the function does
  // (JavaScript's conversions included); only a field the user compiled holds args to its layout.
  if (terms.compilation.status === "compiled") return;
  const info = (terms.vf as { [COMPILED_GRAPH]?: { layout?: ArgLayout } })[COMPILED_GRAPH];
  if (info?.layout === undefined) return;
  const problem = argsProblem(info.layout, args);
  if (problem !== null) {
    const names = argNamesOf(info.layout);
    throw new TypeError(`${api}: ${problem}; pass args with ${names.length > 6 ? `its ${names.length} parameters` : names.join(", ")} (see the compiled field's argNames).`);
  }
}

/** The key under which `compile` keeps a vector field's graph and parameter layout (compile.ts). */
const COMPILED_GRAPH = Symbol.for("odeflow.compiledGraph");

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
