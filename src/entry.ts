/**
 * The entry of the package's Node builds (dist/index.js, dist/index.cjs): the public surface of
 * ./index.ts, with the WebAssembly SIMD kernels installed, so that large states take them by
 * themselves. (The per-module build for bundlers, dist/esm/, enters at ./index.ts and leaves the
 * kernels out unless the application calls `enableWebAssembly()`.)
 * @packageDocumentation
 */
import { enableWebAssembly } from "./wasm/install.js";

export * from "./index.js";

enableWebAssembly();
