/**
 * Sampling a Solution for a plot so that the picture shows what was solved.
 *
 * With dense output the curve is sampled adaptively: the knots are the solver's accepted step
 * ends (where the solver itself found the solution changing) together with an even grid in the
 * axis' own coordinate (log-spaced on a log time axis); each interval [a, b] is then halved while
 * the interpolant at its midpoint m lies off the chord through its ends by more than `tolerance`
 * of the plotted range, in any component:
 *
 *     |y(m) − (y(a) + y(b))/2| > tolerance · (max y − min y).
 *
 * A relaxation jump of Van der Pol that falls between two grid points is therefore found and drawn
 * with as many points as its curvature needs, and the long flat stretches cost few points. Without
 * dense output the saved rows are plotted as they are.
 *
 * Discontinuities break the line: at an event whose `affect` changed the state, the sample ends
 * with the state before the affect (from `sol.events`) at the event time, a gap (a row of NaN)
 * follows, and the next piece starts with the state after it; never a segment drawn across the
 * jump. Saved rows that repeat a time with a different state are broken the same way.
 */

/**
 * What plotting reads of a `Solution` (a structural type, so that `odeflow/plot` works with the
 * Solution of any odeflow build: ESM, CommonJS or the per-module one).
 */
export interface PlottableSolution {
  readonly t0: number;
  readonly tFinal: number;
  readonly ts: Float64Array;
  readonly ysFlat: Float64Array;
  readonly size: number;
  readonly hasDense: boolean;
  readonly events: readonly { readonly t: number; readonly y: Float64Array }[];
  evaluate(t: number, out?: Float64Array): Float64Array;
  stepTimes(): Float64Array;
}

/** Options of {@link sampleSolution}. */
export interface SampleOptions {
  /** Components to sample (indices into the state). @defaultValue all */
  components?: readonly number[];
  /**
   * Sample for a log time axis: log-spaced grid, midpoints in log t; times ≤ 0 are left out (from
   * t0 = 0 the samples start at a hundredth of the first step). @defaultValue false
   */
  logx?: boolean;
  /** Measure the chord test in log |y| where the component is positive (a log y axis). @defaultValue false */
  logy?: boolean;
  /** Points of the initial even grid (besides the step ends). @defaultValue 200 */
  points?: number;
  /** Largest allowed distance of a midpoint from the chord, as a fraction of the plotted range (1e-3: half a pixel at 500 px). @defaultValue 1e-3 */
  tolerance?: number;
  /** Most points in the result; refinement stops there. @defaultValue 20000 */
  maxPoints?: number;
}

/** Plot-ready samples of a Solution: times and one column per component, with NaN rows where a line breaks. */
export interface SampledSolution {
  /** Sample times, in the order of integration; NaN in a break row. */
  readonly t: Float64Array;
  /** One column per entry of `components`, aligned with `t`; NaN in a break row. */
  readonly y: Float64Array[];
  readonly components: readonly number[];
  /** Indices of the break rows in `t` (each sits between the two sides of a discontinuity). */
  readonly breaks: readonly number[];
  /** "dense": adaptive from the interpolant; "saved": the saved rows as they are. */
  readonly source: "dense" | "saved";
}

const DEFAULTS = { points: 200, tolerance: 1e-3, maxPoints: 20000 };

/**
 * Samples `sol` for plotting: adaptively from its dense output when it has one
 * (`SaveAt({ dense: true })`), else its saved rows; lines break at events that changed the state.
 *
 * @example
 * ```ts
 * const sol = diffeqsolve({ ..., saveat: new SaveAt({ dense: true }) });
 * const { t, y } = sampleSolution(sol, { components: [0] });   // t and y[0] for any plotting library
 * ```
 */
export function sampleSolution(sol: PlottableSolution, options: SampleOptions = {}): SampledSolution {
  const components = options.components ?? Array.from({ length: sol.size }, (_, i) => i);
  for (const c of components) {
    if (!Number.isInteger(c) || c < 0 || c >= sol.size) {
      throw new RangeError(`sampleSolution: component ${String(c)} is out of range; the solution's rows have ${sol.size} components (0 … ${sol.size - 1}).`);
    }
  }
  const points = options.points ?? DEFAULTS.points;
  const tolerance = options.tolerance ?? DEFAULTS.tolerance;
  const maxPoints = options.maxPoints ?? DEFAULTS.maxPoints;
  if (!(Number.isInteger(points) && points >= 2)) throw new RangeError(`sampleSolution: \`points\` = ${String(points)} must be a whole number ≥ 2.`);
  if (!(tolerance > 0)) throw new RangeError(`sampleSolution: \`tolerance\` = ${String(tolerance)} must be > 0 (a fraction of the plotted range, e.g. 1e-3).`);
  if (!(maxPoints >= 2)) throw new RangeError(`sampleSolution: \`maxPoints\` = ${String(maxPoints)} must be ≥ 2.`);
  // Saved rows of a SaveAt fn have their own width: the dense state then is not what was saved.
  const dense = sol.hasDense && sol.size === denseSize(sol);
  const rows = dense
    ? denseRows(sol, components, { logx: options.logx === true, logy: options.logy === true, points, tolerance, maxPoints })
    : savedRows(sol, components, options.logx === true);
  return finish(rows, components, dense ? "dense" : "saved");
}

/** Width of the dense output's state (the saved rows may be of a SaveAt fn instead). */
function denseSize(sol: PlottableSolution): number {
  return sol.evaluate(sol.t0 <= sol.tFinal ? Math.min(sol.t0, sol.tFinal) : sol.tFinal).length;
}

interface Rows {
  t: number[];
  y: number[][];
}

/** The saved rows; a repeated time with a different state (an affect) becomes a break. */
function savedRows(sol: PlottableSolution, comps: readonly number[], logx: boolean): Rows {
  const out: Rows = { t: [], y: comps.map(() => []) };
  const m = sol.ts.length;
  const w = sol.size;
  const affected = affectTimes(sol);
  for (let k = 0; k < m; k++) {
    const t = sol.ts[k]!;
    if (logx && !(t > 0)) continue;
    if (k > 0 && out.t.length > 0) {
      const prev = sol.ts[k - 1]!;
      let jump = prev === t && comps.some((c) => sol.ysFlat[(k - 1) * w + c] !== sol.ysFlat[k * w + c]);
      // An event with an affect strictly between two saved rows: the line must not join them.
      if (!jump) for (const te of affected) if ((te - prev) * (t - te) > 0) jump = true;
      if (jump) pushBreak(out);
    }
    out.t.push(t);
    comps.forEach((c, j) => out.y[j]!.push(sol.ysFlat[k * w + c]!));
  }
  return out;
}

/** Times of the events after which the state differs from the state before (an affect ran). */
function affectTimes(sol: PlottableSolution): number[] {
  if (!sol.hasDense) return sol.events.map((e) => e.t);
  const out: number[] = [];
  for (const e of sol.events) {
    if (e.t === sol.tFinal) continue; // the solve ended there: nothing follows
    const after = sol.evaluate(e.t);
    for (let i = 0; i < e.y.length; i++) if (after[i] !== e.y[i]) { out.push(e.t); break; }
  }
  return out;
}

function pushBreak(r: Rows): void {
  r.t.push(NaN);
  for (const col of r.y) col.push(NaN);
}

interface DenseSettings {
  logx: boolean;
  logy: boolean;
  points: number;
  tolerance: number;
  maxPoints: number;
}

/** Adaptive samples from the dense output, piece by piece between the discontinuities. */
function denseRows(sol: PlottableSolution, comps: readonly number[], s: DenseSettings): Rows {
  const dir = sol.tFinal >= sol.t0 ? 1 : -1;
  let lo = sol.t0;
  const hi = sol.tFinal;
  const steps = sol.stepTimes();
  if (s.logx) {
    // A log time axis from t0 = 0 starts two decades inside the first step (whose interpolant
    // covers it): what happens before the first step end is shown, not cut off.
    if (dir < 0 || !(hi > 0)) return { t: [], y: comps.map(() => []) };
    if (!(lo > 0)) lo = (steps.find((t) => t > 0) ?? hi) / 100;
  }
  const x = (t: number): number => (s.logx ? Math.log10(t) : t);
  const tOf = (v: number): number => (s.logx ? 10 ** v : v);
  // Knots: the step grid (thinned when there are more steps than the budget allows) and an even grid.
  const knots: number[] = [];
  const thin = Math.max(1, Math.ceil(steps.length / (s.maxPoints / 2)));
  for (let k = 0; k < steps.length; k += thin) knots.push(steps[k]!);
  const xa = x(lo), xb = x(hi);
  for (let i = 0; i <= s.points; i++) knots.push(tOf(xa + ((xb - xa) * i) / s.points));
  const cuts = affectTimes(sol).filter((t) => dir * (t - lo) > 0 && dir * (hi - t) > 0);
  for (const t of cuts) knots.push(t);
  knots.push(lo, hi);
  const sorted = Array.from(new Set(knots.filter((t) => dir * (t - lo) >= 0 && dir * (hi - t) >= 0))).sort((a, b) => dir * (a - b));

  // Pieces between cuts: the first sample of a piece is the state after the affect (evaluate at
  // the cut), its last the state before the next cut's affect (the event record).
  const buf = new Float64Array(denseSize(sol));
  const value = (t: number): number[] => {
    sol.evaluate(t, buf);
    return comps.map((c) => buf[c]!);
  };
  const before = new Map<number, number[]>();
  for (const e of sol.events) if (cuts.includes(e.t)) before.set(e.t, comps.map((c) => e.y[c]!));
  const pieces: { t: number[]; y: number[][] }[] = [];
  let cur: { t: number[]; y: number[][] } = { t: [], y: [] };
  for (const t of sorted) {
    const edge = before.get(t);
    if (edge !== undefined) {
      cur.t.push(t);
      cur.y.push(edge);
      pieces.push(cur);
      cur = { t: [], y: [] };
    }
    cur.t.push(t);
    cur.y.push(value(t));
  }
  pieces.push(cur);

  // Scales for the chord test: each component's range over the initial samples.
  const tr = (v: number): number => (s.logy ? (v > 0 ? Math.log10(v) : NaN) : v);
  const range = comps.map((_, j) => {
    let a = Infinity, b = -Infinity;
    for (const p of pieces) for (const row of p.y) { const v = tr(row[j]!); if (Number.isFinite(v)) { a = Math.min(a, v); b = Math.max(b, v); } }
    return b > a ? b - a : Math.max(Math.abs(a), 1e-300);
  });
  let budget = s.maxPoints - pieces.reduce((n, p) => n + p.t.length + 1, 0);
  const out: Rows = { t: [], y: comps.map(() => []) };
  pieces.forEach((p, pi) => {
    if (pi > 0) pushBreak(out);
    const emit = (t: number, y: number[]): void => {
      out.t.push(t);
      y.forEach((v, j) => out.y[j]!.push(v));
    };
    for (let k = 0; k < p.t.length; k++) {
      if (k > 0) budget = refine(p.t[k - 1]!, p.y[k - 1]!, p.t[k]!, p.y[k]!, 0, budget, emit);
      emit(p.t[k]!, p.y[k]!);
    }
  });
  return out;

  /** Emits the points strictly inside (ta, tb) that the chord test asks for; returns the budget left. */
  function refine(ta: number, ya: number[], tb: number, yb: number[], depth: number, left: number, emit: (t: number, y: number[]) => void): number {
    if (left <= 0 || depth > 40) return left;
    const tm = tOf((x(ta) + x(tb)) / 2);
    if (!(dir * (tm - ta) > 0 && dir * (tb - tm) > 0)) return left; // the interval is down to rounding
    const ym = value(tm);
    let off = false;
    for (let j = 0; j < ym.length && !off; j++) {
      const a = tr(ya[j]!), b = tr(yb[j]!), m = tr(ym[j]!);
      if (Number.isNaN(a) !== Number.isNaN(m) || Number.isNaN(b) !== Number.isNaN(m)) off = true;
      else if (Math.abs(m - (a + b) / 2) > s.tolerance * range[j]!) off = true;
    }
    if (!off) return left;
    left = refine(ta, ya, tm, ym, depth + 1, left - 1, emit);
    emit(tm, ym);
    return refine(tm, ym, tb, yb, depth + 1, left, emit);
  }
}

function finish(r: Rows, components: readonly number[], source: "dense" | "saved"): SampledSolution {
  const breaks: number[] = [];
  r.t.forEach((t, i) => { if (Number.isNaN(t)) breaks.push(i); });
  return { t: Float64Array.from(r.t), y: r.y.map((c) => Float64Array.from(c)), components, breaks, source };
}
