/**
 * Problems of the large-systems benchmark, in plain JavaScript as a user would write them (no
 * compile, no pattern given: odeflow detects the sparsity): the 2-D Brusselator of
 * test/stiff/bruss2d.ts, and POLLU replicated over independent cells.
 *
 * POLLU: J. G. Verwer, "Gauss–Seidel iteration for stiff ODEs from chemical kinetics", SIAM J. Sci.
 * Comput. 15(5) (1994) 1243–1259; F. Mazzia & F. Iavernaro, Test Set for IVP Solvers (University of
 * Bari), problem POLLU: 20 species, 25 reactions with rate constants from 1e-3 to 4e11, t ∈ [0, 60].
 * The published reference y(60) (the test set's `solut`, RADAU5 in quadruple precision) holds in
 * every cell. Cell-major layout, y[20 c + s], as bench/c/cvode_large.c and bench/lib/bruss2d_scipy.py.
 */
import { brusselator2d } from "../../test/stiff/bruss2d.js";

export interface LargeProblem {
  name: string;
  n: number;
  t1: number;
  y0: Float64Array;
  f: (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
}

export function bruss2dProblem(N: number): LargeProblem {
  const p = brusselator2d(N);
  return { name: `BRUSS2D N=${N}`, n: p.n, t1: p.t1, y0: p.y0, f: p.f };
}

const K = [0.35, 0.266e2, 0.123e5, 0.86e-3, 0.82e-3, 0.15e5, 0.13e-3, 0.24e5, 0.165e5, 0.9e4, 0.22e-1, 0.12e5, 0.188e1,
  0.163e5, 0.48e7, 0.35e-3, 0.175e-1, 0.1e9, 0.444e12, 0.124e4, 0.21e1, 0.578e1, 0.474e-1, 0.178e4, 0.312e1] as const;
const POLLU_Y0 = [0, 0.2, 0, 0.04, 0, 0, 0.1, 0.3, 0.01, 0, 0, 0, 0, 0, 0, 0, 0.007, 0, 0, 0];

/** POLLU's published y(60) (Bari test set, `solut` of pollu.f). */
export const POLLU_REFERENCE = [
  0.5646255480022769e-1, 0.1342484130422339, 0.4139734331099427e-8, 0.5523140207484359e-2, 0.2018977262302196e-6,
  0.1464541863493966e-6, 0.7784249118997964e-1, 0.3245075353396018, 0.7494013383880406e-2, 0.1622293157301561e-7,
  0.1135863833257075e-7, 0.2230505975721359e-2, 0.2087162882798630e-3, 0.1396921016840158e-4, 0.8964884856898295e-2,
  0.4352846369330103e-17, 0.6899219696263405e-2, 0.1007803037365946e-3, 0.1772146513969984e-5, 0.5682943292316392e-4,
];

export function polluProblem(cells: number): LargeProblem {
  const n = 20 * cells;
  const y0 = new Float64Array(n);
  for (let c = 0; c < cells; c++) for (let s = 0; s < 20; s++) y0[20 * c + s] = POLLU_Y0[s]!;
  const f = (_t: number, y: Float64Array, _a: unknown, dy: Float64Array): void => {
    for (let c = 0; c < cells; c++) {
      const o = 20 * c;
      const y1 = y[o]!, y2 = y[o + 1]!, y3 = y[o + 2]!, y4 = y[o + 3]!, y5 = y[o + 4]!, y6 = y[o + 5]!, y7 = y[o + 6]!;
      const y9 = y[o + 8]!, y10 = y[o + 9]!, y11 = y[o + 10]!, y13 = y[o + 12]!, y14 = y[o + 13]!, y16 = y[o + 15]!;
      const y17 = y[o + 16]!, y19 = y[o + 18]!, y20 = y[o + 19]!;
      const r1 = K[0] * y1, r2 = K[1] * y2 * y4, r3 = K[2] * y5 * y2, r4 = K[3] * y7, r5 = K[4] * y7;
      const r6 = K[5] * y7 * y6, r7 = K[6] * y9, r8 = K[7] * y9 * y6, r9 = K[8] * y11 * y2, r10 = K[9] * y11 * y1;
      const r11 = K[10] * y13, r12 = K[11] * y10 * y2, r13 = K[12] * y14, r14 = K[13] * y1 * y6, r15 = K[14] * y3;
      const r16 = K[15] * y4, r17 = K[16] * y4, r18 = K[17] * y16, r19 = K[18] * y16, r20 = K[19] * y17 * y6;
      const r21 = K[20] * y19, r22 = K[21] * y19, r23 = K[22] * y1 * y4, r24 = K[23] * y19 * y1, r25 = K[24] * y20;
      dy[o] = -r1 - r10 - r14 - r23 - r24 + r2 + r3 + r9 + r11 + r12 + r22 + r25;
      dy[o + 1] = -r2 - r3 - r9 - r12 + r1 + r21;
      dy[o + 2] = -r15 + r1 + r17 + r19 + r22;
      dy[o + 3] = -r2 - r16 - r17 - r23 + r15;
      dy[o + 4] = -r3 + r4 + r4 + r6 + r7 + r13 + r20;
      dy[o + 5] = -r6 - r8 - r14 - r20 + r3 + r18 + r18;
      dy[o + 6] = -r4 - r5 - r6 + r13;
      dy[o + 7] = r4 + r5 + r6 + r7;
      dy[o + 8] = -r7 - r8;
      dy[o + 9] = -r12 + r7 + r9;
      dy[o + 10] = -r9 - r10 + r8 + r11;
      dy[o + 11] = r9;
      dy[o + 12] = -r11 + r10;
      dy[o + 13] = -r13 + r12;
      dy[o + 14] = r14;
      dy[o + 15] = -r18 - r19 + r16;
      dy[o + 16] = -r20;
      dy[o + 17] = r20;
      dy[o + 18] = -r21 - r22 - r24 + r23 + r25;
      dy[o + 19] = -r25 + r24;
    }
  };
  return { name: `POLLU x ${cells}`, n, t1: 60, y0, f };
}
