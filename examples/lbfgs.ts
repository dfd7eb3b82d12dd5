/**
 * L-BFGS with a backtracking Armijo line search (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 * Algorithm 7.4 and §3.1), for the fitting examples: minimises a smooth loss given with its
 * gradient, which the examples compute with one `diffeqsolveVjp` and one `pullback` per call.
 */

/** A loss and its gradient at θ; may throw where the model cannot be solved (the line search then steps back). */
export type LossAndGradient = (theta: Float64Array) => { loss: number; grad: Float64Array };

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/**
 * Minimises `f` from `theta` for at most `iterations` iterations with memory `m`; stops early when
 * the gradient or the improvement vanishes. `log` receives one line per iteration.
 */
export function lbfgs(f: LossAndGradient, theta: Float64Array, iterations: number, m = 6, log: (line: string) => void = console.log): { theta: Float64Array; loss: number; iterations: number } {
  let { loss, grad } = f(theta);
  const S: Float64Array[] = [];
  const Yv: Float64Array[] = [];
  log(`iteration  0: loss ${loss.toExponential(6)}`);
  let it = 1;
  for (; it <= iterations; it++) {
    // Two-loop recursion: d = −H ∇L.
    const q = Float64Array.from(grad);
    const alphas: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dot(S[k]!, q) / dot(Yv[k]!, S[k]!);
      alphas[k] = a;
      for (let i = 0; i < q.length; i++) q[i] -= a * Yv[k]![i]!;
    }
    const gamma = S.length > 0 ? dot(S[S.length - 1]!, Yv[Yv.length - 1]!) / dot(Yv[Yv.length - 1]!, Yv[Yv.length - 1]!) : 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
    for (let i = 0; i < q.length; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const b = dot(Yv[k]!, q) / dot(Yv[k]!, S[k]!);
      for (let i = 0; i < q.length; i++) q[i] += S[k]![i]! * (alphas[k]! - b);
    }
    const d = q.map((x) => -x);
    let slope = dot(grad, d);
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      S.length = 0;
      Yv.length = 0;
      for (let i = 0; i < d.length; i++) d[i] = -grad[i]!;
      slope = dot(grad, d);
    }
    let step = 1;
    let next = theta;
    let trial = { loss: Infinity, grad };
    for (let ls = 0; ls < 30; ls++) {
      next = theta.map((x, i) => x + step * d[i]!);
      try {
        trial = f(next);
      } catch {
        trial = { loss: Infinity, grad }; // the solve failed for these parameters: step back
      }
      if (trial.loss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    const s = next.map((x, i) => x - theta[i]!);
    const y = trial.grad.map((x, i) => x - grad[i]!);
    if (dot(s, y) > 1e-12) {
      S.push(s);
      Yv.push(y);
      if (S.length > m) {
        S.shift();
        Yv.shift();
      }
    }
    const improvement = loss - trial.loss;
    theta = next;
    loss = trial.loss;
    grad = trial.grad;
    log(`iteration ${String(it).padStart(2)}: loss ${loss.toExponential(6)}  |grad| ${Math.sqrt(dot(grad, grad)).toExponential(2)}  step ${step}`);
    if (Math.sqrt(dot(grad, grad)) < 1e-8 || improvement < 1e-14 * Math.max(1, loss)) break;
  }
  return { theta, loss, iterations: Math.min(it, iterations) };
}
