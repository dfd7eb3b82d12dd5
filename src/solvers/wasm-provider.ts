/**
 * The explicit solvers' access to the WebAssembly SIMD kernels (src/wasm/): installed by
 * `enableWebAssembly()`. The package's Node builds (dist/index.js, dist/index.cjs) install it
 * when they load, so large states take the WebAssembly path by themselves; a bundle made from the
 * per-module build (the `module` condition, for bundlers) carries the kernels only when the
 * application calls `enableWebAssembly()`, so that a small program stays small.
 */
import type { AbstractTerm } from "../terms.js";
import type { Tableau } from "./tableau.js";
import type { WasmERKWorkspace } from "../wasm/erk-workspace.js";

/** Options of the explicit solvers that choose where their vector work runs. */
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

/** What the WebAssembly kernels provide to the explicit Runge–Kutta engine. */
export interface WasmProvider {
  /** Whether WebAssembly with SIMD can run here, and why not. */
  support(): { readonly ok: true } | { readonly ok: false; readonly reason: string };
  /** The workspace of a solve: the method's kernels, or the method fused with a compiled field. */
  workspace(tab: Tableau, n: number, terms: AbstractTerm | undefined): { workspace: WasmERKWorkspace; fused: boolean };
  /** The state size from which `backend: "auto"` picks WebAssembly for method `name` (wasm/thresholds.ts). */
  threshold(name: string): number;
}

let provider: WasmProvider | null = null;

/** @internal Called by `enableWebAssembly()` (src/wasm/install.ts). */
export function installWasmProvider(p: WasmProvider): void {
  provider = p;
}

/** The installed WebAssembly kernels, or null. */
export function wasmProvider(): WasmProvider | null {
  return provider;
}

/** Why WebAssembly cannot run: not installed, or not supported here. */
function unsupported(): string | null {
  if (provider === null) return "the WebAssembly kernels are not part of this bundle; call enableWebAssembly() once (import { enableWebAssembly } from \"odeflow\")";
  const s = provider.support();
  return s.ok ? null : s.reason;
}

/**
 * Checks the backend options of an explicit solver. A `wasmThreshold` of 0 stands for the
 * method's measured one, which comes with the kernels (a bundle without them needs no table).
 */
export function checkBackendOptions(options: WasmBackendOption, tab: Tableau): Required<WasmBackendOption> {
  const backend = options.backend ?? "auto";
  if (backend !== "auto" && backend !== "js" && backend !== "wasm") {
    throw new TypeError(`${tab.name}: \`backend\` = ${JSON.stringify(backend)} must be "auto", "js" or "wasm".`);
  }
  const threshold = options.wasmThreshold ?? 0;
  if (options.wasmThreshold !== undefined && (typeof threshold !== "number" || !(threshold >= 1) || !Number.isInteger(threshold))) {
    throw new RangeError(`${tab.name}: \`wasmThreshold\` = ${String(threshold)} must be a whole number ≥ 1 (the state size from which backend "auto" uses WebAssembly).`);
  }
  if (backend === "wasm") {
    const why = unsupported();
    if (why !== null) throw new Error(`${tab.name}: backend "wasm" is not possible: ${why}. Use backend: "auto" (falls back to JavaScript) or "js".`);
  }
  return { backend, wasmThreshold: threshold };
}

/** The backend a solve of n components takes with method `name` (threshold 0: the method's). */
export function chooseBackend(backend: "auto" | "js" | "wasm", threshold: number, n: number, name: string): "js" | "wasm" {
  if (backend !== "auto") return backend;
  if (unsupported() !== null) return "js";
  return n >= (threshold || provider!.threshold(name)) ? "wasm" : "js";
}
