// Exact solutions of linear delay equations with constant coefficients and a constant history, by
// the method of steps in polynomial arithmetic: with every delay a multiple of a grid spacing d and
// a constant history, the solution is a polynomial on each [k d, (k + 1) d], and integrating the
// delayed pieces gives it exactly (up to the rounding of the coefficients). Used as the reference
// for MATLAB's dde23 example ddex1 and for y' = −y(t − 1).

/** A polynomial in the local variable u = t − t_k, coefficients by ascending power. */
type Poly = number[];

function integrate(p: Poly, c0: number): Poly {
  return [c0, ...p.map((a, i) => a / (i + 1))];
}

function add(a: Poly, b: Poly, sb = 1): Poly {
  const out = new Array<number>(Math.max(a.length, b.length)).fill(0);
  for (let i = 0; i < a.length; i++) out[i]! += a[i]!;
  for (let i = 0; i < b.length; i++) out[i]! += sb * b[i]!;
  return out;
}

function evalPoly(p: Poly, u: number): number {
  let acc = 0;
  for (let i = p.length - 1; i >= 0; i--) acc = acc * u + p[i]!;
  return acc;
}

/**
 * y′ᵢ(t) = Σ_terms coef · y_src(t − lag·d) (lag ≥ 0 in grid units; lag 0 reads y_src(t) itself,
 * allowed only for components already integrated on the interval, in the order given), y = history
 * for t ≤ 0, on [0, K d]. Returns y(t) for t in [0, K d].
 */
export function linearDde(
  n: number,
  d: number,
  K: number,
  history: number[],
  terms: { dst: number; src: number; lag: number; coef: number }[][],
): (t: number) => number[] {
  // pieces[i][k]: component i on interval k.
  const pieces: Poly[][] = Array.from({ length: n }, () => []);
  const piece = (i: number, k: number): Poly => (k < 0 ? [history[i]!] : pieces[i]![k]!);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) {
      let rhs: Poly = [0];
      for (const term of terms[i]!) rhs = add(rhs, piece(term.src, k - term.lag).map((c) => c * term.coef));
      const start = k === 0 ? history[i]! : evalPoly(pieces[i]![k - 1]!, d);
      // Integrate in the local variable u ∈ [0, d]: y(t_k + u) = y(t_k) + ∫₀ᵘ rhs.
      pieces[i]![k] = integrate(rhs, start);
    }
  }
  return (t: number) => {
    const k = Math.min(K - 1, Math.max(0, Math.floor(t / d + 1e-12)));
    return Array.from({ length: n }, (_, i) => evalPoly(pieces[i]![k]!, t - k * d));
  };
}
