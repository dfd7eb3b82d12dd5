import { ExplicitRungeKutta, type ERKOptions } from "../erk.js";
import { defineTableau } from "../tableau.js";

const b = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];
// Shampine's continuous extension as in Hairer's DOPRI5 (CONTD5): the d_i coefficients.
const d = [
  -12715105075 / 11282082432, 0, 87487479700 / 32700410799, -10690763975 / 1880347072,
  701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423,
];

/**
 * Dense weights of DOPRI5's interpolant. Hairer writes it as
 * y(θ) = y0 + θ r2 + θ(1−θ) r3 + θ²(1−θ) r4 + θ²(1−θ)² r5 with r2 = dt Σ b k,
 * r3 = dt k_0 − r2, r4 = r2 − dt k_6 − r3 and r5 = dt Σ d k; expanding in powers of θ gives
 * b_i(θ) = b_i θ + (δ_i0 − b_i)(θ − θ²) + (2b_i − δ_i0 − δ_i6)(θ² − θ³) + d_i(θ² − 2θ³ + θ⁴).
 */
function dopri5Dense(): number[][] {
  return b.map((bi, i) => {
    const r3 = (i === 0 ? 1 : 0) - bi;
    const r4 = 2 * bi - (i === 0 ? 1 : 0) - (i === 6 ? 1 : 0);
    const r5 = d[i]!;
    return [bi + r3, -r3 + r4 + r5, -r4 - 2 * r5, r5];
  });
}

/** Tableau of the Dormand–Prince 5(4) pair with Shampine's fourth-order interpolant. */
export const DOPRI5_TABLEAU = defineTableau({
  name: "Dopri5",
  order: 5,
  embeddedOrder: 4,
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  b,
  bErr: [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40],
  fsal: true,
  dense: { order: 4, bTheta: dopri5Dense() },
  source:
    "J. R. Dormand & P. J. Prince, J. Comput. Appl. Math. 6(1) (1980) 19–26; dense output: " +
    "L. F. Shampine, Math. Comp. 46 (1986) 135–150, as in Hairer's DOPRI5 (Solving ODEs I, II.5–6).",
});

/**
 * The Dormand–Prince 5(4) pair (MATLAB's `ode45`, SciPy's `RK45`): order 5, seven stages, FSAL
 * (six new evaluations per step), embedded order 4, with Shampine's fourth-order interpolant.
 *
 * Reference: J. R. Dormand & P. J. Prince, "A family of embedded Runge–Kutta formulae",
 * J. Comput. Appl. Math. 6(1) (1980) 19–26; Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.5.
 *
 * @example
 * ```ts
 * diffeqsolve({ terms, solver: new Dopri5(), t0: 0, t1: 10, y0: [1, 0] });
 * ```
 */
export class Dopri5 extends ExplicitRungeKutta {
  constructor(options?: ERKOptions) {
    super(DOPRI5_TABLEAU, options);
  }
}
