export declare function lorenz(t: number, u: Float64Array, p: { sigma: number; rho: number; beta: number }, du: Float64Array): void;
export declare function lorenzBatch(
  t: Float64Array, u: Float64Array, p: readonly { sigma: number; rho: number; beta: number }[], du: Float64Array, m: number, B: number,
): void;
