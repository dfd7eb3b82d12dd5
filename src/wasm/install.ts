/** `enableWebAssembly()`: installs the WebAssembly SIMD kernels into the explicit solvers. */
import { installWasmProvider } from "../solvers/wasm-provider.js";
import { wasmWorkspace } from "./erk-backend.js";
import { wasmSupport } from "./support.js";
import { defaultWasmThreshold } from "./thresholds.js";

/**
 * Makes the WebAssembly SIMD kernels available to the explicit solvers, which then take them for
 * large states (`backend: "auto"`) or when asked (`backend: "wasm"`). The package's Node builds
 * call it when they load; call it once in a browser application built with a bundler (which
 * otherwise leaves the kernels out). Calling it again does nothing more.
 *
 * @example
 * ```ts
 * import { enableWebAssembly } from "odeflow";
 * enableWebAssembly();
 * ```
 */
export function enableWebAssembly(): void {
  installWasmProvider({ support: wasmSupport, workspace: wasmWorkspace, threshold: defaultWasmThreshold });
}
