/**
 * Helpers for the straight-line code generated from Runge–Kutta tableaus: the explicit RK step
 * kernels (erk.ts) and their discrete adjoints (adjoint/erk_adjoint.ts). The adjoint replays a
 * step bit for bit only if its stage sums are written exactly as the kernel's, so both take them
 * from here.
 */

/** Whether generated code is allowed (false under a strict Content-Security-Policy). */
let codegenAllowed: boolean | undefined;

/**
 * Whether `new Function` works here (false under a strict Content-Security-Policy); probed once.
 *
 * @example
 * ```ts
 * const kernel = canGenerate() ? generatedKernel(tab) : interpretedKernel(tab);
 * ```
 */
export function canGenerate(): boolean {
  if (codegenAllowed === undefined) {
    try {
      codegenAllowed = new Function("return 1")() === 1;
    } catch {
      codegenAllowed = false;
    }
  }
  return codegenAllowed;
}

/**
 * A double as a source literal that round-trips exactly (negative values parenthesised).
 *
 * @example
 * ```ts
 * lit(-0.5); // "(-0.5)"
 * ```
 */
export function lit(x: number): string {
  const s = String(x);
  return x < 0 ? `(${s})` : s;
}

/**
 * Σ_l coef_l * k_l[j] as source over the first `count` coefficients, dropping zero coefficients and
 * writing unit ones bare; "" when all are zero. `stage` names the stage arrays (`k0`, `k1`, …).
 *
 * @example
 * ```ts
 * linearCombination([0.5, 0, 1], 3); // "0.5 * k0[j] + k2[j]"
 * linearCombination([0.5, 0, 1], 3, "K"); // "0.5 * K0[j] + K2[j]"
 * ```
 */
export function linearCombination(coefs: ArrayLike<number>, count: number, stage = "k"): string {
  const terms: string[] = [];
  for (let l = 0; l < count; l++) {
    const a = coefs[l]!;
    if (a !== 0) terms.push(a === 1 ? `${stage}${l}[j]` : `${lit(a)} * ${stage}${l}[j]`);
  }
  return terms.join(" + ");
}
