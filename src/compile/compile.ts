/**
 * `compile(fn, options)`: a plain JavaScript vector field in, generated kernels with exact
 * derivatives out.
 */
import { argNamesOf, layoutFromSpec, type ArgLayout, type ArgsSpec } from "./args.js";
import { inlineSource, instantiate, kernelSource, operationCount, type InlineSource, type KernelSpec } from "./codegen.js";
import { colorColumns, jvpNodes, sparseJacobian, vjpNodes, type SparseJacobian } from "./derivatives.js";
import { Graph, Op } from "./graph.js";
import { interpretedKernel, type Kernel } from "./interpreter.js";
import { lower } from "./lower.js";
import { parseFunction } from "./parse.js";
import type { ModelBuilder } from "./builder.js";
import type { VectorFieldObject } from "../terms.js";

/** Options of {@link compile}. */
export interface CompileOptions {
  /**
   * Fixed values the source refers to by name (numbers, strings, booleans, arrays, plain
   * objects), for example a reaction list or a grid size. They are folded into the code.
   */
  consts?: Record<string, unknown>;
  /**
   * The shape of `args`, which fixes the flat parameter layout: a sample object
   * (`{ k: 1, W: new Float64Array(12) }`: numbers take one slot, arrays one slot per entry, in key
   * order), a list of scalar names, or the length of a flat vector (`args[i]`).
   * @defaultValue inferred: named parameters in the order the function first uses them, array
   * lengths from the largest index used
   */
  args?: ArgsSpec;
  /**
   * Number of state components. Needed when the source reads `y.length` or only calls `dy.fill`;
   * otherwise inferred (and checked against) the output.
   */
  n?: number;
  /**
   * `"codegen"`: straight-line JavaScript through `new Function`; `"interpreter"`: run the
   * instruction list without generating code; `"auto"`: codegen where `new Function` is allowed.
   * @defaultValue `"auto"`
   */
  mode?: "auto" | "codegen" | "interpreter";
}

/**
 * A compiled vector field: accepted wherever a vector field is (`new ODETerm(compile(fn))`).
 *
 * Parameters: `args` at run time is an object of the compiled shape or a `Float64Array` p of
 * length `nArgs` laid out as `argNames` (named numbers one slot each, arrays one slot per entry,
 * in order). Derivatives with respect to args are indexed by that layout.
 */
export interface CompiledVectorField<A = any> extends VectorFieldObject<A> {
  /** dy = f(t, y, args), written in place. */
  f: (t: number, y: Float64Array, args: A, dy: Float64Array) => void;
  /** ∂f/∂y, dense, row-major n × n. */
  jac: (t: number, y: Float64Array, args: A, J: Float64Array) => void;
  /** ∂f/∂p, dense, row-major n × nArgs. */
  jacArgs: (t: number, y: Float64Array, args: A, J: Float64Array) => void;
  /** out = (∂f/∂y) v (length n). */
  jvp: (t: number, y: Float64Array, args: A, v: Float64Array, out: Float64Array) => void;
  /** out = wᵀ (∂f/∂y) (length n). */
  vjp: (t: number, y: Float64Array, args: A, w: Float64Array, out: Float64Array) => void;
  /** out = (∂f/∂p) v, v of length nArgs (out of length n). */
  jvpArgs: (t: number, y: Float64Array, args: A, v: Float64Array, out: Float64Array) => void;
  /** out = wᵀ (∂f/∂p) (length nArgs): the parameter gradient of ⟨w, f⟩. */
  vjpArgs: (t: number, y: Float64Array, args: A, w: Float64Array, out: Float64Array) => void;
  /**
   * Both VJPs from one reverse sweep, for adjoints: `outY = wᵀ ∂f/∂y` (length n) and
   * `outArgs = wᵀ ∂f/∂p` (length nArgs), the same values as `vjp` and `vjpArgs`.
   */
  vjpBoth: (t: number, y: Float64Array, args: A, w: Float64Array, outY: Float64Array, outArgs: Float64Array) => void;
  /**
   * Second-order adjoint product, for the discrete adjoints of Rosenbrock methods (whose step uses
   * ∂f/∂y itself): with `x` = [u (n), v (n), vArgs (nArgs)], `outY` and `outArgs` are the
   * derivatives along (v, vArgs) of uᵀ ∂f/∂y and uᵀ ∂f/∂p, i.e. ∂/∂y and ∂/∂p of uᵀ (∂f/∂y v + ∂f/∂p vArgs)
   * (a Hessian-vector product of ⟨u, f⟩; forward mode over reverse mode).
   */
  hvp: (t: number, y: Float64Array, args: A, x: Float64Array, outY: Float64Array, outArgs: Float64Array) => void;
  /** out = ∂f/∂t (length n), for Rosenbrock methods. */
  dfdt: (t: number, y: Float64Array, args: A, out: Float64Array) => void;
  /** The non-zero entries of ∂f/∂y in row-major order of `jacSparsity` (CSR values). */
  jacValues: (t: number, y: Float64Array, args: A, values: Float64Array) => void;
  /** Structural pattern of ∂f/∂y: for each row, its possibly non-zero columns (ascending). */
  readonly jacSparsity: readonly (readonly number[])[];
  /** A column colouring of the pattern: same-colour columns share no row (for finite differences). */
  readonly jacColoring: { readonly colors: Int32Array; readonly count: number };
  /** Number of state components. */
  readonly n: number;
  /** Number of parameters (length of the flat parameter vector p). */
  readonly nArgs: number;
  /** Names of the slots of p, e.g. `["sigma", "rho", "beta"]` or `["W[0]", …]`. */
  readonly argNames: readonly string[];
  /** Number of operations of f's instruction list. */
  readonly operations: number;
  /** Whether the kernels are generated code or interpreted. */
  readonly mode: "codegen" | "interpreter";
  /** Standalone ES module source with f, jac, jacValues, jacArgs, jvp, jvpArgs, vjp, vjpArgs, vjpBoth, hvp, dfdt. */
  toSource(): string;
}

/**
 * Whether `new Function` is allowed here (false under a Content-Security-Policy without
 * `unsafe-eval`). Checked on every compile (it costs microseconds), so a policy is never missed.
 */
function canGenerate(): boolean {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
}

/**
 * Hidden on compiled vector fields (and on their `f` function): the expression graph itself, for
 * tools that transform it further (batched or GPU back ends). The explicit Runge–Kutta engine uses its own hook,
 * `Symbol.for("odeflow.inlineVectorField")` (see INLINE_VECTOR_FIELD in solvers/erk.ts).
 */
export const COMPILED_GRAPH: unique symbol = Symbol.for("odeflow.compiledGraph") as never;

/** What {@link COMPILED_GRAPH} holds. */
export interface CompiledGraphInfo {
  graph: Graph;
  outputs: readonly number[];
  layout: ArgLayout;
  n: number;
}

/**
 * Compiles a vector field written in plain JavaScript (or TypeScript compiled by tsc or esbuild)
 * into straight-line code with exact derivatives.
 *
 * The accepted subset: `const`/`let`/`var`; arithmetic with `**` and `%`; `Math` functions and
 * constants; `if`/`else`, `?:`, `&&`, `||` (on run-time values they become selects); `for` and
 * `for … of` loops with compile-time bounds (unrolled); destructuring of `y` and `args`; local
 * helper functions (inlined); comma expressions. Values from outside the function come through
 * `args` (parameters, differentiable) or `options.consts` (fixed, folded into the code).
 *
 * Sources that tsc (ES5 without `downlevelIteration`, ES2020) or esbuild (also minified) produce
 * from such TypeScript compile to the same kernels; tsc's iteration and spread helpers
 * (`__values`, `__spreadArray`) do not.
 *
 * Derivatives are exact (symbolic forward and reverse mode on the shared expression graph) and
 * their kernels are generated on first use.
 *
 * @example
 * ```ts
 * const lorenz = compile((t, [x, y, z], { sigma, rho, beta }) =>
 *   [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]);
 * const J = new Float64Array(9);
 * lorenz.jac(0, Float64Array.of(1, 2, 3), { sigma: 10, rho: 28, beta: 8 / 3 }, J);
 * diffeqsolve({ terms: new ODETerm(lorenz), solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 1, 1],
 *   args: { sigma: 10, rho: 28, beta: 8 / 3 } });
 * ```
 * @throws CompileError (with a code frame and a fix hint) for anything outside the subset.
 */
export function compile<A = any>(fn: Function | string | ModelBuilder, options: CompileOptions = {}): CompiledVectorField<A> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`compile(fn, options): \`options\` must be an object; got ${options === null ? "null" : typeof options}.`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "consts" && key !== "args" && key !== "n" && key !== "mode") {
      throw new TypeError(`compile(fn, options): unknown option \`${key}\`; the options are consts, args, n and mode.`);
    }
  }
  if (options.consts !== undefined && (options.consts === null || typeof options.consts !== "object" || Array.isArray(options.consts))) {
    throw new TypeError("compile(fn, options): `options.consts` must be an object of named values, e.g. { consts: { N: 100, reactions } }.");
  }
  const mode = options.mode ?? "auto";
  if (mode !== "auto" && mode !== "codegen" && mode !== "interpreter") {
    throw new TypeError(`compile: \`options.mode\` = ${JSON.stringify(mode)} must be "auto", "codegen" or "interpreter".`);
  }
  if (options.n !== undefined && (!Number.isInteger(options.n) || options.n < 1)) {
    throw new RangeError(`compile: \`options.n\` = ${options.n} must be a whole number ≥ 1 (the number of state components).`);
  }
  let graph: Graph;
  let outputs: number[];
  let layout: ArgLayout;
  if (typeof fn === "object" && fn !== null && typeof (fn as ModelBuilder).build === "function") {
    ({ graph, outputs, layout } = (fn as ModelBuilder).build());
  } else {
    const parsed = parseFunction(fn as Function | string);
    const lowered = lower(parsed, {
      consts: options.consts,
      layout: options.args === undefined ? undefined : layoutFromSpec(options.args),
      n: options.n,
    });
    ({ graph, outputs, layout } = lowered);
  }
  return fromGraph<A>(graph, outputs, layout, mode === "interpreter" || (mode === "auto" && !canGenerate()) ? "interpreter" : "codegen");
}

/** Builds the vector field object for a lowered graph. */
export function fromGraph<A>(g: Graph, outputs: number[], layout: ArgLayout, mode: "codegen" | "interpreter"): CompiledVectorField<A> {
  const n = outputs.length;
  const nArgs = layout.size;
  const yVars = Array.from({ length: n }, (_, i) => g.input(Op.Y, i));
  const pVars = Array.from({ length: nArgs }, (_, i) => g.input(Op.P, i));
  const make = (spec: KernelSpec, name: string): { kernel: Kernel; source: string } => {
    if (mode === "interpreter") return { kernel: interpretedKernel(g, spec, layout), source: "" };
    const source = kernelSource(g, spec, layout, name);
    return { kernel: instantiate<Kernel>(source), source };
  };
  const sources = new Map<string, string>();
  let vjpBoth: number[] | undefined;
  /** uᵀ ∂f/∂y then uᵀ ∂f/∂p, with u the extra input X. */
  const vjpBothNodes = (): number[] => (vjpBoth ??= vjpNodes(g, outputs, outputs.map((_, i) => g.input(Op.X, i)), [...yVars, ...pVars]));
  let jy: SparseJacobian | undefined;
  const jacY = (): SparseJacobian => (jy ??= sparseJacobian(g, outputs, yVars));
  let coloring: { colors: Int32Array; count: number } | undefined;
  const specs: Record<string, () => KernelSpec> = {
    f: () => ({ params: ["t", "y", "args", "out"], outputs, hasX: false }),
    jac: () => {
      // Only the structural non-zeros are written (after out.fill(0)): n² can be large.
      const J = jacY();
      const slots = J.pattern.flatMap((cols, i) => cols.map((j) => i * n + j));
      return { params: ["t", "y", "args", "out"], outputs: J.entries.flat(), slots, hasX: false, zeroFill: true };
    },
    jacValues: () => {
      const J = jacY();
      return { params: ["t", "y", "args", "out"], outputs: J.entries.flat(), hasX: false };
    },
    jacArgs: () => {
      const J = sparseJacobian(g, outputs, pVars);
      const slots = J.pattern.flatMap((cols, i) => cols.map((j) => i * nArgs + j));
      return { params: ["t", "y", "args", "out"], outputs: J.entries.flat(), slots, hasX: false, zeroFill: true };
    },
    jvp: () => {
      const seed = new Map<number, number>(yVars.map((v, j) => [v, g.input(Op.X, j)]));
      return { params: ["t", "y", "args", "x", "out"], outputs: jvpNodes(g, outputs, seed), hasX: true };
    },
    jvpArgs: () => {
      const seed = new Map<number, number>(pVars.map((v, j) => [v, g.input(Op.X, j)]));
      return { params: ["t", "y", "args", "x", "out"], outputs: jvpNodes(g, outputs, seed), hasX: true };
    },
    vjp: () => {
      const bar = outputs.map((_, i) => g.input(Op.X, i));
      return { params: ["t", "y", "args", "x", "out"], outputs: vjpNodes(g, outputs, bar, yVars), hasX: true };
    },
    vjpArgs: () => {
      const bar = outputs.map((_, i) => g.input(Op.X, i));
      return { params: ["t", "y", "args", "x", "out"], outputs: vjpNodes(g, outputs, bar, pVars), hasX: true };
    },
    vjpBoth: () => ({ params: ["t", "y", "args", "x", "outY", "outArgs"], outputs: vjpBothNodes(), hasX: true, split: n }),
    hvp: () => {
      // Reverse mode for uᵀ ∂f/∂(y, p), then forward mode of that along (v, vArgs).
      const bar = outputs.map((_, i) => g.input(Op.X, i));
      const grads = vjpNodes(g, outputs, bar, [...yVars, ...pVars]);
      const seed = new Map<number, number>([
        ...yVars.map((v, j): [number, number] => [v, g.input(Op.X, n + j)]),
        ...pVars.map((v, k): [number, number] => [v, g.input(Op.X, 2 * n + k)]),
      ]);
      return { params: ["t", "y", "args", "x", "outY", "outArgs"], outputs: jvpNodes(g, grads, seed), hasX: true, split: n };
    },
    dfdt: () => ({ params: ["t", "y", "args", "out"], outputs: jvpNodes(g, outputs, new Map([[g.input(Op.T), g.constant(1)]])), hasX: false }),
  };
  const build = (name: string): Kernel => {
    const { kernel, source } = make(specs[name]!(), name);
    sources.set(name, source);
    return kernel;
  };
  const f = build("f");
  const obj = {
    f,
    n,
    nArgs,
    argNames: Object.freeze(argNamesOf(layout)),
    operations: operationCount(g, outputs),
    mode,
    get jacSparsity(): readonly (readonly number[])[] {
      return jacY().pattern;
    },
    get jacColoring(): { colors: Int32Array; count: number } {
      return (coloring ??= colorColumns(jacY().pattern, n));
    },
    toSource(): string {
      return moduleSource(g, outputs, layout, specs, sources, n, argNamesOf(layout));
    },
  } as unknown as CompiledVectorField<A> & Record<string, unknown>;
  for (const name of ["jac", "jacValues", "jacArgs", "jvp", "jvpArgs", "vjp", "vjpArgs", "vjpBoth", "hvp", "dfdt"]) {
    // Built on first use; the lazy wrapper then replaces itself on the object.
    let k: Kernel | undefined;
    const lazy = (t: number, y: Float64Array, args: unknown, a: Float64Array, b?: Float64Array, c?: Float64Array): void => {
      if (k === undefined) {
        k = build(name);
        (obj as Record<string, unknown>)[name] = k;
      }
      k(t, y, args, a, b, c);
    };
    (obj as Record<string, unknown>)[name] = lazy;
  }
  const info = { graph: g, outputs, layout, n } satisfies CompiledGraphInfo;
  Object.defineProperty(obj, COMPILED_GRAPH, { value: info, enumerable: false });
  // Also on `f` itself, which is what a ControlTerm's diffusion receives (new ControlTerm(sigma.f, bm)).
  Object.defineProperty(f, COMPILED_GRAPH, { value: info, enumerable: false });
  if (mode === "codegen") {
    // The explicit Runge–Kutta engine fuses f into its stage loop through this hook (erk.ts).
    let inline: (InlineSource & { n: number }) | undefined;
    Object.defineProperty(obj, Symbol.for("odeflow.inlineVectorField"), {
      value: () => (inline ??= Object.assign(inlineSource(g, outputs, layout), { n })),
      enumerable: false,
    });
    // The discrete adjoint of the explicit RK methods fuses vjpBoth into its reverse kernel
    // (adjoint/erk_adjoint.ts): outputs n entries of uᵀ ∂f/∂y, then nArgs of uᵀ ∂f/∂p, u = x.
    // The discrete forward mode of the explicit RK methods (adjoint/forward_sensitivity.ts) inlines
    // the Jacobians: n² entries of ∂f/∂y (row-major), then n × nArgs of ∂f/∂p.
    let inlineJac: (InlineSource & { n: number; nArgs: number }) | undefined;
    Object.defineProperty(obj, Symbol.for("odeflow.inlineJacobians"), {
      value: () => {
        if (inlineJac !== undefined) return inlineJac;
        const zero = g.constant(0);
        const dense = (J: SparseJacobian, cols: number): number[] => {
          const out = new Array<number>(n * cols).fill(zero);
          J.pattern.forEach((cs, i) => cs.forEach((j, q) => { out[i * cols + j] = J.entries[i]![q]!; }));
          return out;
        };
        const entries = [...dense(jacY(), n), ...dense(sparseJacobian(g, outputs, pVars), nArgs)];
        return (inlineJac = Object.assign(inlineSource(g, entries, layout), { n, nArgs }));
      },
      enumerable: false,
    });
    let inlineVjp: (InlineSource & { n: number; nArgs: number }) | undefined;
    Object.defineProperty(obj, Symbol.for("odeflow.inlineVjpBoth"), {
      value: () => (inlineVjp ??= Object.assign(inlineSource(g, vjpBothNodes(), layout), { n, nArgs })),
      enumerable: false,
    });
  }
  return obj;
}

function moduleSource(g: Graph, outputs: number[], layout: ArgLayout, specs: Record<string, () => KernelSpec>, sources: Map<string, string>,
  n: number, argNames: string[]): string {
  const lines: string[] = [
    "// Generated by odeflow compile(): standalone vector field kernels (no imports).",
    `export const n = ${n};`,
    `export const nArgs = ${layout.size};`,
    `export const argNames = ${JSON.stringify(argNames)};`,
  ];
  for (const name of Object.keys(specs)) {
    const src = sources.get(name) || kernelSource(g, specs[name]!(), layout, name);
    sources.set(name, src);
    lines.push(`export const ${name} = (function () {\n${src}\n})();`);
  }
  void outputs;
  return lines.join("\n") + "\n";
}
