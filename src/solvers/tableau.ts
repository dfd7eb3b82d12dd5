/**
 * Butcher tableaus of explicit Runge–Kutta methods, validated when loaded.
 *
 * A method is data: `c`, the strictly lower-triangular `a`, the weights `b`, the error weights
 * `bErr = b − b̂` of an embedded pair, and an optional dense-output (continuous extension) given as
 * polynomial weights `b_i(θ)`. `defineTableau` checks the simplifying conditions that every
 * published tableau satisfies (row sums equal `c`, Σ b = 1, Σ bErr = 0, b_i(1) = b_i) so that a
 * transcription error is caught at load time rather than as a silently wrong order.
 */
import { hermiteDense } from "../interpolation/hermite.js";

/** The published data of an explicit Runge–Kutta method (see {@link defineTableau}). */
export interface TableauSpec {
  /** Name of the method, as in the literature. */
  name: string;
  /** Classical order p of the propagated solution. */
  order: number;
  /** Order p̂ of the embedded solution; omitted when the method has no error estimate. */
  embeddedOrder?: number;
  /** Nodes c_i, length s. */
  c: readonly number[];
  /** Rows a_i (a_i has i entries: a_{i,0} … a_{i,i−1}); a_0 is empty. */
  a: readonly (readonly number[])[];
  /** Weights b_i, length s. */
  b: readonly number[];
  /** Error weights b_i − b̂_i, length s (sum 0). */
  bErr?: readonly number[];
  /**
   * A second error estimator, combined with `bErr` as in Hairer's DOP853:
   * err = ‖e‖² / √(‖e‖² + 0.01 ‖e₂‖²).
   */
  bErr2?: readonly number[];
  /** First same as last: c_{s−1} = 1 and a_{s−1} = b, so the last stage is f(t1, y1). */
  fsal: boolean;
  /**
   * A continuous extension y(t0 + θ dt) = y0 + dt Σ_i b_i(θ) k_i. Stages are indexed
   * [k_0 … k_{s−1}], then (non-FSAL methods only) f1 = f(t1, y1) at index s, then the `extra`
   * stages in order. Omitted: cubic Hermite interpolation from y0, y1, f0, f1.
   */
  dense?: {
    /** Order of the interpolant. */
    order: number;
    /** `bTheta[i][p]` is the coefficient of θ^(p+1) in b_i(θ). */
    bTheta: readonly (readonly number[])[];
    /** Extra stages evaluated lazily, only when dense output is asked for in a step. */
    extra?: { c: readonly number[]; a: readonly (readonly number[])[] };
  };
  /** Citation for the coefficients. */
  source: string;
}

/** A validated tableau with precomputed fields used by the stepper. */
export interface Tableau {
  readonly name: string;
  readonly order: number;
  readonly embeddedOrder: number | undefined;
  /** Number of stages s. */
  readonly stages: number;
  readonly c: Float64Array;
  /** a_{i,j} packed row-major into an s × s array (zeros above the diagonal). */
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly bErr: Float64Array | undefined;
  readonly bErr2: Float64Array | undefined;
  readonly fsal: boolean;
  /** Exponent denominator for step-size control: min(p, p̂) + 1. */
  readonly errorOrder: number;
  /** Stage index that holds f(t1, y1) after an accepted step: s−1 if FSAL else s. */
  readonly f1Index: number;
  /** Dense output data (Hermite when the method has no interpolant of its own). */
  readonly dense: {
    readonly order: number;
    /** Number of stages the interpolant combines. */
    readonly stages: number;
    /** Highest power of θ. */
    readonly degree: number;
    /** `bTheta[i * degree + p]`: coefficient of θ^(p+1) in b_i(θ). */
    readonly bTheta: Float64Array;
    /** Extra stages: nodes and rows over all previous dense stages (row-major, width = stages). */
    readonly extraC: Float64Array;
    readonly extraA: Float64Array;
    /** Index of the first extra stage. */
    readonly extraStart: number;
    /** Whether the interpolant uses f1 (non-FSAL methods need it computed). */
    readonly usesF1: boolean;
  };
  readonly source: string;
}

const TOL = 1e-13;

function fail(spec: TableauSpec, what: string): never {
  throw new Error(`Tableau ${spec.name} failed validation: ${what}. The transcription of its coefficients is wrong.`);
}

function sum(xs: readonly number[]): number {
  let s = 0;
  let comp = 0;
  for (const x of xs) {
    // Kahan summation: coefficients of high-order methods are large and cancel.
    const y = x - comp;
    const t = s + y;
    comp = t - s - y;
    s = t;
  }
  return s;
}

/**
 * Validates a tableau and precomputes its packed form. Throws if the rows do not sum to `c`,
 * Σb ≠ 1, Σ bErr ≠ 0, an FSAL method's last row differs from b, or the interpolant does not
 * reproduce y1 at θ = 1.
 *
 * @example
 * ```ts
 * const heun = defineTableau({ name: "Heun", order: 2, embeddedOrder: 1, c: [0, 1], a: [[], [1]],
 *   b: [0.5, 0.5], bErr: [-0.5, 0.5], fsal: false, source: "Heun 1900" });
 * ```
 */
export function defineTableau(spec: TableauSpec): Tableau {
  const s = spec.c.length;
  if (spec.a.length !== s || spec.b.length !== s) fail(spec, "c, a and b must have the same number of stages");
  const a = new Float64Array(s * s);
  for (let i = 0; i < s; i++) {
    const row = spec.a[i]!;
    if (row.length !== i) fail(spec, `row a[${i}] must have ${i} entries, has ${row.length}`);
    const scale = Math.max(1, ...row.map(Math.abs));
    if (Math.abs(sum(row) - spec.c[i]!) > TOL * scale) fail(spec, `row a[${i}] sums to ${sum(row)}, not c[${i}] = ${spec.c[i]}`);
    for (let j = 0; j < i; j++) a[i * s + j] = row[j]!;
  }
  if (Math.abs(sum(spec.b) - 1) > TOL * 10) fail(spec, `Σb = ${sum(spec.b)}, not 1`);
  for (const [key, e] of [["bErr", spec.bErr], ["bErr2", spec.bErr2]] as const) {
    if (e === undefined) continue;
    if (e.length !== s) fail(spec, `${key} must have ${s} entries`);
    const scale = Math.max(1, ...e.map(Math.abs));
    if (Math.abs(sum(e)) > TOL * 10 * scale) fail(spec, `Σ${key} = ${sum(e)}, not 0`);
  }
  if (spec.fsal) {
    if (spec.c[s - 1] !== 1) fail(spec, "an FSAL method must have c[s-1] = 1");
    for (let j = 0; j < s - 1; j++) {
      if (Math.abs(spec.a[s - 1]![j]! - spec.b[j]!) > TOL) fail(spec, `FSAL: a[${s - 1}][${j}] differs from b[${j}]`);
    }
    if (spec.b[s - 1] !== 0) fail(spec, "FSAL: b[s-1] must be 0");
  }
  if ((spec.embeddedOrder === undefined) !== (spec.bErr === undefined)) {
    fail(spec, "embeddedOrder and bErr go together");
  }
  const f1Index = spec.fsal ? s - 1 : s;
  const dense = spec.dense ? packDense(spec, s, f1Index) : packDense({ ...spec, dense: hermiteDense(spec.b, f1Index) }, s, f1Index);
  return Object.freeze({
    name: spec.name,
    order: spec.order,
    embeddedOrder: spec.embeddedOrder,
    stages: s,
    c: Float64Array.from(spec.c),
    a,
    b: Float64Array.from(spec.b),
    bErr: spec.bErr ? Float64Array.from(spec.bErr) : undefined,
    bErr2: spec.bErr2 ? Float64Array.from(spec.bErr2) : undefined,
    fsal: spec.fsal,
    errorOrder: spec.embeddedOrder === undefined ? 0 : Math.min(spec.order, spec.embeddedOrder) + 1,
    f1Index,
    dense,
    source: spec.source,
  });
}

function packDense(spec: TableauSpec, s: number, f1Index: number): Tableau["dense"] {
  const d = spec.dense!;
  const extra = d.extra ?? { c: [], a: [] };
  const extraStart = spec.fsal ? s : s + 1;
  const stages = extraStart + extra.c.length;
  if (d.bTheta.length !== stages) fail(spec, `dense bTheta must have ${stages} rows, has ${d.bTheta.length}`);
  const degree = Math.max(...d.bTheta.map((r) => r.length));
  const bTheta = new Float64Array(stages * degree);
  for (let i = 0; i < stages; i++) {
    const row = d.bTheta[i]!;
    for (let p = 0; p < row.length; p++) bTheta[i * degree + p] = row[p]!;
    // b_i(1) must equal b_i (b_i = 0 for f1 and extra stages) so that the interpolant ends at y1.
    const at1 = sum(row as number[]);
    const bi = i < s ? spec.b[i]! : 0;
    if (Math.abs(at1 - bi) > 1e-12 * Math.max(1, ...row.map(Math.abs))) {
      fail(spec, `dense weight b_${i}(1) = ${at1}, expected b_${i} = ${bi}`);
    }
  }
  const extraC = Float64Array.from(extra.c);
  const extraA = new Float64Array(extra.c.length * stages);
  for (let e = 0; e < extra.c.length; e++) {
    const row = extra.a[e]!;
    const idx = extraStart + e;
    if (row.length > idx) fail(spec, `extra stage ${e} row must have at most ${idx} entries`);
    const scale = Math.max(1, ...row.map(Math.abs));
    if (Math.abs(sum(row as number[]) - extra.c[e]!) > TOL * 10 * scale) fail(spec, `extra stage ${e} row does not sum to its c`);
    for (let j = 0; j < row.length; j++) extraA[e * stages + j] = row[j]!;
  }
  let usesF1 = false;
  if (!spec.fsal) {
    for (let p = 0; p < degree; p++) if (bTheta[f1Index * degree + p] !== 0) usesF1 = true;
    for (let e = 0; e < extra.c.length; e++) if (extraA[e * stages + f1Index] !== 0) usesF1 = true;
  }
  return { order: d.order, stages, degree, bTheta, extraC, extraA, extraStart, usesF1 };
}
