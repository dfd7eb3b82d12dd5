/**
 * Complex-valued states (interleaved re/im) with explicit and implicit solvers, against the closed
 * form of a discrete Schrödinger equation, and ComplexNorm's error norm on |z|.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Complex, ComplexNorm, complexState, complexValues, ConstantStepSize, diffeqsolve, Kvaerno5, ODETerm, PIDController, Rodas5P, Tsit5,
} from "../../src/index.js";
import { ACCEPT, ERR, H, REC_SIZE, T } from "../../src/controllers/base.js";

// i ψ′ = Hψ with H = tridiag(−1, 2, −1) (N sites, Dirichlet ends): ψ′ = −iHψ. H's eigenpairs are
// λ_j = 2 − 2cos(jπ/(N+1)), v_j(i) = √(2/(N+1)) sin(ijπ/(N+1)), so ψ(t) = Σ_j ⟨v_j, ψ₀⟩ e^{−iλ_j t} v_j.
const N = 8;
const lambda = Array.from({ length: N }, (_, j) => 2 - 2 * Math.cos(((j + 1) * Math.PI) / (N + 1)));
const v = (i: number, j: number) => Math.sqrt(2 / (N + 1)) * Math.sin(((i + 1) * (j + 1) * Math.PI) / (N + 1));
const psi0: Complex[] = Array.from({ length: N }, (_, i) => ({ re: Math.exp(-((i - 3) ** 2)), im: 0.3 * (i % 3) }));
function exact(t: number): Complex[] {
  const out = psi0.map(() => ({ re: 0, im: 0 }));
  for (let j = 0; j < N; j++) {
    let cr = 0, ci = 0;
    for (let i = 0; i < N; i++) { cr += v(i, j) * psi0[i]!.re; ci += v(i, j) * psi0[i]!.im; }
    const c = Math.cos(lambda[j]! * t), s = -Math.sin(lambda[j]! * t);
    const pr = cr * c - ci * s, pi = cr * s + ci * c;
    for (let i = 0; i < N; i++) { out[i]!.re += pr * v(i, j); out[i]!.im += pi * v(i, j); }
  }
  return out;
}
/** dz = −i H z on the interleaved state: Re dz = H Im z, Im dz = −H Re z. */
const schrodinger = new ODETerm((t, z, args, dz) => {
  for (let k = 0; k < N; k++) {
    const hr = 2 * z[2 * k]! - (k > 0 ? z[2 * k - 2]! : 0) - (k < N - 1 ? z[2 * k + 2]! : 0);
    const hi = 2 * z[2 * k + 1]! - (k > 0 ? z[2 * k - 1]! : 0) - (k < N - 1 ? z[2 * k + 3]! : 0);
    dz[2 * k] = hi;
    dz[2 * k + 1] = -hr;
  }
});
const maxErr = (a: Complex[], b: Complex[]) => Math.max(...a.map((z, k) => Math.hypot(z.re - b[k]!.re, z.im - b[k]!.im)));
const norm2 = (a: Complex[]) => a.reduce((s, z) => s + z.re * z.re + z.im * z.im, 0);

test("a discrete Schrödinger equation in complex form: Tsit5, Kvaerno5 and Rodas5P against its closed form, with the error norm on |z|", () => {
  const t1 = 5;
  const want = exact(t1);
  for (const [solver, rtol, bound] of [[new Tsit5(), 1e-9, 1e-7], [new Kvaerno5(), 1e-8, 2e-6], [new Rodas5P(), 1e-8, 2e-6]] as const) {
    const sol = diffeqsolve({ terms: schrodinger, solver, t0: 0, t1, y0: complexState(psi0), stepsizeController: new ComplexNorm(new PIDController({ rtol, atol: rtol })), maxSteps: 100_000 });
    const got = complexValues(sol.ys[0]!);
    assert.ok(maxErr(got, want) < bound, `${solver.name}: error ${maxErr(got, want)}`);
    assert.ok(Math.abs(norm2(got) / norm2(psi0) - 1) < 10 * bound, `${solver.name}: |ψ|² changed by ${norm2(got) / norm2(psi0) - 1}`);
  }
  // y0 as { re, im } objects: flattened interleaved, and structured back.
  const sol = diffeqsolve({ terms: schrodinger, solver: new Tsit5(), t0: 0, t1, y0: psi0, stepsizeController: new ComplexNorm(new PIDController({ rtol: 1e-9, atol: 1e-9 })) });
  const back = sol.ysAs(0) as unknown as Complex[];
  assert.ok(maxErr(back, want) < 1e-7);
});

test("ComplexNorm: the wrapped PID controller's RMS over the 2K slots is the RMS of |e_k| / (atol + rtol·max|z_k|) over the K components", () => {
  const rtol = 1e-3, atol = 1e-6;
  const controller = new ComplexNorm(new PIDController({ rtol, atol }));
  const z0 = Float64Array.of(3, 4, 0, 1e-3), z1 = Float64Array.of(3, 4.1, -1e-3, 0), e = Float64Array.of(1e-3, 2e-3, 1e-9, 0);
  const solver = new Tsit5();
  const problem = { t0: 0, t1: 1, dir: 1, dt0: 0.1, n: 4, solver, f: () => {}, args: undefined };
  const state = controller.init(problem as never, { solverState: solver.init(() => {}, 4, undefined, schrodinger), y0: z0, f0: new Float64Array(4) });
  const rec = new Float64Array(REC_SIZE);
  rec[T] = 0;
  rec[H] = 0.1;
  assert.equal(controller.adapt(state, rec, z0, z1, e, new Float64Array(4), 0), ACCEPT);
  const scaled = [Math.hypot(1e-3, 2e-3) / (atol + rtol * Math.max(5, Math.hypot(3, 4.1))), 1e-9 / (atol + rtol * 1e-3)];
  assert.ok(Math.abs(rec[ERR]! - Math.sqrt((scaled[0]! ** 2 + scaled[1]! ** 2) / 2)) < 1e-15);
});

test("ComplexNorm keeps the relative tolerance when a real part crosses zero: z′ = iωz takes fewer steps than per-part scaling", () => {
  const term = new ODETerm((t, z, args, dz) => { dz[0] = -3 * z[1]!; dz[1] = 3 * z[0]!; });
  const steps = (controller: PIDController | ComplexNorm) => {
    const sol = diffeqsolve({ terms: term, solver: new Tsit5(), t0: 0, t1: 20, y0: [1, 0], stepsizeController: controller });
    assert.ok(Math.hypot(sol.ys[0]![0]! - Math.cos(60), sol.ys[0]![1]! - Math.sin(60)) < 1e-4);
    return sol.stats.numSteps;
  };
  const parts = steps(new PIDController({ rtol: 1e-6, atol: 1e-14 }));
  const modulus = steps(new ComplexNorm(new PIDController({ rtol: 1e-6, atol: 1e-14 })));
  assert.ok(modulus < 0.8 * parts, `steps on |z|: ${modulus}, per part: ${parts}`);
});

test("complexState / complexValues and ComplexNorm's errors", () => {
  assert.deepEqual(Array.from(complexState([{ re: 1, im: 2 }, [3, 4], 5])), [1, 2, 3, 4, 5, 0]);
  assert.deepEqual(complexValues([1, 2, 3, 4]), [{ re: 1, im: 2 }, { re: 3, im: 4 }]);
  assert.throws(() => complexState([{ re: 1 } as never]), /values\[0\] must be \{ re, im \}, \[re, im\] or a number/);
  assert.throws(() => complexValues([1, 2, 3]), /has 3 entries; an interleaved complex row has an even number/);
  assert.throws(() => new ComplexNorm({} as never), /`controller` must be a step-size controller/);
  assert.throws(() => diffeqsolve({ terms: new ODETerm((t, y, a, dy) => { dy[0] = 0; dy[1] = 0; dy[2] = 0; }), solver: new Tsit5(), t0: 0, t1: 1, y0: [1, 2, 3], stepsizeController: new ComplexNorm(new PIDController()) }),
    /ComplexNorm needs an interleaved complex state \[Re z₀, Im z₀, …\] of even length; the state has 3 components/);
  // Fixed steps pass through.
  const sol = diffeqsolve({ terms: schrodinger, solver: new Tsit5(), t0: 0, t1: 1, dt0: 0.01, y0: complexState(psi0), stepsizeController: new ComplexNorm(new ConstantStepSize()) });
  assert.equal(sol.stats.numSteps, 100);
});
