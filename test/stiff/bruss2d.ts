/**
 * The 2-D Brusselator of the large-systems tests and benchmark (Hairer & Wanner, *Solving ODEs II*,
 * §IV.10; the "bruss" problem of DifferentialEquations.jl's benchmarks, here with zero-flux
 * boundaries): N × N cells on [0, 1]², h = 1/N, cell centres (x_j, y_i) = ((j + ½)h, (i + ½)h),
 * species interleaved, y[2(iN + j)] = u, y[2(iN + j) + 1] = v;
 *   u' = 1 + u²v − 4.4u + L(u)/h² + F(t, x, y),   v' = 3.4u − u²v + L(v)/h²,
 * L the 5-point stencil (sum of the four neighbours minus 4× the cell; a neighbour outside the grid
 * is replaced by the cell itself), F = 5 on the disk (x − 0.3)² + (y − 0.6)² ≤ 0.01 for t ≥ 1.1,
 * else 0; u(0) = 22 y(1 − y)^1.5, v(0) = 27 x(1 − x)^1.5; t ∈ [0, 11.5].
 */
export interface Brusselator2D {
  readonly N: number;
  readonly n: number;
  readonly t1: number;
  readonly y0: Float64Array;
  /** The vector field, in place (plain JavaScript loops). */
  readonly f: (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
  /** Its IMEX split: reaction and forcing (non-stiff), and diffusion (stiff); f = reaction + diffusion. */
  readonly reaction: (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
  readonly diffusion: (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
  /** The Jacobian's pattern, row by row. */
  readonly sparsity: number[][];
}

export function brusselator2d(N: number): Brusselator2D {
  const n = 2 * N * N;
  const h = 1 / N;
  const inv = 1 / (h * h);
  const disk = new Uint8Array(N * N);
  const y0 = new Float64Array(n);
  for (let i = 0; i < N; i++) {
    const yc = (i + 0.5) * h;
    for (let j = 0; j < N; j++) {
      const xc = (j + 0.5) * h;
      const c = i * N + j;
      disk[c] = (xc - 0.3) ** 2 + (yc - 0.6) ** 2 <= 0.01 ? 1 : 0;
      y0[2 * c] = 22 * yc * (1 - yc) ** 1.5;
      y0[2 * c + 1] = 27 * xc * (1 - xc) ** 1.5;
    }
  }
  const f = (t: number, y: Float64Array, _args: unknown, dy: Float64Array): void => {
    const forced = t >= 1.1;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const c = i * N + j;
        const k = 2 * c;
        const u = y[k]!;
        const v = y[k + 1]!;
        const up = i > 0 ? k - 2 * N : k;
        const dn = i < N - 1 ? k + 2 * N : k;
        const lf = j > 0 ? k - 2 : k;
        const rt = j < N - 1 ? k + 2 : k;
        const uuv = u * u * v;
        dy[k] = 1 + uuv - 4.4 * u + inv * (y[up]! + y[dn]! + y[lf]! + y[rt]! - 4 * u) + (forced && disk[c] === 1 ? 5 : 0);
        dy[k + 1] = 3.4 * u - uuv + inv * (y[up + 1]! + y[dn + 1]! + y[lf + 1]! + y[rt + 1]! - 4 * v);
      }
    }
  };
  const reaction = (t: number, y: Float64Array, _args: unknown, dy: Float64Array): void => {
    const forced = t >= 1.1;
    for (let c = 0; c < N * N; c++) {
      const u = y[2 * c]!;
      const v = y[2 * c + 1]!;
      const uuv = u * u * v;
      dy[2 * c] = 1 + uuv - 4.4 * u + (forced && disk[c] === 1 ? 5 : 0);
      dy[2 * c + 1] = 3.4 * u - uuv;
    }
  };
  const diffusion = (_t: number, y: Float64Array, _args: unknown, dy: Float64Array): void => {
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const k = 2 * (i * N + j);
        const up = i > 0 ? k - 2 * N : k;
        const dn = i < N - 1 ? k + 2 * N : k;
        const lf = j > 0 ? k - 2 : k;
        const rt = j < N - 1 ? k + 2 : k;
        dy[k] = inv * (y[up]! + y[dn]! + y[lf]! + y[rt]! - 4 * y[k]!);
        dy[k + 1] = inv * (y[up + 1]! + y[dn + 1]! + y[lf + 1]! + y[rt + 1]! - 4 * y[k + 1]!);
      }
    }
  };
  const sparsity: number[][] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const c = i * N + j;
      for (let s = 0; s < 2; s++) {
        const row = [2 * c, 2 * c + 1];
        if (i > 0) row.push(2 * (c - N) + s);
        if (i < N - 1) row.push(2 * (c + N) + s);
        if (j > 0) row.push(2 * (c - 1) + s);
        if (j < N - 1) row.push(2 * (c + 1) + s);
        sparsity.push(row.sort((a, b) => a - b));
      }
    }
  }
  return { N, n, t1: 11.5, y0, f, reaction, diffusion, sparsity };
}
