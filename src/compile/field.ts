/**
 * The compiled vector field object: the generated (or interpreted) kernels of f and its
 * derivatives built from one expression graph, derivative kernels generated on first use.
 * Shared by {@link compile} and the automatic compilation of `new ODETerm(f)` (auto.ts).
 */
import { wasmFieldSource, type WasmFieldSource } from "../wasm/vector-field.js";
import { fusedWorkspace } from "../wasm/fused.js";
import type { WasmVectorFieldHook } from "../wasm/erk-backend.js";
import { argNamesOf, argsProblem, type ArgLayout } from "./args.js";
import { inlineSource, instantiate, kernelSource, operationCount, type InlineSource, type KernelSpec } from "./codegen.js";
import { colorColumns, jvpNodes, sparseJacobian, vjpNodes, type SparseJacobian } from "./derivatives.js";
import { Graph, Op } from "./graph.js";
import { interpretedKernel, type Kernel } from "./interpreter.js";
import type { VectorFieldObject } from "../terms.js";

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
export function canGenerate(): boolean {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
}

/**
 * Hidden on compiled vector fields: the expression graph itself, for tools that transform it
 * further (batched or GPU back ends). The explicit Runge–Kutta engine uses its own hook,
 * `Symbol.for("odeflow.inlineVectorField")` (see INLINE_VECTOR_FIELD in solvers/erk.ts).
 */
export const COMPILED_GRAPH: unique symbol = Symbol.for("odeflow.compiledGraph") as never;

/** What {@link COMPILED_GRAPH} holds. */
export interface CompiledGraphInfo {
  graph: Graph;
  outputs: readonly number[];
  layout: ArgLayout;
  n: number;
  /** Why `args` cannot feed this field (a missing or mistyped parameter), or null. */
  argsProblem: (args: unknown) => string | null;
  /** The parameters' names, in layout order. */
  argNames: readonly string[];
  /** Throws a TypeError, naming `api` and the parameters, when `args` cannot feed this field (see `checkTermArgs`). */
  checkArgs: (args: unknown, api: string) => void;
}

/** The names of the kernels a compiled vector field can have, in `toSource` order. */
const KERNELS = ["f", "jac", "jacValues", "jacArgs", "jvp", "jvpArgs", "vjp", "vjpArgs", "vjpBoth", "hvp", "dfdt"] as const;
type KernelName = (typeof KERNELS)[number];

/**
 * The kernels of one graph: their specifications, built (and their sources kept) on demand.
 * `jacobianNodes` bounds the nodes the sparse Jacobian ∂f/∂y may add to the graph; beyond it
 * `jacobian()` is null (automatic compilation then leaves the Jacobian to finite differences).
 */
class KernelSet {
  readonly n: number;
  private readonly sources = new Map<KernelName, string>();
  private jy: SparseJacobian | null | undefined;
  private coloring: { colors: Int32Array; count: number } | undefined;
  private readonly specs: Record<KernelName, () => KernelSpec>;

  constructor(readonly g: Graph, readonly outputs: number[], readonly layout: ArgLayout, readonly mode: "codegen" | "interpreter",
    private readonly jacobianNodes = Infinity) {
    const n = (this.n = outputs.length);
    const nArgs = layout.size;
    const yVars = Array.from({ length: n }, (_, i) => g.input(Op.Y, i));
    const pVars = Array.from({ length: nArgs }, (_, i) => g.input(Op.P, i));
    const jacY = (): SparseJacobian => {
      const J = this.jacobian();
      if (J === null) throw new Error("odeflow compile: internal error: the Jacobian exceeds its budget and has no kernel");
      return J;
    };
    this.yVars = yVars;
    this.specs = {
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
      vjpBoth: () => ({ params: ["t", "y", "args", "x", "outY", "outArgs"], outputs: this.vjpBothNodes(), hasX: true, split: n }),
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
  }

  private readonly yVars: number[];
  private vjpBoth: number[] | undefined;

  /** uᵀ ∂f/∂y then uᵀ ∂f/∂p, with u the extra input X (built once, shared by vjpBoth and its inline hook). */
  vjpBothNodes(): number[] {
    const { g, outputs, n, layout } = this;
    if (this.vjpBoth === undefined) {
      const yVars = this.yVars;
      const pVars = Array.from({ length: layout.size }, (_, i) => g.input(Op.P, i));
      this.vjpBoth = vjpNodes(g, outputs, Array.from({ length: n }, (_, i) => g.input(Op.X, i)), [...yVars, ...pVars]);
    }
    return this.vjpBoth;
  }

  /** The sparse Jacobian ∂f/∂y (computed once), or null beyond the node budget. */
  jacobian(): SparseJacobian | null {
    if (this.jy === undefined) this.jy = sparseJacobian(this.g, this.outputs, this.yVars, this.jacobianNodes);
    return this.jy;
  }

  /** The column colouring of the Jacobian's pattern (computed once). */
  coloringOf(pattern: readonly (readonly number[])[]): { colors: Int32Array; count: number } {
    return (this.coloring ??= colorColumns(pattern, this.n));
  }

  /** Builds one kernel (generated or interpreted) and keeps its source. */
  build(name: KernelName): Kernel {
    const spec = this.specs[name]();
    if (this.mode === "interpreter") {
      this.sources.set(name, "");
      return interpretedKernel(this.g, spec, this.layout);
    }
    const source = kernelSource(this.g, spec, this.layout, name);
    this.sources.set(name, source);
    return instantiate<Kernel>(source);
  }

  /**
   * Installs kernel `name` on `obj` as a wrapper that builds it on first use and then replaces
   * itself with the kernel.
   */
  installLazy(obj: Record<string, unknown>, name: KernelName): void {
    let k: Kernel | undefined;
    const lazy = (t: number, y: Float64Array, args: unknown, a: Float64Array, b?: Float64Array, c?: Float64Array): void => {
      if (k === undefined) {
        k = this.build(name);
        obj[name] = k;
      }
      k(t, y, args, a, b, c);
    };
    obj[name] = lazy;
  }

  /** Standalone ES module source exporting n, nArgs, argNames, `extra` lines and the kernels `names`. */
  moduleSource(names: readonly KernelName[], extra: readonly string[] = []): string {
    const lines: string[] = [
      "// Generated by odeflow compile(): standalone vector field kernels (no imports).",
      `export const n = ${this.n};`,
      `export const nArgs = ${this.layout.size};`,
      `export const argNames = ${JSON.stringify(argNamesOf(this.layout))};`,
      ...extra,
    ];
    for (const name of names) {
      const src = this.sources.get(name) || kernelSource(this.g, this.specs[name](), this.layout, name);
      this.sources.set(name, src);
      lines.push(`export const ${name} = (function () {\n${src}\n})();`);
    }
    return lines.join("\n") + "\n";
  }

  /**
   * Attaches the graph (COMPILED_GRAPH) and, for generated code, the fused-kernel hook of erk.ts;
   * with `argsDerivatives` (a compiled field whose args follow its layout) also the inlined
   * derivative hooks of the discrete adjoint and forward mode.
   */
  attachHooks(obj: object, argsDerivatives = false): void {
    const { g, outputs, layout, n } = this;
    const argNames = argNamesOf(layout);
    const checkArgs = (args: unknown, api: string): void => {
      const problem = argsProblem(layout, args);
      if (problem !== null) {
        throw new TypeError(`${api}: ${problem}; pass args with ${argNames.length > 6 ? `its ${argNames.length} parameters` : argNames.join(", ")} (see the compiled field's argNames).`);
      }
    };
    const info: CompiledGraphInfo = { graph: g, outputs, layout, n, argsProblem: (args) => argsProblem(layout, args), argNames, checkArgs };
    Object.defineProperty(obj, COMPILED_GRAPH, { value: info, enumerable: false });
    // Also on `f` itself, which is what a ControlTerm's diffusion receives (new ControlTerm(sigma.f, bm)).
    const f = (obj as { f?: unknown }).f;
    if (typeof f === "function" && !Object.prototype.hasOwnProperty.call(f, COMPILED_GRAPH)) {
      Object.defineProperty(f, COMPILED_GRAPH, { value: info, enumerable: false });
    }
    // The explicit Runge–Kutta engine's WebAssembly path compiles f into its module through this
    // hook (wasm/fused.ts), in either mode: a page may allow WebAssembly but not new Function.
    let wasm: WasmFieldSource | null | undefined;
    const source = (): WasmFieldSource | null => (wasm === undefined ? (wasm = wasmFieldSource(g, outputs, layout)) : wasm);
    const hook: WasmVectorFieldHook = {
      f: f as WasmVectorFieldHook["f"],
      source,
      workspace: (tab, size) => {
        const src = source();
        return src === null ? null : fusedWorkspace(tab, size, src);
      },
    };
    Object.defineProperty(obj, Symbol.for("odeflow.wasmVectorField"), { value: hook, enumerable: false });
    if (this.mode === "codegen") {
      // The explicit Runge–Kutta engine fuses f into its stage loop through this hook (erk.ts).
      let inline: (InlineSource & { n: number }) | undefined;
      Object.defineProperty(obj, Symbol.for("odeflow.inlineVectorField"), {
        value: () => (inline ??= Object.assign(inlineSource(g, outputs, layout), { n })),
        enumerable: false,
      });
      if (argsDerivatives) this.attachDerivativeHooks(obj);
    }
  }

  /**
   * The discrete adjoint of the explicit RK methods fuses vjpBoth into its reverse kernel
   * (adjoint/erk_adjoint.ts): n entries of uᵀ ∂f/∂y, then nArgs of uᵀ ∂f/∂p, u = x. The discrete
   * forward mode of the explicit RK methods (adjoint/forward_sensitivity.ts) inlines the
   * Jacobians: n² entries of ∂f/∂y (row-major), then n × nArgs of ∂f/∂p.
   */
  private attachDerivativeHooks(obj: object): void {
    const { g, outputs, layout, n } = this;
    const nArgs = layout.size;
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
        const pVars = Array.from({ length: nArgs }, (_, i) => g.input(Op.P, i));
        const entries = [...dense(this.jacobian()!, n), ...dense(sparseJacobian(g, outputs, pVars), nArgs)];
        return (inlineJac = Object.assign(inlineSource(g, entries, layout), { n, nArgs }));
      },
      enumerable: false,
    });
    let inlineVjp: (InlineSource & { n: number; nArgs: number }) | undefined;
    Object.defineProperty(obj, Symbol.for("odeflow.inlineVjpBoth"), {
      value: () => (inlineVjp ??= Object.assign(inlineSource(g, this.vjpBothNodes(), layout), { n, nArgs })),
      enumerable: false,
    });
  }
}

/** Builds the vector field object for a lowered graph. */
export function fromGraph<A>(g: Graph, outputs: number[], layout: ArgLayout, mode: "codegen" | "interpreter"): CompiledVectorField<A> {
  const set = new KernelSet(g, outputs, layout, mode);
  const n = set.n;
  const obj = {
    f: set.build("f"),
    n,
    nArgs: layout.size,
    argNames: Object.freeze(argNamesOf(layout)),
    operations: operationCount(g, outputs),
    mode,
    get jacSparsity(): readonly (readonly number[])[] {
      return set.jacobian()!.pattern;
    },
    get jacColoring(): { colors: Int32Array; count: number } {
      return set.coloringOf(set.jacobian()!.pattern);
    },
    toSource(): string {
      // jacSparsity travels too, so that a worker rebuilding the field picks the same linear solver.
      return set.moduleSource(KERNELS, [`export const jacSparsity = ${JSON.stringify(set.jacobian()!.pattern)};`]);
    },
  } as unknown as CompiledVectorField<A> & Record<string, unknown>;
  for (const name of KERNELS) if (name !== "f") set.installLazy(obj, name);
  set.attachHooks(obj, true);
  return obj;
}

/**
 * The vector field that automatic compilation gives `new ODETerm(f)` (see auto.ts): generated f
 * (fusable into explicit Runge–Kutta kernels) and the derivatives with respect to the state,
 * `jvp` and `vjp` always (linear in the size of f), `jac`, `jacValues` and `jacSparsity` when the
 * sparse Jacobian stays within `jacobianNodes` new graph nodes (decided on first use). Derivatives
 * with respect to args are left out: args keep the shape the user gives them at run time, which
 * need not be the layout inferred from f. `toSource()` exports exactly these members.
 */
export function automaticField(g: Graph, outputs: number[], layout: ArgLayout, jacobianNodes: number): VectorFieldObject & { readonly n: number; readonly operations: number; toSource(): string } {
  const set = new KernelSet(g, outputs, layout, "codegen", jacobianNodes);
  const kernels: Record<string, unknown> = {};
  for (const name of ["jac", "jacValues", "jvp", "vjp"] as const) set.installLazy(kernels, name);
  const obj = {
    f: set.build("f"),
    n: set.n,
    operations: operationCount(g, outputs),
    get jvp() { return kernels.jvp; },
    get vjp() { return kernels.vjp; },
    get jac() { return set.jacobian() === null ? undefined : kernels.jac; },
    get jacValues() { return set.jacobian() === null ? undefined : kernels.jacValues; },
    get jacSparsity() { return set.jacobian()?.pattern; },
    toSource(): string {
      const J = set.jacobian();
      return J === null ? set.moduleSource(["f", "jvp", "vjp"]) : set.moduleSource(["f", "jac", "jacValues", "jvp", "vjp"], [`export const jacSparsity = ${JSON.stringify(J.pattern)};`]);
    },
  };
  set.attachHooks(obj);
  return obj as VectorFieldObject & { readonly n: number; readonly operations: number; toSource(): string };
}
