/**
 * State sizes from which WebAssembly is faster than the generated JavaScript kernels, per method:
 * the crossovers measured by bench/wasm.bench.ts (part 2, fixed steps on y' = −k⊙y, CPU time),
 * the larger of the plain-function and compiled-field ones, as powers of two. Methods with more
 * stages amortise the fixed cost of a WebAssembly step (a few calls and bindings, about half a
 * microsecond) sooner. The one- and two-stage methods are taken as Heun. Installed with the
 * kernels (./install.ts), so that a bundle without them carries no table.
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

