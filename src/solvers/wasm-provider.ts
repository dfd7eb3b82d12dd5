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

/** The state size from which `backend: "auto"` picks WebAssembly for method `name`. */
export function defaultWasmThreshold(name: string): number {
  return THRESHOLDS[name] ?? FALLBACK_THRESHOLD;
}

/** Why WebAssembly cannot run: not installed, or not supported here. */
function unsupported(): string | null {
  if (provider === null) return "the WebAssembly kernels are not part of this bundle; call enableWebAssembly() once (import { enableWebAssembly } from \"odeflow\")";
  const s = provider.support();
  return s.ok ? null : s.reason;
}

/** Checks the backend options of an explicit solver. */
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
    const why = unsupported();
    if (why !== null) throw new Error(`${tab.name}: backend "wasm" is not possible: ${why}. Use backend: "auto" (falls back to JavaScript) or "js".`);
  }
  return { backend, wasmThreshold: threshold };
}

/** The backend a solve of n components takes. */
export function chooseBackend(backend: "auto" | "js" | "wasm", threshold: number, n: number): "js" | "wasm" {
  if (backend !== "auto") return backend;
  return n >= threshold && unsupported() === null ? "wasm" : "js";
}
