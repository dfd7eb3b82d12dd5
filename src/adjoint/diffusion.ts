/**
 * Derivatives of an SDE's diffusion g(t, y, p) for the gradients through SDE solves: products of
 * ∂g/∂y and ∂g/∂p with vectors, g being the n × m matrix of general noise (row-major) or the n
 * entries of diagonal noise.
 *
 * Exact where the diffusion was given as a vector field object with its derivatives
 * (`new ControlTerm(compile(g, { args }), bm)`) and g has n entries (diagonal noise, or one
 * Brownian dimension); a plain function with n entries is compiled automatically where it can be
 * (exact y-derivatives, parameter derivatives by central differences); otherwise central
 * differences throughout.
 */
import { ODETerm, type ControlTerm } from "../terms.js";
import { type ArgsLayout, VectorFieldDerivatives } from "./derivatives.js";

/** Products with the derivatives of a diffusion at (t, y) for fixed args; buffers allocated once. */
export class DiffusionDerivatives {
  private readonly square: VectorFieldDerivatives | null;
  private readonly g: (t: number, y: Float64Array, args: unknown, out: Float64Array) => void;
  private readonly args: unknown;
  private readonly nP: number;
  private readonly ys: Float64Array;
  private readonly g1: Float64Array;
  private readonly g2: Float64Array;
  private readonly mutable: ReturnType<ArgsLayout["mutableCopy"]> | null;
  private readonly p0: Float64Array;

  constructor(term: ControlTerm, readonly n: number, readonly gSize: number, layout: ArgsLayout) {
    this.g = term.diffusion as (t: number, y: Float64Array, args: unknown, out: Float64Array) => void;
    this.args = layout.args;
    this.nP = layout.size;
    this.square = gSize === n ? new VectorFieldDerivatives(term.diffusionField ?? new ODETerm(this.g).vf, n, layout, this.g) : null;
    this.ys = new Float64Array(n);
    this.g1 = new Float64Array(gSize);
    this.g2 = new Float64Array(gSize);
    this.mutable = this.square === null && layout.size > 0 ? layout.mutableCopy() : null;
    this.p0 = new Float64Array(layout.size);
  }

  /** outY = wᵀ ∂g/∂y (w of g's size) and pbar += wᵀ ∂g/∂p. */
  vjpYP(t: number, y: Float64Array, w: Float64Array, outY: Float64Array, pbar: Float64Array): void {
    if (this.square !== null) {
      this.square.vjpYP(t, y, w, outY, pbar);
      return;
    }
    const { n, gSize, ys, g1, g2, g } = this;
    ys.set(y);
    for (let j = 0; j < n; j++) {
      const x = y[j]!;
      const h = 1e-6 * Math.max(1, Math.abs(x));
      ys[j] = x + h;
      g(t, ys, this.args, g1);
      ys[j] = x - h;
      g(t, ys, this.args, g2);
      ys[j] = x;
      let acc = 0;
      for (let i = 0; i < gSize; i++) acc += w[i]! * (g1[i]! - g2[i]!);
      outY[j] = acc / (2 * h);
    }
    const m = this.mutable;
    if (m === null) return;
    for (let k = 0; k < this.nP; k++) {
      const x = m.get(k);
      const h = 1e-6 * Math.max(1, Math.abs(x));
      m.set(k, x + h);
      g(t, y, m.value, g1);
      m.set(k, x - h);
      g(t, y, m.value, g2);
      m.set(k, x);
      let acc = 0;
      for (let i = 0; i < gSize; i++) acc += w[i]! * (g1[i]! - g2[i]!);
      pbar[k] += acc / (2 * h);
    }
  }

  /** out = (∂g/∂y) v (out of g's size). */
  jvpY(t: number, y: Float64Array, v: Float64Array, out: Float64Array): void {
    if (this.square !== null) {
      this.square.jvpY(t, y, v, out);
      return;
    }
    const { n, gSize, ys, g1, g2, g } = this;
    let vn = 0;
    let yn = 0;
    for (let i = 0; i < n; i++) {
      vn = Math.max(vn, Math.abs(v[i]!));
      yn = Math.max(yn, Math.abs(y[i]!));
    }
    if (vn === 0) {
      out.fill(0);
      return;
    }
    const h = (1e-6 * Math.max(1, yn)) / vn;
    for (let i = 0; i < n; i++) ys[i] = y[i]! + h * v[i]!;
    g(t, ys, this.args, g1);
    for (let i = 0; i < n; i++) ys[i] = y[i]! - h * v[i]!;
    g(t, ys, this.args, g2);
    for (let i = 0; i < gSize; i++) out[i] = (g1[i]! - g2[i]!) / (2 * h);
  }

  /** out += (∂g/∂p) v (v in the parameter layout, out of g's size). */
  jvpPAdd(t: number, y: Float64Array, v: Float64Array, out: Float64Array): void {
    if (this.square !== null) {
      this.square.jvpPAdd(t, y, v, out);
      return;
    }
    const m = this.mutable;
    if (m === null) return;
    const { nP, gSize, g1, g2, g } = this;
    let vn = 0;
    let pn = 0;
    for (let k = 0; k < nP; k++) {
      vn = Math.max(vn, Math.abs(v[k]!));
      pn = Math.max(pn, Math.abs(m.get(k)));
    }
    if (vn === 0) return;
    const h = (1e-6 * Math.max(1, pn)) / vn;
    const x0 = this.p0;
    for (let k = 0; k < nP; k++) x0[k] = m.get(k);
    for (let k = 0; k < nP; k++) m.set(k, x0[k]! + h * v[k]!);
    g(t, y, m.value, g1);
    for (let k = 0; k < nP; k++) m.set(k, x0[k]! - h * v[k]!);
    g(t, y, m.value, g2);
    for (let k = 0; k < nP; k++) m.set(k, x0[k]!);
    for (let i = 0; i < gSize; i++) out[i] += (g1[i]! - g2[i]!) / (2 * h);
  }
}

/** w += c λ ⊗ dW in the diffusion's layout: w_ij += c λ_i dW_j (general, n × m), or w_i += c λ_i dW_i (diagonal). */
export function addOuterNoise(w: Float64Array, c: number, lambda: Float64Array, dW: Float64Array, n: number, m: number, diagonal: boolean): void {
  if (diagonal) {
    for (let i = 0; i < n; i++) w[i] += c * lambda[i]! * dW[i]!;
    return;
  }
  for (let i = 0; i < n; i++) {
    const l = c * lambda[i]!;
    for (let j = 0; j < m; j++) w[i * m + j] += l * dW[j]!;
  }
}
