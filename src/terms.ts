/**
 * Terms: the vector field of a differential equation together with its control.
 *
 * An {@link ODETerm} is `dy/dt = f(t, y, args)`. {@link ControlTerm} (`g(t, y, args) dW`) and
 * {@link MultiTerm} (a sum of terms, for IMEX splits and SDEs) complete the diffrax vocabulary.
 */
import type { AbstractSolver } from "./solvers/solver.js";
import { describeValue } from "./tree.js";

/**
 * A vector field written in place: reads `y` and writes `dy`, both `Float64Array`s of the state's
 * length. This is the fast path. A function that instead returns an array is also accepted; its
 * result is copied into `dy` (slower: it allocates on every call).
 *
 * Its parameters may be declared narrower than `Float64Array`: `y: Vec<2>` (see {@link Vec})
 * gives `y[0]` and `y[1]` the type `number` under `noUncheckedIndexedAccess`.
 */
// A method type: parameters compare both ways, so that `(t, y: Vec<2>, …) => …` is accepted.
export type VectorFieldFn<A = any> = { vectorField(t: number, y: Float64Array, args: A, dy: Float64Array): void | ArrayLike<number> }["vectorField"];

/** The indices 0 … N − 1 as a union of number literals (N up to 64). */
type Indices<N extends number, Acc extends number[] = []> = Acc["length"] extends N | 64 ? Acc[number] : Indices<N, [...Acc, Acc["length"]]>;

/**
 * A state of N components: a `Float64Array` whose indices 0 … N − 1 are known to exist. Under
 * TypeScript's `noUncheckedIndexedAccess`, `y[i]` of a plain `Float64Array` is
 * `number | undefined`; declare the vector field's arrays as `Vec<N>` and `y[0]` … `y[N − 1]`
 * are `number`, while an index past the end still is `number | undefined` (a type error where a
 * number is needed). Types only: the solver passes its `Float64Array`s.
 *
 * @example
 * ```ts
 * new ODETerm((t: number, y: Vec<2>, args: { k: number }, dy: Vec<2>) => { dy[0] = y[1]; dy[1] = -args.k * y[0]; });
 * ```
 */
export type Vec<N extends number> = Float64Array & { [K in Indices<N>]: number };

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
  /**
   * The entries of ∂f/∂y on `jacSparsity`, row by row in its order (compressed sparse rows), into
   * `values`: a sparse Jacobian without an n × n array (what `compile` provides).
   */
  jacValues?: (t: number, y: Float64Array, args: A, values: Float64Array) => void;
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

/**
 * Abstract base of all terms. `A` is the type of the `args` its functions take: `diffeqsolve`
 * checks its `args` option against it, so that a misspelt parameter name fails to type-check.
 */
export abstract class AbstractTerm<A = any> {
  /** A short name for error messages. */
  abstract readonly kind: "ode" | "control" | "multi" | "delay";
  /**
   * A term that needs the solver adapted to it returns the adapted solver (a `DelayTerm`: the
   * method of steps around the ODE solver given), and may refuse the interval [t0, t1] with a
   * named error; `diffeqsolve` calls it once, before anything else reads the solver. Omitted: the
   * solver is used as given.
   */
  adaptSolver?(solver: AbstractSolver<any>, t0: number, t1: number): AbstractSolver<any>;
  /**
   * @internal Throws when the term cannot be revisited after a rejected step (a control that only
   * goes forward); see {@link assertRevisitable}. Omitted: the term can.
   */
  checkRevisitable?(): void;
  /**
   * @internal Type only (never set): carries `A` to the options of a solve. A method type, so
   * that it compares both ways (a term typed for `never` or `unknown` args still is a term).
   */
  declare readonly argsType?: { carry(args: A): void }["carry"];
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

/**
 * What {@link checkStateSize} says when a field compiled automatically writes `m` components and
 * y0 has `n` (installed with the automatic compiler, the only maker of such fields).
 */
let automaticSizeMessage: ((m: number, n: number, api: string) => string) | null = null;

/** @internal Installs the automatic compiler and its size message (called once, by compile/compile.ts). */
export function installAutomaticCompiler(compiler: (fn: Function) => AutomaticCompilation, sizeMessage: (m: number, n: number, api: string) => string): void {
  automaticCompiler = compiler;
  automaticSizeMessage = sizeMessage;
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
export class ODETerm<A = any> extends AbstractTerm<A> {
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
export class ControlTerm<A = any, C = unknown> extends AbstractTerm<A> {
  readonly kind = "control" as const;
  /** How the diffusion multiplies the increment. */
  readonly noise: NoiseType;
  /** Whether the diffusion is declared independent of y. */
  readonly additive: boolean;
  /** The diffusion (or control) vector field, in place. */
  readonly diffusion: (t: number, y: Float64Array, args: A, out: Float64Array) => void;
  /**
   * The diffusion as the object given (for example from `compile`), whose exact derivatives the
   * gradients through SDE solves use; null when a function was given.
   */
  readonly diffusionField: VectorFieldObject<A> | null;
  constructor(
    /** The diffusion (or control) vector field: a function writing `out` in place, or an object with such an `f` (as `compile` returns). */
    diffusion: ((t: number, y: Float64Array, args: A, out: Float64Array) => void) | VectorFieldObject<A>,
    /** The control: a Brownian motion or another path. */
    readonly control: C,
    options: ControlTermOptions = {},
  ) {
    super();
    const fn = typeof diffusion === "object" && diffusion !== null && typeof diffusion.f === "function" ? diffusion.f : diffusion;
    if (typeof fn !== "function") {
      throw new TypeError(`new ControlTerm(diffusion, control): \`diffusion\` must be a function or an object with an \`f\` function (as compile returns); got ${typeof diffusion}.`);
    }
    this.diffusion = fn as (t: number, y: Float64Array, args: A, out: Float64Array) => void;
    this.diffusionField = typeof diffusion === "function" ? null : diffusion;
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

  /** @internal A control that only goes forward (`revisitable: false`) cannot take adaptive steps. */
  override checkRevisitable(): void {
    const c = this.control as { revisitable?: unknown } | null;
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
  // A method of the terms that can refuse, not a test of their class here: a bundle of ODE solves
  // then carries no ControlTerm or MultiTerm code.
  terms.checkRevisitable?.();
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
  if (terms.kind === "multi") {
    for (const t of (terms as MultiTerm).terms) checkStateSize(t, n, api);
    return;
  }
  if (!(terms instanceof ODETerm)) return;
  const m = terms.vf.n;
  if (m === undefined || m === n) return;
  // Compiled automatically from a plain function: the compiler says it as the function's own mistake.
  if (terms.compilation.status === "compiled") throw new RangeError(automaticSizeMessage!(m, n, api));
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
  if (terms.kind === "multi") {
    for (const t of (terms as MultiTerm).terms) checkTermArgs(t, args, api);
    return;
  }
  if (!(terms instanceof ODETerm)) return;
  // A field compiled automatically from a plain function reads args as the function does
  // (JavaScript's conversions included); only a field the user compiled holds args to its layout.
  if (terms.compilation.status === "compiled") return;
  // The compiled field carries its own check (compile/field.ts), so this module needs no part of the compiler.
  (terms.vf as { [COMPILED_GRAPH]?: { checkArgs?: (args: unknown, api: string) => void } })[COMPILED_GRAPH]?.checkArgs?.(args, api);
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

  /** @internal Every term must be revisitable. */
  override checkRevisitable(): void {
    for (const t of this.terms) t.checkRevisitable?.();
  }
}

/**
 * The vector field of one part of a partitioned system: reads the *other* part `y` and writes the
 * derivative of its own part into `out` in place (or returns an array, copied into `out`).
 */
export type PartVectorField<A = any> = (t: number, y: Float64Array, args: A, out: Float64Array) => void | ArrayLike<number>;

/** Options of {@link PartitionedTerm}. */
export interface PartitionedTermOptions {
  /**
   * Length of the first part y₁ (the rest of the state is y₂). @defaultValue half the state, which
   * must then have even length
   */
  split?: number;
}

/**
 * Common base of {@link PartitionedTerm} and {@link SecondOrderTerm}: a state y = (y₁, y₂) whose
 * parts move each other, y₁′ = f₁(t, y₂) ("drift") and y₂′ = f₂(t, y₁) ("kick"). It is an
 * `ODETerm` (its `vf` is the whole vector field), so every ODE solver solves it; the splitting
 * solvers (`SemiImplicitEuler`, `VelocityVerlet`, `Yoshida4`, …) call the two parts separately.
 * @internal The protocol between these terms and the splitting solvers.
 */
export abstract class AbstractPartitionedTerm<A = any> extends ODETerm<A> {
  /** Length of y₁ for a state of length `n`; throws a RangeError naming the fix when there is none. */
  abstract firstSize(n: number): number;
  /** `out = f₁(t, y₂)`, the rate of y₁ (`out` has y₁'s length). */
  abstract drift(t: number, y2: Float64Array, args: A, out: Float64Array): void;
  /** `out = f₂(t, y₁)`, the rate of y₂; `y2` is the current y₂, for terms whose f₂ reads it (a velocity). */
  abstract kick(t: number, y1: Float64Array, y2: Float64Array, args: A, out: Float64Array): void;
  /**
   * Throws unless f₂ depends on y₁ alone at (t, y) (explicit splitting needs that); called once by
   * the splitting solvers with the initial state.
   */
  checkSeparable(t: number, y: Float64Array, args: A, solverName: string): void {
    void t, y, args, solverName;
  }

  /**
   * Checks the user's fields once per state size (each writes exactly its part's length, all
   * finite); throws a RangeError that says which field and what to fix.
   */
  protected abstract checkFields(t: number, y1: Float64Array, y2: Float64Array, args: A): void;

  /** @internal Called by the whole vector field the first time it sees a state size. */
  checkFieldsOnce(t: number, y1: Float64Array, y2: Float64Array, args: A): void {
    this.checkFields(t, y1, y2, args);
  }
}

/** Calls a part's field and copies an array it returns into `out`. */
function callPart<A>(fn: PartVectorField<A>, t: number, y: Float64Array, args: A, out: Float64Array): void {
  const r = fn(t, y, args, out);
  if (r !== undefined) for (let i = 0; i < out.length; i++) out[i] = (r as ArrayLike<number>)[i]!;
}

/** Checks that `fn` writes all `size` entries of its part (`what` names it in the error). */
function probePart<A>(fn: PartVectorField<A>, t: number, y: Float64Array, args: A, size: number, what: string, owner = "PartitionedTerm"): void {
  const out = new Float64Array(size).fill(NaN);
  const r = fn(t, Float64Array.from(y), args, out);
  if (r !== undefined) {
    const arr = r as ArrayLike<number>;
    if (arr === null || typeof arr !== "object" || arr.length !== size) {
      throw new RangeError(`${owner}: ${what} returned ${arr === null || typeof arr !== "object" ? String(arr) : `${arr.length} values`}; it must write (or return) ${size}.`);
    }
    for (let i = 0; i < size; i++) out[i] = arr[i]!;
  }
  for (let i = 0; i < size; i++) {
    if (Number.isNaN(out[i]!)) {
      throw new RangeError(`${owner}: ${what} did not write out[${i}] (or wrote NaN) at t = ${t}; it must write all ${size} entries${owner === "PartitionedTerm" ? " (check `split`)" : ""}.`);
    }
  }
}

/**
 * A partitioned system y = (y₁, y₂) with y₁′ = f₁(t, y₂) and y₂′ = f₂(t, y₁): diffrax's pair of
 * terms `(term₁, term₂)`. For a separable Hamiltonian H(q, p) = T(p) + V(q), take y₁ = q, y₂ = p,
 * f₁ = ∂H/∂p and f₂ = −∂H/∂q. The state is y₁ followed by y₂ (as a flat array, `[q, p]` or
 * `{ q, p }`), split in half unless `split` gives y₁'s length.
 *
 * Symplectic splitting solvers (`SemiImplicitEuler`, `VelocityVerlet`, `Yoshida4`, `McAte4`,
 * `McAte5`, `Yoshida6`, `KahanLi8`) use the two fields separately; every ODE solver solves it too, as the
 * ODE y′ = (f₁(t, y₂), f₂(t, y₁)).
 *
 * @example The Kepler problem, H = |p|²/2 − 1/|q|.
 * ```ts
 * const kepler = new PartitionedTerm(
 *   (t, p, args, dq) => { dq[0] = p[0]; dq[1] = p[1]; },
 *   (t, q, args, dp) => { const r3 = Math.hypot(q[0], q[1]) ** 3; dp[0] = -q[0] / r3; dp[1] = -q[1] / r3; },
 * );
 * diffeqsolve({ terms: kepler, solver: new VelocityVerlet(), t0: 0, t1: 100, dt0: 0.01, y0: { q: [0.4, 0], p: [0, 2] } });
 * ```
 */
export class PartitionedTerm<A = any> extends AbstractPartitionedTerm<A> {
  /** f₁: the rate of y₁ from y₂. */
  readonly first: PartVectorField<A>;
  /** f₂: the rate of y₂ from y₁. */
  readonly second: PartVectorField<A>;
  /** The length of y₁ given, or undefined (half the state). */
  readonly split: number | undefined;

  constructor(first: PartVectorField<A> | ODETerm<A>, second: PartVectorField<A> | ODETerm<A>, options: PartitionedTermOptions = {}) {
    const f1 = partField(first, "first");
    const f2 = partField(second, "second");
    if (options === null || typeof options !== "object") throw new TypeError("new PartitionedTerm(first, second, options): `options` must be an object such as { split: 3 }.");
    for (const key of Object.keys(options)) {
      if (key !== "split") throw new TypeError(`new PartitionedTerm(first, second, options): unknown option \`${key}\`; the only option is split.`);
    }
    const split = options.split;
    if (split !== undefined && !(Number.isInteger(split) && split >= 1)) {
      throw new RangeError(`new PartitionedTerm(first, second, { split }): \`split\` = ${String(split)} must be a whole number ≥ 1, the length of the first part.`);
    }
    const parts = new PartBuffers();
    super((t: number, y: Float64Array, args: A, dy: Float64Array) => parts.whole(this, t, y, args, dy));
    this.first = f1;
    this.second = f2;
    this.split = split;
  }

  firstSize(n: number): number {
    const split = this.split;
    if (split === undefined) {
      if (n % 2 !== 0) {
        throw new RangeError(`PartitionedTerm: the state has ${n} components, which cannot be split in half; give the length of the first part, new PartitionedTerm(first, second, { split }).`);
      }
      return n / 2;
    }
    if (split >= n) throw new RangeError(`PartitionedTerm: \`split\` = ${split} leaves nothing of the state (${n} components) for the second part.`);
    return split;
  }

  drift(t: number, y2: Float64Array, args: A, out: Float64Array): void {
    callPart(this.first, t, y2, args, out);
  }

  kick(t: number, y1: Float64Array, _y2: Float64Array, args: A, out: Float64Array): void {
    callPart(this.second, t, y1, args, out);
  }

  protected checkFields(t: number, y1: Float64Array, y2: Float64Array, args: A): void {
    probePart(this.first, t, y2, args, y1.length, "the first field (the rate of y₁, from y₂)");
    probePart(this.second, t, y1, args, y2.length, "the second field (the rate of y₂, from y₁)");
  }
}

function partField<A>(field: PartVectorField<A> | ODETerm<A>, which: "first" | "second"): PartVectorField<A> {
  if (typeof field === "function") return field;
  if (field instanceof ODETerm) return field.vf.f;
  throw new TypeError(
    `new PartitionedTerm(first, second): \`${which}\` must be a function (t, y, args, out) => void or an ODETerm; got ${field === null ? "null" : typeof field}.`,
  );
}

/**
 * Scratch of the whole vector field of a partitioned term: the parts of y and dy are copied
 * through it (allocated once per state size), and the first call for a size checks the user's
 * fields (exactly their part's length written, all finite).
 */
class PartBuffers {
  private n = -1;
  private y1 = new Float64Array(0);
  private y2 = new Float64Array(0);
  private d1 = new Float64Array(0);
  private d2 = new Float64Array(0);

  whole<A>(term: AbstractPartitionedTerm<A>, t: number, y: Float64Array, args: A, dy: Float64Array): void {
    const n = y.length;
    const n1 = term.firstSize(n);
    if (n !== this.n) this.resize(term, n, n1, t, y, args);
    const { y1, y2, d1, d2 } = this;
    const n2 = n - n1;
    for (let i = 0; i < n1; i++) y1[i] = y[i]!;
    for (let i = 0; i < n2; i++) y2[i] = y[n1 + i]!;
    term.drift(t, y2, args, d1);
    term.kick(t, y1, y2, args, d2);
    for (let i = 0; i < n1; i++) dy[i] = d1[i]!;
    for (let i = 0; i < n2; i++) dy[n1 + i] = d2[i]!;
  }

  private resize<A>(term: AbstractPartitionedTerm<A>, n: number, n1: number, t: number, y: Float64Array, args: A): void {
    const n2 = n - n1;
    this.y1 = y.slice(0, n1);
    this.y2 = y.slice(n1);
    // NaN until written, so that the first call (diffeqsolve's probe) sees an entry left unwritten.
    this.d1 = new Float64Array(n1).fill(NaN);
    this.d2 = new Float64Array(n2).fill(NaN);
    term.checkFieldsOnce(t, this.y1, this.y2, args);
    this.n = n;
  }
}

/** An acceleration a(t, q, v) written in place into `out` (q, v and out have the same length). */
export type Acceleration<A = any> = (t: number, q: Float64Array, v: Float64Array, args: A, out: Float64Array) => void;

/**
 * A second-order system q″ = a(t, q, q′), with state (q, v = q′): the positions followed by the
 * velocities (`[q, v]`, `{ q, v }` or a flat array of even length).
 *
 * Every ODE solver solves it as the first-order system q′ = v, v′ = a(t, q, v). When the
 * acceleration does not depend on v (forces from a potential: Newton's equations), the splitting
 * solvers (`VelocityVerlet`, `Yoshida4`, …) solve it as the partitioned system q′ = v, v′ = a(t, q),
 * symplectic for unit masses; they check once, at t0, that the acceleration ignores v and refuse
 * it otherwise (a velocity-dependent force, such as damping, makes the kick implicit).
 *
 * @example A pendulum, q″ = −sin q.
 * ```ts
 * const pendulum = new SecondOrderTerm((t, q, v, args, a) => { a[0] = -Math.sin(q[0]); });
 * diffeqsolve({ terms: pendulum, solver: new VelocityVerlet(), t0: 0, t1: 10, dt0: 0.01, y0: { q: [1], v: [0] } });
 * ```
 */
export class SecondOrderTerm<A = any> extends AbstractPartitionedTerm<A> {
  readonly acceleration: Acceleration<A>;

  constructor(acceleration: Acceleration<A>) {
    if (typeof acceleration !== "function") {
      throw new TypeError(`new SecondOrderTerm(acceleration): \`acceleration\` must be a function (t, q, v, args, out) => void; got ${acceleration === null ? "null" : typeof acceleration}.`);
    }
    const parts = new PartBuffers();
    super((t: number, y: Float64Array, args: A, dy: Float64Array) => parts.whole(this, t, y, args, dy));
    this.acceleration = acceleration;
  }

  firstSize(n: number): number {
    if (n % 2 !== 0) {
      throw new RangeError(`SecondOrderTerm: the state has ${n} components; it must hold the positions followed by as many velocities (an even number).`);
    }
    return n / 2;
  }

  drift(_t: number, v: Float64Array, _args: A, out: Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = v[i]!;
  }

  kick(t: number, q: Float64Array, v: Float64Array, args: A, out: Float64Array): void {
    this.acceleration(t, q, v, args, out);
  }

  protected checkFields(t: number, q: Float64Array, v: Float64Array, args: A): void {
    const velocity = Float64Array.from(v);
    const acceleration = this.acceleration;
    probePart((tt, qq, a, out) => acceleration(tt, qq, velocity, a, out), t, q, args, q.length, "the acceleration", "SecondOrderTerm");
  }

  /** Compares a(t, q, v) with a(t, q, v + δ) for a generic δ: the splitting solvers need a(t, q). */
  override checkSeparable(t: number, y: Float64Array, args: A, solverName: string): void {
    const n = y.length / 2;
    const q = y.slice(0, n);
    const v = y.slice(n);
    const w = v.map((x, i) => x + (1 + Math.abs(x)) * (0.37 + 0.11 * i) * 1e-3);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    this.acceleration(t, q, v, args, a);
    this.acceleration(t, Float64Array.from(q), w, args, b);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) {
        throw new TypeError(
          `diffeqsolve: ${solverName} needs an acceleration that does not depend on the velocity, but a[${i}] changed when v did ` +
            "(at t0). Explicit splitting cannot treat a velocity-dependent force (damping, magnetic forces); use an ODE solver " +
            "such as Tsit5 or Vern9 with this SecondOrderTerm.",
        );
      }
    }
  }
}

/** A friction γ or a scale u of underdamped Langevin dynamics: one number, or one per dimension. */
export type LangevinCoefficient = number | ArrayLike<number>;

/** γ or u expanded to one positive value per dimension (d of them). */
function langevinCoefficient(value: LangevinCoefficient, d: number, name: string): Float64Array<ArrayBuffer> {
  const out = new Float64Array(d);
  if (typeof value === "number") out.fill(value);
  else {
    if (value.length !== d) throw new RangeError(`Underdamped Langevin: \`${name}\` has ${value.length} entries but the position has ${d}; give one number, or one per dimension.`);
    for (let i = 0; i < d; i++) out[i] = value[i]!;
  }
  for (let i = 0; i < d; i++) {
    if (!(out[i]! > 0) || !Number.isFinite(out[i]!)) throw new RangeError(`Underdamped Langevin: \`${name}\`[${i}] = ${out[i]} must be a finite number > 0.`);
  }
  return out;
}

function checkLangevinCoefficient(value: unknown, name: string, what: string): LangevinCoefficient {
  const ok = (v: unknown) => typeof v === "number" && v > 0 && Number.isFinite(v);
  if (ok(value)) return value as number;
  if (value !== null && typeof value === "object" && typeof (value as ArrayLike<number>).length === "number" && Array.from(value as ArrayLike<number>).every(ok)) {
    return Float64Array.from(value as ArrayLike<number>);
  }
  throw new RangeError(`${what}: \`${name}\` must be a number > 0 or an array of them (one per dimension); got ${value === null ? "null" : typeof value === "object" ? "an array with a non-positive entry" : String(value)}.`);
}

/** Half the length of a Langevin state (x, v), or a RangeError. */
function langevinDimension(n: number): number {
  if (n % 2 !== 0) throw new RangeError(`Underdamped Langevin: the state has ${n} components; it must hold the positions x followed by as many velocities v.`);
  return n / 2;
}

/** The gradient ∇f(x) of the potential, written in place into `out` (same length as x). */
export type PotentialGradient<A = any> = (x: Float64Array, args: A, out: Float64Array) => void;

/**
 * The drift of underdamped Langevin dynamics (as diffrax's `UnderdampedLangevinDriftTerm`):
 *
 *     dx = v dt,   dv = −γ v dt − u ∇f(x) dt + √(2γu) dW,
 *
 * for the state (x, v) (positions followed by velocities), with friction γ and scale u (numbers,
 * or one per dimension: diagonal matrices) and the gradient of the potential f. The stationary
 * distribution has density ∝ exp(−f(x) − |v|²/(2u)) (with per-dimension u, Σ vᵢ²/(2uᵢ)).
 * Pair it with {@link UnderdampedLangevinDiffusionTerm} in a `MultiTerm`: `BAOAB` solves the pair
 * by splitting, and any additive-noise SDE solver (`ShARK`, `SRA1`, `EulerMaruyama`) solves it too.
 *
 * @example
 * ```ts
 * const bm = new VirtualBrownianTree({ t0: 0, t1: 10, shape: 1, seed: 1 });
 * const terms = new MultiTerm(
 *   new UnderdampedLangevinDriftTerm(1, 1, (x, args, g) => { g[0] = x[0]; }),   // f = x²/2
 *   new UnderdampedLangevinDiffusionTerm(1, 1, bm),
 * );
 * diffeqsolve({ terms, solver: new BAOAB(), t0: 0, t1: 10, dt0: 0.05, y0: [0, 0], stepsizeController: new ConstantStepSize() });
 * ```
 */
export class UnderdampedLangevinDriftTerm<A = any> extends ODETerm<A> {
  readonly gamma: LangevinCoefficient;
  readonly u: LangevinCoefficient;
  readonly gradient: PotentialGradient<A>;

  constructor(gamma: LangevinCoefficient, u: LangevinCoefficient, gradient: PotentialGradient<A>) {
    const what = "new UnderdampedLangevinDriftTerm(gamma, u, gradient)";
    const g = checkLangevinCoefficient(gamma, "gamma", what);
    const uu = checkLangevinCoefficient(u, "u", what);
    if (typeof gradient !== "function") throw new TypeError(`${what}: \`gradient\` must be a function (x, args, out) => void writing ∇f(x); got ${gradient === null ? "null" : typeof gradient}.`);
    let d = -1;
    let x = new Float64Array(0);
    let grad = new Float64Array(0);
    let gam: Float64Array = x;
    let scale: Float64Array = x;
    super((t: number, y: Float64Array, args: A, dy: Float64Array) => {
      if (y.length !== 2 * d) {
        d = langevinDimension(y.length);
        x = new Float64Array(d);
        grad = new Float64Array(d).fill(NaN);
        gam = langevinCoefficient(g, d, "gamma");
        scale = langevinCoefficient(uu, d, "u");
      }
      for (let i = 0; i < d; i++) x[i] = y[i]!;
      gradient(x, args, grad);
      for (let i = 0; i < d; i++) {
        const v = y[d + i]!;
        dy[i] = v;
        dy[d + i] = -gam[i]! * v - scale[i]! * grad[i]!;
      }
    });
    this.gamma = g;
    this.u = uu;
    this.gradient = gradient;
  }

  /** γ and u with one entry per dimension, for a state of length n = 2d. */
  coefficients(n: number): { d: number; gamma: Float64Array; u: Float64Array } {
    const d = langevinDimension(n);
    return { d, gamma: langevinCoefficient(this.gamma, d, "gamma"), u: langevinCoefficient(this.u, d, "u") };
  }
}

/**
 * The diffusion of underdamped Langevin dynamics, √(2γu) dW on the velocities (as diffrax's
 * `UnderdampedLangevinDiffusionTerm`): additive noise, with a Brownian motion of shape d (one
 * per dimension). See {@link UnderdampedLangevinDriftTerm}; γ and u must be the same in both.
 */
export class UnderdampedLangevinDiffusionTerm<A = any, C = unknown> extends ControlTerm<A, C> {
  readonly gamma: LangevinCoefficient;
  readonly u: LangevinCoefficient;

  constructor(gamma: LangevinCoefficient, u: LangevinCoefficient, brownian: C) {
    const what = "new UnderdampedLangevinDiffusionTerm(gamma, u, brownian)";
    const g = checkLangevinCoefficient(gamma, "gamma", what);
    const uu = checkLangevinCoefficient(u, "u", what);
    let d = -1;
    let sigma = new Float64Array(0);
    super(
      (t: number, y: Float64Array, args: A, out: Float64Array) => {
        if (y.length !== 2 * d) {
          d = langevinDimension(y.length);
          const gam = langevinCoefficient(g, d, "gamma");
          const scale = langevinCoefficient(uu, d, "u");
          sigma = new Float64Array(d);
          for (let i = 0; i < d; i++) sigma[i] = Math.sqrt(2 * gam[i]! * scale[i]!);
        }
        // The 2d × d matrix: zero on the positions' rows, √(2γᵢuᵢ) on the diagonal of the velocities'.
        const size = 2 * d * d;
        for (let k = 0; k < size; k++) out[k] = 0;
        for (let i = 0; i < d; i++) out[(d + i) * d + i] = sigma[i]!;
      },
      brownian,
      { additive: true },
    );
    this.gamma = g;
    this.u = uu;
  }

  /** γ and u with one entry per dimension, for a state of length n = 2d. */
  coefficients(n: number): { d: number; gamma: Float64Array; u: Float64Array } {
    const d = langevinDimension(n);
    return { d, gamma: langevinCoefficient(this.gamma, d, "gamma"), u: langevinCoefficient(this.u, d, "u") };
  }
}
