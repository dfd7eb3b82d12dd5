/**
 * Lamba's error estimate for the Euler-type SDE solvers (`EulerHeun` and `Milstein` with
 * `errorEstimate: true`), for adaptive steps over a `VirtualBrownianTree`: the two leading local
 * errors of the Euler step, bounded separately and summed componentwise,
 *
 *     |E_d| + |E_n|,   E_d = (h/2)(f(t + h, K) − f(t, y₀)),  K = y₀ + h f(t, y₀),
 *
 * E_d the drift's (Euler against the trapezoidal rule, O(h²)) and E_n the diffusion's, the
 * Milstein term ½ Σ_{j,k} (L^j g^k)(ΔW_j ΔW_k − δ_jk h) (Itô; without −δ_jk h for Stratonovich),
 * O(h) in mean square. The solvers propagate the better solution (Milstein's, or Euler–Heun's,
 * whose Heun correction is that term), so the estimate is that of the embedded Euler step, as in
 * an embedded Runge–Kutta pair with local extrapolation; `errorOrder` is 1.
 *
 * Why not Euler–Maruyama itself: with steps chosen after seeing the Brownian increment (a rejected
 * step is retried on a shorter piece of the same path), the step points are not stopping times, and
 * Euler–Maruyama's sums then converge to a different, wrong, limit; solvers that carry the
 * ½(L^j g^k)ΔW_jΔW_k term (Euler–Heun, Milstein, the order-1.5 methods) converge to the right
 * one (J. Foster and A. Jelinčič, "On the convergence of adaptive approximations for stochastic
 * differential equations", arXiv:2311.14201, 2024). Measured here on geometric Brownian motion:
 * adaptive Euler–Maruyama's mean error stays at 0.16 from rtol = atol = 10⁻² to 10⁻⁵.
 *
 * Reference: H. Lamba, "An adaptive timestepping algorithm for stochastic differential
 * equations", J. Comput. Appl. Math. 161 (2003) 417–430.
 */
import type { SDEState } from "./base.js";

/**
 * Writes |E_d| + |noise|, componentwise, into `yErr` for the step [t, t + h] (`times` = [t, h]):
 * `noise` holds E_n (n entries). Uses `state.k0` = f(t, y₀) and overwrites `state.k1` and `state.ytmp`.
 */
export function lambaEstimate(state: SDEState, times: Float64Array, y0: Float64Array, noise: Float64Array, yErr: Float64Array): void {
  const { f, args, n, k0, k1, ytmp } = state;
  const t = times[0]!;
  const h = times[1]!;
  for (let i = 0; i < n; i++) ytmp[i] = y0[i]! + h * k0[i]!;
  f(t + h, ytmp, args, k1);
  state.numFnEvals++;
  for (let i = 0; i < n; i++) yErr[i] = Math.abs(0.5 * h * (k1[i]! - k0[i]!)) + Math.abs(noise[i]!);
}

/** The `errorEstimate` option of a solver's constructor: true or false (default), checked. */
export function errorEstimateOption(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new TypeError(`${what}: \`errorEstimate\` must be true or false; got ${String(value)}.`);
  return value;
}
