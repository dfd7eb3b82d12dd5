/**
 * The one explicit Runge–Kutta stepper, driven by a validated {@link Tableau}.
 *
 * For each method a straight-line step kernel is generated once from its tableau (coefficients
 * inlined as constants, zero terms dropped, stage views hoisted into locals), which V8 optimises
 * far better than loops over coefficient arrays. Where `new Function` is forbidden (a
 * Content-Security-Policy without `unsafe-eval`) the generic loop over the tableau is used; both
 * are tested to agree to the last bit.
 *
 * First-same-as-last is handled by swapping stage buffers, never by copying: after an accepted
 * step the buffer holding f(t1, y1) becomes the next step's k_0. Methods that are not FSAL compute
 * f(t1, y1) lazily, when the next step starts or dense output needs it, so a rejected step never
 * pays for it.
 */
import type { AbstractTerm, InPlaceVectorField } from "../terms.js";
import { describeValue } from "../tree.js";
import { checkKeys } from "../util/options.js";
import type { AbstractSolver, SolverState, VectorBackend } from "./solver.js";
import { STEP_OK } from "./solver.js";
import type { Tableau } from "./tableau.js";
import { canGenerate, linearCombination, lit } from "./codegen.js";
import { chooseBackend, checkBackendOptions, type WasmBackendOption, wasmProvider } from "./wasm-provider.js";
import type { WasmERKWorkspace } from "../wasm/erk-workspace.js";
import type { StepMap } from "./step-map.js";

/** A generated (or generic) step: stages 1…s−1, y1 and the error estimate(s). */
export type StepKernel = (
  f: InPlaceVectorField,
  args: unknown,
  n: number,
  t: number,
  dt: number,
  t1: number,
  y0: Float64Array,
  y1: Float64Array,
  yErr: Float64Array,
  yErr2: Float64Array,
  ks: Float64Array[],
  ytmp: Float64Array,
  /**
   * [t, dt, t1]: kernels read the times from here rather than from the double parameters (passed
   * as 0), so that no double is boxed to cross the call (48 B a step otherwise).
   */
  times: Float64Array,
) => void;

/**
 * Hook for fused kernels: a vector field object (as returned by `compile`) may carry, under this
 * symbol, a function returning its evaluation as inlinable source. The engine then generates one
 * step function per (tableau, vector field) with the vector field inlined into the stage loop: no
 * call per stage.
 */
export const INLINE_VECTOR_FIELD: unique symbol = Symbol.for("odeflow.inlineVectorField") as never;

/** What {@link INLINE_VECTOR_FIELD} returns. */
export interface InlineVectorField {
  /** Number of state components. */
  readonly n: number;
  /** Operations of one evaluation (fusion is skipped for very large vector fields). */
  readonly operations: number;
  /** Statements run once per step before the stages (reading `args`). */
  readonly prelude: string;
  /** A block evaluating f at time expression `t` on array `y` into array `out`. */
  body(t: string, y: string, out: string): string;
  /** The same on scalar locals (`y(j)` names component j); declared locals start with `prefix`. */
  scalar?(t: string, y: (j: number) => string, prefix: string): { code: string; outputs: string[] };
}

/** Workspace of an explicit Runge–Kutta solve. */
export interface ERKState extends SolverState {
  /** The step kernel: the method's, or one fused with a compiled vector field. */
  readonly kernel: StepKernel;
  /** The [t, dt, t1] the kernel reads. */
  readonly times: Float64Array;
  readonly f: InPlaceVectorField;
  readonly args: unknown;
  readonly n: number;
  /** Stage buffers (views into one allocation): method stages, then f1 (non-FSAL), then extras. */
  readonly ks: Float64Array[];
  readonly ytmp: Float64Array;
  /** ks[0] holds f at the start of the next step. */
  k0Valid: boolean;
  /** ks[f1Index] holds f(t1, y1) of the last accepted step. */
  f1Valid: boolean;
  /** The extra dense-output stages of the last accepted step are computed. */
  extrasValid: boolean;
  /**
   * The last step's end points (references). Its start time and size are `times[0]` and
   * `times[1]`: kept in the Float64Array rather than in number fields, whose stores may box.
   */
  y0Prev: Float64Array;
  y1Prev: Float64Array;
  /**
   * The WebAssembly workspace when the step's vector work runs there (its memory holds `ks`), or
   * null on the JavaScript path.
   */
  readonly wasm: WasmERKWorkspace | null;
  /** Whether the vector field is compiled into the WebAssembly module (one call per step). */
  readonly fused: boolean;
}

const kernelCache = new WeakMap<Tableau, StepKernel>();

/**
 * Generates the straight-line step kernel of a tableau. Exported for tests and for `toSource`-style
 * inspection; the source is plain ES2015.
 */
export function generateStepSource(tab: Tableau, inline?: InlineVectorField): string {
  const s = tab.stages;
  const lines: string[] = [];
  if (inline !== undefined) lines.push(inline.prelude);
  const call = (tc: string, y: string, k: string): string => (inline !== undefined ? inline.body(tc, y, k) : `f(${tc}, ${y}, args, ${k});`);
  lines.push(`const ${Array.from({ length: s }, (_, i) => `k${i} = ks[${i}]`).join(", ")};`);
  for (let i = 1; i < s; i++) {
    const row = tab.a.subarray(i * s, i * s + i);
    const comb = linearCombination(row, i);
    const isLastFsal = tab.fsal && i === s - 1;
    if (isLastFsal) break;
    lines.push(`for (let j = 0; j < n; j++) ytmp[j] = y0[j]${comb ? ` + dt * (${comb})` : ""};`);
    const tc = tab.c[i] === 1 ? "t1" : tab.c[i] === 0 ? "t" : `t + ${lit(tab.c[i]!)} * dt`;
    lines.push(call(tc, "ytmp", `k${i}`));
  }
  const bComb = linearCombination(tab.b, s);
  const body: string[] = [`y1[j] = y0[j] + dt * (${bComb});`];
  if (tab.bErr) body.push(`yErr[j] = dt * (${linearCombination(tab.bErr, s) || "0"});`);
  if (tab.bErr2) body.push(`yErr2[j] = dt * (${linearCombination(tab.bErr2, s) || "0"});`);
  if (tab.fsal) {
    // y1 needs no k_{s-1} (b_{s-1} = 0); the error estimate does, so compute y1, then the last stage.
    lines.push(`for (let j = 0; j < n; j++) ${body[0]}`);
    lines.push(call("t1", "y1", `k${s - 1}`));
    if (body.length > 1) lines.push(`for (let j = 0; j < n; j++) { ${body.slice(1).join(" ")} }`);
  } else {
    lines.push(`for (let j = 0; j < n; j++) { ${body.join(" ")} }`);
  }
  return lines.join("\n");
}

function errorCombination(out: Float64Array, e: Float64Array, s: number, dt: number, ks: Float64Array[], n: number): void {
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let l = 0; l < s; l++) if (e[l] !== 0) acc += e[l]! * ks[l]![j]!;
    out[j] = dt * acc;
  }
}

/** The generic kernel: loops over the tableau instead of inlining it (used where codegen is not allowed). */
function genericKernel(tab: Tableau): StepKernel {
  const s = tab.stages;
  const { a, b, c, bErr, bErr2, fsal } = tab;
  const combine = (out: Float64Array, base: Float64Array, coefs: Float64Array, off: number, count: number, dt: number, ks: Float64Array[], n: number): void => {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let l = 0; l < count; l++) {
        const al = coefs[off + l]!;
        if (al !== 0) acc += al * ks[l]![j]!;
      }
      out[j] = base[j]! + dt * acc;
    }
  };
  return (f, args, n, _t, _dt, _t1, y0, y1, yErr, yErr2, ks, ytmp, times) => {
    const t = times[0]!;
    const dt = times[1]!;
    const t1 = times[2]!;
    const last = fsal ? s - 1 : s;
    for (let i = 1; i < last; i++) {
      combine(ytmp, y0, a, i * s, i, dt, ks, n);
      f(c[i] === 1 ? t1 : t + c[i]! * dt, ytmp, args, ks[i]!);
    }
    combine(y1, y0, b, 0, s, dt, ks, n);
    if (fsal) f(t1, y1, args, ks[s - 1]!);
    if (bErr !== undefined) errorCombination(yErr, bErr, s, dt, ks, n);
    if (bErr2 !== undefined) errorCombination(yErr2, bErr2, s, dt, ks, n);
  };
}

/** The step kernel of a tableau: generated when allowed, generic otherwise (cached per tableau). */
export function stepKernel(tab: Tableau, generated: boolean = canGenerate()): StepKernel {
  if (!generated) return genericKernel(tab);
  let k = kernelCache.get(tab);
  if (k === undefined) {
    k = new Function(
      "f", "args", "n", "_t", "_dt", "_t1", "y0", "y1", "yErr", "yErr2", "ks", "ytmp", "times",
      `"use strict";\nconst t = times[0], dt = times[1], t1 = times[2];\n${generateStepSource(tab)}`,
    ) as StepKernel;
    kernelCache.set(tab, k);
  }
  return k;
}

/**
 * The fused kernel of a tableau for `terms` with n components, or null where none applies (the
 * terms are not an ODETerm of an inlinable, small enough vector field): ./fused.ts.
 */
export type FusedKernels = (tab: Tableau, terms: AbstractTerm | undefined, n: number) => StepKernel | null;

let fusedKernels: FusedKernels | null = null;

/**
 * @internal Installs the fused kernels (./fused.ts). Only the compiler makes vector fields that
 * can be inlined, so it installs them (compile/compile.ts, and ensemble/transfer.ts where workers
 * rebuild compiled fields); a bundle without the compiler carries no fused-kernel generator.
 */
export function installFusedKernels(kernels: FusedKernels): void {
  fusedKernels = kernels;
}

/** Options of every explicit Runge–Kutta solver. */
export interface ERKOptions extends WasmBackendOption {
  /**
   * Use the generated straight-line kernel (`true`) or the generic tableau loop (`false`) on the
   * JavaScript path.
   * @defaultValue `true` where `new Function` is allowed
   */
  generated?: boolean;
}

/**
 * An explicit Runge–Kutta method given by its tableau. The named methods (`Tsit5`, `Dopri5`, …)
 * are subclasses that pass their published tableau; any validated tableau can be used directly.
 *
 * @example
 * ```ts
 * const solver = new ExplicitRungeKutta(myTableau);
 * ```
 */
export class ExplicitRungeKutta implements AbstractSolver<ERKState> {
  readonly tableau: Tableau;
  readonly name: string;
  readonly order: number;
  readonly errorOrder: number;
  readonly hasSecondaryError: boolean;
  private readonly kernel: StepKernel;
  private readonly generated: boolean;
  /** Where the vector work runs ("auto": by state size) and the size from which "auto" picks WebAssembly. */
  private readonly backend: "auto" | "js" | "wasm";
  private readonly wasmThreshold: number; // 0: the method's measured one
  /** The options given (so that ensemble workers can rebuild the solver). */
  readonly options: ERKOptions;

  constructor(tableau: Tableau, options: ERKOptions = {}) {
    checkKeys(options, ["generated", "backend", "wasmThreshold"], `new ${tableau.name}(options)`);
    if (options.generated !== undefined && typeof options.generated !== "boolean") {
      throw new TypeError(`new ${tableau.name}(options): \`generated\` must be true or false; got ${describeValue(options.generated)}.`);
    }
    this.tableau = tableau;
    this.name = tableau.name;
    this.order = tableau.order;
    this.errorOrder = tableau.errorOrder;
    this.hasSecondaryError = tableau.bErr2 !== undefined;
    this.generated = options.generated ?? canGenerate();
    this.kernel = stepKernel(tableau, this.generated);
    ({ backend: this.backend, wasmThreshold: this.wasmThreshold } = checkBackendOptions(options, tableau));
    this.options = options;
  }

  /** For the discrete adjoint (see {@link StepMap}). */
  get stepMap(): StepMap {
    return { kind: "erk", solver: this };
  }

  /**
   * Which step kernel a solve of `terms` with `n` components runs: `"fused"`, the vector field's
   * generated code inlined into this method's stage loop (a compiled vector field, including one
   * that `new ODETerm(f)` compiled automatically, of at most about 2000 operations per step);
   * `"generated"`, this method's straight-line kernel calling f once per stage; `"generic"`, the
   * loop over the tableau (where code generation is off). All three give the same results bit for
   * bit; fused is the fastest.
   *
   * @example
   * ```ts
   * new Dopri5().kernelKind(new ODETerm((t, y, args, dy) => { dy[0] = -y[0]; }), 1); // "fused"
   * ```
   */
  kernelKind(terms: AbstractTerm | undefined, n: number): "fused" | "generated" | "generic" {
    if (!this.generated) return "generic";
    return this.fused(terms, n) === null ? "generated" : "fused";
  }

  /** The fused kernel of `terms`, when one applies (see {@link installFusedKernels}). */
  private fused(terms: AbstractTerm | undefined, n: number): StepKernel | null {
    return fusedKernels === null || !this.generated ? null : fusedKernels(this.tableau, terms, n);
  }

  init(f: InPlaceVectorField, n: number, args: unknown, terms?: AbstractTerm): ERKState {
    const kernel = this.fused(terms, n) ?? this.kernel; // the fused kernel when kernelKind says so
    const wasm = chooseBackend(this.backend, this.wasmThreshold, n, this.tableau.name) === "wasm" ? wasmProvider()!.workspace(this.tableau, n, terms) : null;
    // The WebAssembly path keeps its stages and its stage argument in its own memory.
    let ks: Float64Array[];
    let ytmp: Float64Array = EMPTY;
    if (wasm !== null) ks = wasm.workspace.ks;
    else {
      // The stages and ytmp as views into one allocation (one backing store instead of one each).
      const count = this.tableau.dense.stages + 1;
      const K = new Float64Array(count * n);
      ks = [];
      for (let i = 0; i < count; i++) ks.push(K.subarray(i * n, (i + 1) * n));
      ytmp = ks.pop()!;
    }
    return {
      numFnEvals: 0,
      kernel,
      times: new Float64Array(3),
      f,
      args,
      n,
      ks,
      ytmp,
      k0Valid: false,
      f1Valid: false,
      extrasValid: false,
      y0Prev: EMPTY,
      y1Prev: EMPTY,
      wasm: wasm === null ? null : wasm.workspace,
      fused: wasm !== null && wasm.fused,
    };
  }

  /**
   * The zero-copy hook of the WebAssembly path: state buffers in the workspace's memory and the
   * error norm computed there (null on the JavaScript path). See {@link VectorBackend}.
   */
  vectorBackend(state: ERKState): VectorBackend | null {
    return state.wasm === null ? null : state.wasm;
  }

  restart(state: ERKState, t: number, y: Float64Array): Float64Array {
    state.wasm?.sync();
    evaluate(state, t, y, state.ks[0]!);
    state.numFnEvals++;
    state.k0Valid = true;
    state.f1Valid = false;
    state.extrasValid = false;
    return state.ks[0]!;
  }

  step(state: ERKState, times: Float64Array, y0: Float64Array, y1: Float64Array, yErr: Float64Array, yErr2: Float64Array): number {
    const t = times[0]!;
    const dt = times[1]!;
    const tab = this.tableau;
    const ks = state.ks;
    if (!state.k0Valid) {
      if (state.f1Valid) {
        // Reuse f(t1, y1) of the accepted step as k_0: swap buffers, copy nothing.
        const f1 = tab.f1Index;
        if (state.wasm !== null) state.wasm.swapStages(0, f1);
        else {
          const tmp = ks[0]!;
          ks[0] = ks[f1]!;
          ks[f1] = tmp;
        }
      } else {
        state.wasm?.sync();
        evaluate(state, t, y0, ks[0]!);
        state.numFnEvals++;
      }
      state.k0Valid = true;
      state.f1Valid = false;
    }
    const t1 = t + dt;
    const kt = state.times;
    kt[0] = t;
    kt[1] = dt;
    kt[2] = t1;
    const ws = state.wasm;
    if (ws === null) {
      state.kernel(state.f, state.args, state.n, 0, 0, 0, y0, y1, yErr, yErr2, ks, state.ytmp, kt);
      state.y0Prev = y0;
      state.y1Prev = y1;
    } else {
      if (state.fused) ws.stepFused(state.args, kt, y0, y1, yErr, yErr2);
      else ws.step(state.f, state.args, kt, y0, y1, yErr, yErr2);
      // The copies in the workspace's memory when the loop's buffers live elsewhere.
      state.y0Prev = ws.y0Last;
      state.y1Prev = ws.y1Last;
    }
    state.numFnEvals += tab.stages - 1;
    return STEP_OK;
  }

  accept(state: ERKState): void {
    state.k0Valid = false;
    state.f1Valid = this.tableau.fsal;
    state.extrasValid = false;
  }

  /** Computes f(t1, y1) (non-FSAL methods) and the extra dense stages, if not done yet. */
  private ensureDense(state: ERKState): void {
    const tab = this.tableau;
    const d = tab.dense;
    const ws = state.wasm;
    if (ws !== null) {
      // Views made before a memory growth are detached: take the last step's vectors afresh.
      ws.sync();
      state.y0Prev = ws.y0Last;
      state.y1Prev = ws.y1Last;
    }
    if (!state.f1Valid && (d.usesF1 || d.extraC.length > 0)) {
      evaluate(state, state.times[0]! + state.times[1]!, state.y1Prev, state.ks[tab.f1Index]!);
      state.numFnEvals++;
      state.f1Valid = true;
    }
    if (!state.extrasValid && d.extraC.length > 0) {
      const { n, ks, ytmp } = state;
      const y0 = state.y0Prev;
      const dt = state.times[1]!;
      const width = d.stages;
      for (let e = 0; e < d.extraC.length; e++) {
        const idx = d.extraStart + e;
        let arg = ytmp;
        if (state.wasm !== null) arg = state.wasm.extraArgument(e);
        else {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let l = 0; l < idx; l++) {
              const al = d.extraA[e * width + l]!;
              if (al !== 0) acc += al * ks[l]![j]!;
            }
            ytmp[j] = y0[j]! + dt * acc;
          }
        }
        evaluate(state, state.times[0]! + d.extraC[e]! * dt, arg, ks[idx]!);
        state.numFnEvals++;
      }
      state.extrasValid = true;
    }
  }

  interpolate(state: ERKState, theta: number, out: Float64Array): void {
    this.ensureDense(state);
    // The weights go to a module scratch: nothing between here and combineStages calls user code.
    const w = scratchWeights(this.tableau.dense.stages);
    denseWeights(this.tableau, theta, false, w);
    if (state.wasm !== null) state.wasm.interpolate(w, state.times[1]!, false, out);
    else combineStages(state.ks, w, this.tableau.dense.stages, state.n, state.times[1]!, state.y0Prev, out);
  }

  interpolateDerivative(state: ERKState, theta: number, out: Float64Array): void {
    this.ensureDense(state);
    const w = scratchWeights(this.tableau.dense.stages);
    denseWeights(this.tableau, theta, true, w);
    if (state.wasm !== null) state.wasm.interpolate(w, 1, true, out);
    else combineStages(state.ks, w, this.tableau.dense.stages, state.n, 1, null, out);
  }

  denseSize(n: number): number {
    return n * (1 + this.tableau.dense.stages);
  }

  writeDense(state: ERKState, out: Float64Array, offset: number): void {
    this.ensureDense(state);
    const n = state.n;
    out.set(state.y0Prev, offset);
    for (let i = 0; i < this.tableau.dense.stages; i++) out.set(state.ks[i]!, offset + n * (i + 1));
  }

  evaluateDense(data: Float64Array, offset: number, n: number, dt: number, theta: number, derivative: boolean, out: Float64Array): void {
    const d = this.tableau.dense;
    const w = scratchWeights(d.stages);
    denseWeights(this.tableau, theta, derivative, w);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let i = 0; i < d.stages; i++) acc += w[i]! * data[offset + n * (i + 1) + j]!;
      out[j] = derivative ? acc : data[offset + j]! + dt * acc;
    }
  }
}

const EMPTY = new Float64Array(0);

/**
 * One evaluation of the vector field outside the step kernel (k_0, f(t1, y1), dense extra
 * stages): by the WebAssembly module when the field is compiled into it (same bits as the
 * JavaScript f, without its per-call cost for large fields), else by f.
 */
function evaluate(state: ERKState, t: number, y: Float64Array, out: Float64Array): void {
  if (state.fused) state.wasm!.evaluateField(t, y, out, state.args);
  else state.f(t, y, state.args, out);
}

let scratch = new Float64Array(32);
function scratchWeights(size: number): Float64Array {
  if (scratch.length < size) scratch = new Float64Array(size);
  return scratch;
}

/** Interpolation weights b_i(θ) (or b_i'(θ)) by Horner's rule. */
function denseWeights(tab: Tableau, theta: number, derivative: boolean, w: Float64Array): void {
  const { stages, degree, bTheta } = tab.dense;
  for (let i = 0; i < stages; i++) {
    let acc = 0;
    const base = i * degree;
    if (derivative) {
      for (let p = degree - 1; p >= 0; p--) acc = acc * theta + (p + 1) * bTheta[base + p]!;
    } else {
      for (let p = degree - 1; p >= 0; p--) acc = acc * theta + bTheta[base + p]!;
      acc *= theta;
    }
    w[i] = acc;
  }
}

function combineStages(ks: Float64Array[], w: Float64Array, stages: number, n: number, scale: number, base: Float64Array | null, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let i = 0; i < stages; i++) acc += w[i]! * ks[i]![j]!;
    out[j] = base === null ? acc : base[j]! + scale * acc;
  }
}

/** The tableau of an explicit Runge–Kutta solver, or undefined for any other solver. */
export function explicitTableau(solver: AbstractSolver<any>): Tableau | undefined {
  return solver instanceof ExplicitRungeKutta ? solver.tableau : undefined;
}
