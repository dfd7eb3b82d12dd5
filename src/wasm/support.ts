/**
 * Whether this JavaScript engine can run odeflow's WebAssembly kernels, and the module cache.
 *
 * WebAssembly can be missing (old engines, some embedded runtimes), lack the fixed-width SIMD
 * instructions (engines before 2021), or be forbidden: a page whose Content-Security-Policy lacks
 * `'wasm-unsafe-eval'` (or `'unsafe-eval'`) makes compiling any module throw. The probe compiles
 * and runs a tiny SIMD module once; every failure means "use the JavaScript kernels".
 */

/** The outcome of the probe: available, or why not. */
export type WasmSupport = { ok: true } | { ok: false; reason: string };

let support: WasmSupport | undefined;

/**
 * A module of one function `(f64, f64) -> f64` adding its arguments through f64x2.add: it
 * validates only where SIMD is implemented, and compiling it is what a CSP forbids.
 */
const PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7c, 0x7c, 0x01, 0x7c, // type (f64, f64) -> f64
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x07, 0x05, 0x01, 0x01, 0x61, 0x00, 0x00, // export "a"
  0x0a, 0x12, 0x01, 0x10, 0x00, // code: one body of 16 bytes, no locals
  0x20, 0x00, 0xfd, 0x14, // local.get 0; f64x2.splat
  0x20, 0x01, 0xfd, 0x14, // local.get 1; f64x2.splat
  0xfd, 0xf0, 0x01, // f64x2.add
  0xfd, 0x21, 0x00, // f64x2.extract_lane 0
  0x0b, // end
]);

/** Probes `wa` (the global WebAssembly object by default) for what the kernels need. */
export function probeWasm(wa: unknown = (globalThis as { WebAssembly?: unknown }).WebAssembly): WasmSupport {
  if (wa === undefined || wa === null) return { ok: false, reason: "WebAssembly is not available in this JavaScript engine" };
  const W = wa as typeof WebAssembly;
  try {
    if (!W.validate(PROBE)) return { ok: false, reason: "this engine's WebAssembly has no SIMD (f64x2) instructions" };
    const inst = new W.Instance(new W.Module(PROBE), {});
    if ((inst.exports.a as (x: number, y: number) => number)(0.5, 0.25) !== 0.75) {
      return { ok: false, reason: "this engine's WebAssembly SIMD computed a wrong result" };
    }
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      reason: `compiling WebAssembly is not allowed here (${e instanceof Error ? e.message : String(e)}); ` +
        "a Content-Security-Policy needs 'wasm-unsafe-eval' for it",
    };
  }
}

/** Whether the WebAssembly kernels can run here (probed once). */
export function wasmSupport(): WasmSupport {
  return (support ??= probeWasm());
}

/**
 * @internal For tests: replaces the probed support (undefined: probe again), so that the
 * JavaScript fallback can be exercised in an engine that has WebAssembly.
 */
export function overrideWasmSupport(s: WasmSupport | undefined): void {
  support = s;
}

/**
 * Compiles a module synchronously. Browsers limit synchronous compilation on the main thread
 * (Chromium: 8 MB); the kernels of a method are a few kilobytes, a fused vector field of a large
 * problem can be more.
 */
export function compileModule(bytes: Uint8Array): WebAssembly.Module {
  return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
}
