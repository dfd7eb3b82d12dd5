/**
 * Derivatives of a vector field for the adjoints: products with ∂f/∂y and ∂f/∂p, exact where the
 * vector field object provides them (`compile` does; users may hand-write them), finite
 * differences otherwise.
 *
 * Parameters p are the flat vector of {@link ArgsLayout}: for `args` an object, its numeric entries
 * in key order (a number one slot, an array one slot per entry); for a `Float64Array` or number
 * array, the array itself. A vector field with `argNames` (what `compile` returns) may order its
 * slots differently: they are matched by name (`"k"`, `"W[3]"`).
 */
import type { InPlaceVectorField, VectorFieldObject } from "../terms.js";
import { describeValue } from "../tree.js";

/** How `args` maps to the flat parameter vector p, and back. */
export class ArgsLayout {
  /** Number of parameters. */
  readonly size: number;
  private readonly kind: "none" | "number" | "typed" | "array" | "object";
  private readonly entries: readonly { key: string; length: number | null; offset: number }[];
  private slotNames: string[] | null = null;

  constructor(readonly args: unknown) {
    const entries: { key: string; length: number | null; offset: number }[] = [];
    let size = 0;
    if (args === undefined || args === null) {
      this.kind = "none";
    } else if (typeof args === "number") {
      this.kind = "number";
      size = 1;
    } else if (args instanceof Float64Array || (Array.isArray(args) && args.every((x) => typeof x === "number"))) {
      this.kind = args instanceof Float64Array ? "typed" : "array";
      size = (args as ArrayLike<number>).length;
    } else if (typeof args === "object") {
      this.kind = "object";
      for (const [key, v] of Object.entries(args as Record<string, unknown>)) {
        if (typeof v === "number") {
          entries.push({ key, length: null, offset: size });
          size++;
        } else if (isNumberArray(v)) {
          const m = (v as ArrayLike<number>).length;
          entries.push({ key, length: m, offset: size });
          size += m;
        }
        // Other entries (strings, functions, nested objects) are not differentiated.
      }
    } else {
      throw new TypeError(`diffeqsolveVjp: \`args\` must be an object of numbers and number arrays, a Float64Array or a number array; got ${describeValue(args)}.`);
    }
    this.entries = entries;
    this.size = size;
  }

  /** Slot names, `"k"` or `"W[3]"` (`"args[i]"` for flat args); built on first use. */
  get names(): readonly string[] {
    if (this.slotNames !== null) return this.slotNames;
    const names: string[] = [];
    if (this.kind === "number") names.push("args");
    else if (this.kind === "typed" || this.kind === "array") for (let i = 0; i < this.size; i++) names.push(`args[${i}]`);
    else {
      for (const e of this.entries) {
        if (e.length === null) names.push(e.key);
        else for (let i = 0; i < e.length; i++) names.push(`${e.key}[${i}]`);
      }
    }
    return (this.slotNames = names);
  }

  /** Copies the parameters out of `value` (shaped like `args`) into `out`. */
  flatten(value: unknown, out: Float64Array): Float64Array {
    switch (this.kind) {
      case "none":
        return out;
      case "number":
        out[0] = value as number;
        return out;
      case "typed":
      case "array":
        for (let i = 0; i < this.size; i++) out[i] = (value as ArrayLike<number>)[i]!;
        return out;
      case "object":
        for (const e of this.entries) {
          const v = (value as Record<string, unknown>)[e.key];
          if (e.length === null) out[e.offset] = v as number;
          else for (let i = 0; i < e.length; i++) out[e.offset + i] = (v as ArrayLike<number>)[i]!;
        }
        return out;
    }
  }

  /**
   * A value shaped like `args` holding `flat`: a number, a Float64Array, a number array, or an
   * object with the differentiated keys (arrays as Float64Array). `undefined` when args was absent.
   */
  unflatten(flat: ArrayLike<number>): unknown {
    switch (this.kind) {
      case "none":
        return undefined;
      case "number":
        return flat[0];
      case "typed":
        return Float64Array.from(flat);
      case "array":
        return Array.from(flat);
      case "object": {
        const out: Record<string, number | Float64Array> = {};
        for (const e of this.entries) {
          if (e.length === null) out[e.key] = flat[e.offset]!;
          else {
            const a = new Float64Array(e.length);
            for (let i = 0; i < e.length; i++) a[i] = flat[e.offset + i]!;
            out[e.key] = a;
          }
        }
        return out;
      }
    }
  }

  /** A mutable copy of args (arrays copied) and a setter of slot j, for finite differences. */
  mutableCopy(): { value: unknown; set(j: number, x: number): void; get(j: number): number } {
    const flat = this.flatten(this.args, new Float64Array(this.size));
    if (this.kind === "number") {
      const box = { value: flat[0] as unknown, set: (_j: number, x: number) => { box.value = x; }, get: () => box.value as number };
      return box;
    }
    if (this.kind === "typed" || this.kind === "array") {
      const copy = this.kind === "typed" ? Float64Array.from(flat) : Array.from(flat);
      return { value: copy, set: (j, x) => { copy[j] = x; }, get: (j) => copy[j]! };
    }
    const copy: Record<string, unknown> = { ...(this.args as Record<string, unknown>) };
    const slotKey: string[] = [];
    const slotIndex: number[] = [];
    for (const e of this.entries) {
      if (e.length === null) {
        slotKey.push(e.key);
        slotIndex.push(-1);
      } else {
        const src = copy[e.key] as ArrayLike<number>;
        copy[e.key] = ArrayBuffer.isView(src) ? (src as Float64Array).slice() : Array.from(src);
        for (let i = 0; i < e.length; i++) {
          slotKey.push(e.key);
          slotIndex.push(i);
        }
      }
    }
    return {
      value: copy,
      set: (j, x) => {
        const i = slotIndex[j]!;
        if (i < 0) copy[slotKey[j]!] = x;
        else (copy[slotKey[j]!] as number[])[i] = x;
      },
      get: (j) => {
        const i = slotIndex[j]!;
        return i < 0 ? (copy[slotKey[j]!] as number) : (copy[slotKey[j]!] as number[])[i]!;
      },
    };
  }
}

function isNumberArray(v: unknown): boolean {
  if (ArrayBuffer.isView(v)) return !(v instanceof DataView);
  return Array.isArray(v) && v.every((x) => typeof x === "number");
}

/**
 * Products with the derivatives of f at (t, y) for fixed args: `vjpY`/`vjpP` (reverse mode) and
 * `jvpY`/`jvpP` (forward mode). Exact when the vector field object has them (`vjp`, `vjpArgs`,
 * `jvp`, `jvpArgs`, or `jac`/`jacArgs`), central finite differences otherwise (about 8 correct
 * digits, n or nP extra pairs of evaluations per product).
 */
export class VectorFieldDerivatives {
  /** Number of parameters. */
  readonly nP: number;
  /** Whether every product is exact (no finite differences). */
  readonly exact: boolean;
  private readonly f: (t: number, y: Float64Array, args: unknown, dy: Float64Array) => void;
  private readonly args: unknown;
  /** perm[k]: our slot of the vector field's k-th parameter (vectors with argNames), or null. */
  private readonly perm: Int32Array | null;
  private readonly pScratch: Float64Array;
  private readonly yScratch: Float64Array;
  private readonly f1: Float64Array;
  private readonly f2: Float64Array;
  private readonly J: Float64Array | null;
  private readonly JP: Float64Array | null;
  private readonly mutable: ReturnType<ArgsLayout["mutableCopy"]> | null;
  /**
   * The vector field's `vjpBoth` when it can be called directly for {@link vjpYP} (its parameters
   * in our layout's order): one call per product, the parameter part then added to p̄ by the caller.
   */
  readonly directVjpBoth: ((t: number, y: Float64Array, args: any, w: Float64Array, outY: Float64Array, outArgs: Float64Array) => void) | null;

  /** `f`: the in-place form of `vf.f` (as the loop prepared it); defaults to `vf.f`. */
  constructor(readonly vf: VectorFieldObject, readonly n: number, readonly layout: ArgsLayout, f?: InPlaceVectorField) {
    this.f = f ?? (vf.f as InPlaceVectorField);
    this.args = layout.args;
    this.nP = layout.size;
    let perm: Int32Array | null = null;
    const nVf = vf.nArgs ?? layout.size;
    if (vf.argNames !== undefined && layout.size > 0 && (vf.vjpArgs !== undefined || vf.jvpArgs !== undefined || vf.jacArgs !== undefined || vf.vjpBoth !== undefined)) {
      perm = new Int32Array(vf.argNames.length);
      for (let k = 0; k < vf.argNames.length; k++) {
        const j = layout.names.indexOf(vf.argNames[k]!);
        if (j < 0) {
          throw new TypeError(
            `diffeqsolveVjp: the vector field's parameter \`${vf.argNames[k]}\` is not a number in \`args\` (its numeric slots are ${layout.names.join(", ") || "none"}); pass args of the shape it was compiled for.`,
          );
        }
        perm[k] = j;
      }
      let identity = true;
      for (let k = 0; k < perm.length; k++) if (perm[k] !== k) identity = false;
      if (identity && perm.length === layout.size) perm = null;
      else if (perm.length !== layout.size) {
        throw new TypeError(`diffeqsolveVjp: the vector field has ${perm.length} parameters (${vf.argNames.join(", ")}) but \`args\` has ${layout.size} numeric slots; pass only the parameters it was compiled for.`);
      }
    }
    this.perm = perm;
    this.pScratch = new Float64Array(Math.max(nVf, layout.size, 1));
    this.yScratch = new Float64Array(n);
    this.f1 = new Float64Array(n);
    this.f2 = new Float64Array(n);
    this.J = vf.vjp === undefined || vf.jvp === undefined ? (vf.jac !== undefined ? new Float64Array(n * n) : null) : null;
    const needJP = (vf.vjpArgs === undefined || vf.jvpArgs === undefined) && vf.jacArgs !== undefined;
    this.JP = needJP ? new Float64Array(n * Math.max(nVf, 1)) : null;
    const pExact = layout.size === 0 || (vf.vjpArgs !== undefined && vf.jvpArgs !== undefined) || vf.jacArgs !== undefined;
    this.exact = (vf.vjp !== undefined && vf.jvp !== undefined) || vf.jac !== undefined ? pExact : false;
    this.mutable = layout.size > 0 && !((vf.vjpArgs !== undefined && vf.jvpArgs !== undefined) || vf.jacArgs !== undefined) ? layout.mutableCopy() : null;
    this.directVjpBoth = vf.vjpBoth !== undefined && perm === null && layout.size > 0 && nVf === layout.size ? vf.vjpBoth : null;
  }

  /** out = wᵀ ∂f/∂y (length n). */
  vjpY(t: number, y: Float64Array, w: Float64Array, out: Float64Array): void {
    const vf = this.vf;
    const n = this.n;
    if (vf.vjp !== undefined) {
      vf.vjp(t, y, this.args, w, out);
      return;
    }
    if (vf.vjpBoth !== undefined) {
      vf.vjpBoth(t, y, this.args, w, out, this.pScratch);
      return;
    }
    if (this.J !== null) {
      const J = this.J;
      vf.jac!(t, y, this.args, J);
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += w[i]! * J[i * n + j]!;
        out[j] = acc;
      }
      return;
    }
    // Central differences, column by column.
    const ys = this.yScratch;
    ys.set(y);
    for (let j = 0; j < n; j++) {
      const x = y[j]!;
      const h = 1e-6 * Math.max(1, Math.abs(x));
      ys[j] = x + h;
      this.f(t, ys, this.args, this.f1);
      ys[j] = x - h;
      this.f(t, ys, this.args, this.f2);
      ys[j] = x;
      let acc = 0;
      for (let i = 0; i < n; i++) acc += w[i]! * (this.f1[i]! - this.f2[i]!);
      out[j] = acc / (2 * h);
    }
  }

  /** outY = wᵀ ∂f/∂y and pbar += wᵀ ∂f/∂p: one call of `vjpBoth` when the vector field has it. */
  vjpYP(t: number, y: Float64Array, w: Float64Array, outY: Float64Array, pbar: Float64Array): void {
    const vf = this.vf;
    if (vf.vjpBoth !== undefined && this.nP > 0) {
      const p = this.pScratch;
      vf.vjpBoth(t, y, this.args, w, outY, p);
      const perm = this.perm;
      const nP = this.nP;
      if (perm === null) for (let j = 0; j < nP; j++) pbar[j] += p[j]!;
      else for (let k = 0; k < nP; k++) pbar[perm[k]!] += p[k]!;
      return;
    }
    this.vjpY(t, y, w, outY);
    this.vjpPAdd(t, y, w, pbar);
  }

  /** out += wᵀ ∂f/∂p (length nP, our layout). */
  vjpPAdd(t: number, y: Float64Array, w: Float64Array, out: Float64Array): void {
    const nP = this.nP;
    if (nP === 0) return;
    const vf = this.vf;
    const perm = this.perm;
    const p = this.pScratch;
    if (vf.vjpArgs !== undefined) {
      vf.vjpArgs(t, y, this.args, w, p);
      if (perm === null) for (let j = 0; j < nP; j++) out[j] += p[j]!;
      else for (let k = 0; k < nP; k++) out[perm[k]!] += p[k]!;
      return;
    }
    const n = this.n;
    if (this.JP !== null) {
      const JP = this.JP;
      vf.jacArgs!(t, y, this.args, JP);
      for (let k = 0; k < nP; k++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += w[i]! * JP[i * nP + k]!;
        out[perm === null ? k : perm[k]!] += acc;
      }
      return;
    }
    const m = this.mutable!;
    for (let j = 0; j < nP; j++) {
      const x = m.get(j);
      const h = 1e-6 * Math.max(1, Math.abs(x));
      m.set(j, x + h);
      this.f(t, y, m.value, this.f1);
      m.set(j, x - h);
      this.f(t, y, m.value, this.f2);
      m.set(j, x);
      let acc = 0;
      for (let i = 0; i < n; i++) acc += w[i]! * (this.f1[i]! - this.f2[i]!);
      out[j] += acc / (2 * h);
    }
  }

  /** out = (∂f/∂y) v (length n). */
  jvpY(t: number, y: Float64Array, v: Float64Array, out: Float64Array): void {
    const vf = this.vf;
    const n = this.n;
    if (vf.jvp !== undefined) {
      vf.jvp(t, y, this.args, v, out);
      return;
    }
    if (this.J !== null) {
      const J = this.J;
      vf.jac!(t, y, this.args, J);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += J[i * n + j]! * v[j]!;
        out[i] = acc;
      }
      return;
    }
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
    const ys = this.yScratch;
    for (let i = 0; i < n; i++) ys[i] = y[i]! + h * v[i]!;
    this.f(t, ys, this.args, this.f1);
    for (let i = 0; i < n; i++) ys[i] = y[i]! - h * v[i]!;
    this.f(t, ys, this.args, this.f2);
    for (let i = 0; i < n; i++) out[i] = (this.f1[i]! - this.f2[i]!) / (2 * h);
  }

  /** out += (∂f/∂p) v (v of length nP in our layout). */
  jvpPAdd(t: number, y: Float64Array, v: Float64Array, out: Float64Array): void {
    const nP = this.nP;
    if (nP === 0) return;
    const vf = this.vf;
    const n = this.n;
    const perm = this.perm;
    if (vf.jvpArgs !== undefined) {
      const p = this.pScratch;
      if (perm === null) for (let k = 0; k < nP; k++) p[k] = v[k]!;
      else for (let k = 0; k < nP; k++) p[k] = v[perm[k]!]!;
      const o = this.f1;
      vf.jvpArgs(t, y, this.args, p, o);
      for (let i = 0; i < n; i++) out[i] += o[i]!;
      return;
    }
    if (this.JP !== null) {
      const JP = this.JP;
      vf.jacArgs!(t, y, this.args, JP);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let k = 0; k < nP; k++) acc += JP[i * nP + k]! * v[perm === null ? k : perm[k]!]!;
        out[i] += acc;
      }
      return;
    }
    const m = this.mutable!;
    let vn = 0;
    for (let j = 0; j < nP; j++) vn = Math.max(vn, Math.abs(v[j]!));
    if (vn === 0) return;
    let pn = 0;
    for (let j = 0; j < nP; j++) pn = Math.max(pn, Math.abs(m.get(j)));
    const h = (1e-6 * Math.max(1, pn)) / vn;
    const x0 = this.pScratch;
    for (let j = 0; j < nP; j++) x0[j] = m.get(j);
    for (let j = 0; j < nP; j++) m.set(j, x0[j]! + h * v[j]!);
    this.f(t, y, m.value, this.f1);
    for (let j = 0; j < nP; j++) m.set(j, x0[j]! - h * v[j]!);
    this.f(t, y, m.value, this.f2);
    for (let j = 0; j < nP; j++) m.set(j, x0[j]!);
    for (let i = 0; i < n; i++) out[i] += (this.f1[i]! - this.f2[i]!) / (2 * h);
  }

  /**
   * outY += ∂/∂y and pbar += ∂/∂p of uᵀ (∂f/∂y) v at (t, y): the second-order term of adjoints
   * through methods that use the Jacobian itself (Rosenbrock). Exact from the vector field's `hvp`
   * (`compile` generates it); otherwise central differences of {@link vjpYP} along v.
   */
  hvpAdd(t: number, y: Float64Array, u: Float64Array, v: Float64Array, outY: Float64Array, pbar: Float64Array): void {
    const n = this.n;
    const nP = this.nP;
    const vf = this.vf;
    if (vf.hvp !== undefined) {
      const nVf = vf.nArgs ?? nP;
      const x = this.hvpX ?? (this.hvpX = new Float64Array(2 * n + nVf));
      const oy = this.hvpY ?? (this.hvpY = new Float64Array(n));
      const op = this.hvpP ?? (this.hvpP = new Float64Array(Math.max(nVf, 1)));
      for (let i = 0; i < n; i++) {
        x[i] = u[i]!;
        x[n + i] = v[i]!;
      }
      for (let k = 2 * n; k < x.length; k++) x[k] = 0;
      vf.hvp(t, y, this.args, x, oy, op);
      for (let i = 0; i < n; i++) outY[i] += oy[i]!;
      const perm = this.perm;
      if (perm === null) for (let k = 0; k < nP; k++) pbar[k] += op[k]!;
      else for (let k = 0; k < nP; k++) pbar[perm[k]!] += op[k]!;
      return;
    }
    let vn = 0;
    let yn = 0;
    for (let i = 0; i < n; i++) {
      vn = Math.max(vn, Math.abs(v[i]!));
      yn = Math.max(yn, Math.abs(y[i]!));
    }
    if (vn === 0) return;
    const h = (1e-5 * Math.max(1, yn)) / vn;
    const ys = this.hvpYs ?? (this.hvpYs = new Float64Array(n));
    const gy = this.hvpY ?? (this.hvpY = new Float64Array(n));
    const gp = this.hvpPp ?? (this.hvpPp = new Float64Array(Math.max(nP, 1)));
    const gm = this.hvpPm ?? (this.hvpPm = new Float64Array(Math.max(nP, 1)));
    gp.fill(0);
    gm.fill(0);
    const inv = 1 / (2 * h);
    for (let i = 0; i < n; i++) ys[i] = y[i]! + h * v[i]!;
    this.vjpYP(t, ys, u, gy, gp);
    for (let i = 0; i < n; i++) outY[i] += gy[i]! * inv;
    for (let i = 0; i < n; i++) ys[i] = y[i]! - h * v[i]!;
    this.vjpYP(t, ys, u, gy, gm);
    for (let i = 0; i < n; i++) outY[i] -= gy[i]! * inv;
    for (let k = 0; k < nP; k++) pbar[k] += (gp[k]! - gm[k]!) * inv;
  }

  /**
   * out = (d/dε) J(t, y + ε ẏ; p + ε ṗ) w: the tangent of a Jacobian product, for the discrete
   * forward mode of Rosenbrock methods. Needs the vector field's `hvp` (one call per component).
   */
  jacTangent(t: number, y: Float64Array, yDot: Float64Array, pDot: Float64Array, w: Float64Array, out: Float64Array): void {
    const n = this.n;
    const nP = this.nP;
    const vf = this.vf;
    if (vf.hvp === undefined) {
      throw new TypeError("the discrete forward mode of a Rosenbrock method needs the vector field's second derivatives (`hvp`): compile the vector field.");
    }
    const nVf = vf.nArgs ?? nP;
    const x = new Float64Array(2 * n + nVf);
    const oy = new Float64Array(n);
    const op = new Float64Array(Math.max(nVf, 1));
    const perm = this.perm;
    for (let i = 0; i < n; i++) x[n + i] = yDot[i]!;
    for (let k = 0; k < nP; k++) x[2 * n + k] = pDot[perm === null ? k : perm[k]!]!;
    // With u = e_i, hvp gives the derivative along (ẏ, ṗ) of row i of J; its product with w is out_i.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) x[j] = j === i ? 1 : 0;
      vf.hvp(t, y, this.args, x, oy, op);
      let acc = 0;
      for (let j = 0; j < n; j++) acc += oy[j]! * w[j]!;
      out[i] = acc;
    }
  }

  /** J = ∂f/∂y, row-major n × n (exact from `jac`, else column by column from `jvpY`). */
  jacY(t: number, y: Float64Array, J: Float64Array): void {
    const n = this.n;
    if (this.vf.jac !== undefined) {
      this.vf.jac(t, y, this.args, J);
      return;
    }
    const e = this.yScratchE ?? (this.yScratchE = new Float64Array(n));
    const col = this.colScratch ?? (this.colScratch = new Float64Array(n));
    for (let j = 0; j < n; j++) {
      e.fill(0);
      e[j] = 1;
      this.jvpY(t, y, e, col);
      for (let i = 0; i < n; i++) J[i * n + j] = col[i]!;
    }
  }

  /** JP = ∂f/∂p, row-major n × nP in our layout (exact from `jacArgs`, else from `jvpPAdd`). */
  jacP(t: number, y: Float64Array, JP: Float64Array): void {
    const n = this.n;
    const nP = this.nP;
    if (nP === 0) return;
    const perm = this.perm;
    if (this.vf.jacArgs !== undefined) {
      if (perm === null) {
        this.vf.jacArgs(t, y, this.args, JP);
        return;
      }
      const raw = this.JPraw ?? (this.JPraw = new Float64Array(n * nP));
      this.vf.jacArgs(t, y, this.args, raw);
      for (let i = 0; i < n; i++) for (let k = 0; k < nP; k++) JP[i * nP + (perm === null ? k : perm[k]!)] = raw[i * nP + k]!;
      return;
    }
    const e = this.pScratchE ?? (this.pScratchE = new Float64Array(nP));
    const col = this.colScratch ?? (this.colScratch = new Float64Array(n));
    for (let k = 0; k < nP; k++) {
      e.fill(0);
      e[k] = 1;
      col.fill(0);
      this.jvpPAdd(t, y, e, col);
      for (let i = 0; i < n; i++) JP[i * nP + k] = col[i]!;
    }
  }
  private yScratchE: Float64Array | null = null;
  private pScratchE: Float64Array | null = null;
  private colScratch: Float64Array | null = null;
  private JPraw: Float64Array | null = null;
  private hvpX: Float64Array | null = null;
  private hvpY: Float64Array | null = null;
  private hvpP: Float64Array | null = null;
  private hvpYs: Float64Array | null = null;
  private hvpPp: Float64Array | null = null;
  private hvpPm: Float64Array | null = null;
}
