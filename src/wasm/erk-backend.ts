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

export type { WasmBackendOption } from "../solvers/wasm-provider.js";
export { checkBackendOptions, chooseBackend } from "../solvers/wasm-provider.js";
export { defaultWasmThreshold } from "./thresholds.js";

export type { VectorBackend } from "../solvers/solver.js";






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
