/**
 * Choosing between the JavaScript and the WebAssembly kernels of an explicit Runge–Kutta solver,
 * and making the WebAssembly workspace of a solve.
 *
 * The WebAssembly path pays a fixed cost per step (a few calls across the JavaScript/WebAssembly
 * boundary, binding the state buffers) and wins per component (two lanes per instruction, no
 * bounds checks). `backend: "auto"` therefore picks it from a state size on, measured per method
 * on the plain-function path (bench/wasm.bench.ts, "crossover"); below it the generated
 * JavaScript kernels are as fast or faster.
 */
import { ODETerm, type AbstractTerm } from "../terms.js";
import type { Tableau } from "../solvers/tableau.js";
import { methodModule } from "./erk-module.js";
import { type StateBuffers, WasmERKWorkspace } from "./erk-workspace.js";
import { compileModule, wasmSupport } from "./support.js";
import type { WasmFieldSource } from "./vector-field.js";

/** Options shared by the solvers that have a WebAssembly path. */
export interface WasmBackendOption {
  /**
   * Where the per-step vector work runs: `"js"` (generated JavaScript kernels), `"wasm"`
   * (WebAssembly SIMD kernels; throws where WebAssembly is unavailable or forbidden) or `"auto"`
   * (WebAssembly from `wasmThreshold` components on, where available; JavaScript otherwise).
   * @defaultValue `"auto"`
   */
  backend?: "auto" | "js" | "wasm";
  /**
   * State size from which `backend: "auto"` uses WebAssembly.
   * @defaultValue the measured crossover of the method (see {@link defaultWasmThreshold})
   */
  wasmThreshold?: number;
}

/**
 * The zero-copy hook of a WebAssembly workspace, for the integration loop: state buffers that live
 * in the workspace's memory (so that a step binds them instead of copying them) and the scaled
 * error norm computed where the error estimate is.
 */
export interface VectorBackend {
  /** The loop's y, y1, yErr, yErr2 and interpolation output, as views of the workspace's memory. */
  stateBuffers(): StateBuffers;
  /** The norm to compute ("rms" or "max") and the tolerances (scalars or vectors of length n). */
  setTolerances(norm: "rms" | "max", rtol: number | Float64Array, atol: number | Float64Array): void;
  /** The scaled norm of the last step's error estimate (0: yErr, 1: yErr2) into result[0]. */
  errorNorm(which: 0 | 1, result: Float64Array): void;
}

/**
 * State sizes from which WebAssembly is faster than the generated JavaScript kernels, per method:
 * the crossovers measured by bench/wasm.bench.ts (part 2, fixed steps on y' = −k⊙y, CPU time),
 * the larger of the plain-function and compiled-field ones, as powers of two. Methods with more
 * stages amortise the fixed cost of a WebAssembly step (a few calls and bindings, about half a
 * microsecond) sooner. The one- and two-stage methods are taken as Heun.
 */
const THRESHOLDS: Readonly<Record<string, number>> = {
  Euler: 128, Midpoint: 128, Ralston: 128, Heun: 128, Bosh3: 64, Dopri5: 32, Tsit5: 32, Dopri8: 16, Vern7: 32, Vern9: 16,
};

/** Threshold of a method that has no measured crossover (a user-defined tableau). */
const FALLBACK_THRESHOLD = 64;

/**
 * The state size from which `backend: "auto"` picks WebAssembly for method `name`.
 *
 * @example
 * ```ts
 * defaultWasmThreshold("Tsit5"); // 32
 * ```
 */
export function defaultWasmThreshold(name: string): number {
  return THRESHOLDS[name] ?? FALLBACK_THRESHOLD;
}

/** Validates the backend options of a solver (throws a named error for a bad value). */
export function checkBackendOptions(options: WasmBackendOption, tab: Tableau): Required<WasmBackendOption> {
  const backend = options.backend ?? "auto";
  if (backend !== "auto" && backend !== "js" && backend !== "wasm") {
    throw new TypeError(`${tab.name}: \`backend\` = ${JSON.stringify(backend)} must be "auto", "js" or "wasm".`);
  }
  const threshold = options.wasmThreshold ?? defaultWasmThreshold(tab.name);
  if (typeof threshold !== "number" || !(threshold >= 1) || !Number.isInteger(threshold)) {
    throw new RangeError(`${tab.name}: \`wasmThreshold\` = ${String(threshold)} must be a whole number ≥ 1 (the state size from which backend "auto" uses WebAssembly).`);
  }
  if (backend === "wasm") {
    const s = wasmSupport();
    if (!s.ok) throw new Error(`${tab.name}: backend "wasm" is not possible: ${s.reason}. Use backend: "auto" (falls back to JavaScript) or "js".`);
  }
  return { backend, wasmThreshold: threshold };
}

/** The backend a solve of n components takes. */
export function chooseBackend(backend: "auto" | "js" | "wasm", threshold: number, n: number): "js" | "wasm" {
  if (backend !== "auto") return backend;
  return n >= threshold && wasmSupport().ok ? "wasm" : "js";
}

const moduleCache = new WeakMap<Tableau, WebAssembly.Module>();

/** The compiled module of a method's kernels (cached per tableau). */
export function methodKernels(tab: Tableau): WebAssembly.Module {
  let m = moduleCache.get(tab);
  if (m === undefined) {
    m = compileModule(methodModule(tab));
    moduleCache.set(tab, m);
  }
  return m;
}

/**
 * Hook for fused WebAssembly kernels: `compile` defines, as an own property of the vector field
 * object under this symbol, the compiled f it describes, its WebAssembly source
 * (vector-field.ts) and a maker of workspaces whose module has the field compiled in
 * (fused.ts). The engine fuses only when `vf.f` is that f (a wrapper object overriding f is
 * called per stage instead). The field's code generator thus stays out of bundles that never
 * call `compile`.
 */
export const WASM_VECTOR_FIELD: unique symbol = Symbol.for("odeflow.wasmVectorField") as never;

/** What {@link WASM_VECTOR_FIELD} holds. */
export interface WasmVectorFieldHook {
  readonly f: unknown;
  /** The field's WebAssembly source, or null when it does not compile to WebAssembly. */
  source(): WasmFieldSource | null;
  /** A workspace with the field compiled into the method's module, or null (not n components, or no source). */
  workspace(tab: Tableau, n: number): WasmERKWorkspace | null;
}

/** The hook of a vector field object from `compile` whose f is unchanged, or null. */
export function wasmHookOf(vf: object): WasmVectorFieldHook | null {
  if (!Object.prototype.hasOwnProperty.call(vf, WASM_VECTOR_FIELD)) return null;
  const hook = (vf as Record<symbol, WasmVectorFieldHook>)[WASM_VECTOR_FIELD]!;
  return hook.f === (vf as { f?: unknown }).f ? hook : null;
}

/**
 * The WebAssembly workspace of a solve: with the vector field compiled into the module when
 * `terms` is an ODETerm of a vector field from `compile` (of n components), else with the
 * method's kernels alone (the JavaScript vector field is called per stage).
 */
export function wasmWorkspace(tab: Tableau, n: number, terms: AbstractTerm | undefined): { workspace: WasmERKWorkspace; fused: boolean } {
  const hook = terms instanceof ODETerm ? wasmHookOf(terms.vf) : null;
  const fused = hook === null ? null : hook.workspace(tab, n);
  if (fused !== null) return { workspace: fused, fused: true };
  return { workspace: new WasmERKWorkspace(tab, n, methodKernels(tab)), fused: false };
}
