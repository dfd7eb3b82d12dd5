/**
 * A figure as plain data: axes (labels, log or linear, bounds), series (lines with NaN breaks, or
 * markers) and layout wishes (equal aspect, size). {@link solutionFigure} builds one from a
 * Solution; the renderers (`echartsOption`, `renderSVG`, `renderPNG`) draw any figure, so the
 * playground, the command line and your own code draw the same picture.
 */
import { sampleSolution, type PlottableSolution, type SampleOptions } from "./sample.js";
import { formatPower, type TickFormat } from "./ticks.js";

/** One axis of a {@link Figure}. */
export interface FigureAxis {
  label: string;
  /** A log₁₀ axis (values ≤ 0 are left out of the plot). @defaultValue false */
  log?: boolean;
  /** Bounds; omitted: the data's, widened to nice ticks (whole decades on a log axis). */
  min?: number;
  max?: number;
  /** How tick labels are written outside 10⁻³ … 10⁵: `8×10⁷` ("auto") or `80 M` ("si"). @defaultValue "auto" */
  format?: TickFormat;
}

/** One series of a {@link Figure}: a line (NaN in x or y breaks it) or a set of markers. */
export interface FigureSeries {
  /** Legend entry; a series without a label is not in the legend (ensemble paths). */
  label?: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** "line" (default) or "points": a marker at each point, with the label written next to it. */
  kind?: "line" | "points";
  /** CSS colour; omitted: the next colour of the palette. */
  color?: string;
  /** 0 … 1; ensembles draw many paths at 0.2 or so. @defaultValue 1 */
  opacity?: number;
  /** Line width or marker diameter in pixels. @defaultValue 1.5 for lines, 10 for markers */
  width?: number;
  dashed?: boolean;
  /** A line with a small marker at each data point (sparse data: work-precision curves). @defaultValue false */
  marks?: boolean;
}

/** A figure: what {@link echartsOption}, `renderSVG` and `renderPNG` draw. */
export interface Figure {
  title?: string;
  x: FigureAxis;
  y: FigureAxis;
  series: FigureSeries[];
  /** One unit of x as long as one unit of y (orbits, phase portraits of quantities in the same unit). @defaultValue false */
  equalAspect?: boolean;
  /** Pixels. @defaultValue 720 × 480 */
  width?: number;
  height?: number;
}

/** A marker drawn on a solution figure (a fixed point, a body of an orbit problem). */
export interface FigureMarker {
  x: number;
  y: number;
  label: string;
  color?: string;
}

/** Options of {@link solutionFigure} (and of `plotSolution`). */
export interface SolutionFigureOptions extends Omit<SampleOptions, "components" | "logx" | "logy"> {
  /** Components to plot over time. @defaultValue all */
  components?: readonly number[];
  /** Component names for the legend and the axes. @defaultValue y0, y1, … */
  names?: readonly string[];
  /**
   * Factors per component, applied before plotting and written into the legend: ROBER's
   * `{ 1: 1e4 }` shows B as "B × 10⁴" on the scale of A and C.
   */
  scale?: Readonly<Record<number, number>>;
  /** Plot component j against component i (a phase portrait) instead of the components over time. */
  phase?: readonly [number, number];
  logx?: boolean;
  logy?: boolean;
  /** @defaultValue false */
  equalAspect?: boolean;
  markers?: readonly FigureMarker[];
  title?: string;
  /** @defaultValue "t", or the name of component i in a phase portrait */
  xLabel?: string;
  /** @defaultValue the single component's name, else "y" (or the name of component j) */
  yLabel?: string;
  width?: number;
  height?: number;
}

/**
 * The figure of a Solution: its components over time (or a phase portrait), sampled by
 * {@link sampleSolution} (adaptively from dense output, broken at events).
 *
 * @example
 * ```ts
 * const fig = solutionFigure(sol, { names: ["A", "B", "C"], scale: { 1: 1e4 }, logx: true });
 * ```
 */
export function solutionFigure(sol: PlottableSolution, options: SolutionFigureOptions = {}): Figure {
  const names = (i: number): string => options.names?.[i] ?? `y${i}`;
  const factor = (i: number): number => options.scale?.[i] ?? 1;
  const label = (i: number): string => (factor(i) === 1 ? names(i) : `${names(i)} × ${formatPower(factor(i))}`);
  const sampling: SampleOptions = {
    ...(options.points === undefined ? {} : { points: options.points }),
    ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
    ...(options.maxPoints === undefined ? {} : { maxPoints: options.maxPoints }),
  };
  const scaled = (col: Float64Array, i: number): Float64Array => (factor(i) === 1 ? col : col.map((v) => v * factor(i)));
  const series: FigureSeries[] = [];
  let x: FigureAxis;
  let y: FigureAxis;
  if (options.phase !== undefined) {
    const [i, j] = options.phase;
    const s = sampleSolution(sol, { ...sampling, components: [i, j] });
    series.push({ x: scaled(s.y[0]!, i), y: scaled(s.y[1]!, j) });
    x = { label: options.xLabel ?? label(i), log: options.logx === true };
    y = { label: options.yLabel ?? label(j), log: options.logy === true };
  } else {
    const comps = options.components ?? Array.from({ length: sol.size }, (_, i) => i);
    const s = sampleSolution(sol, { ...sampling, components: comps, logx: options.logx === true, logy: options.logy === true });
    comps.forEach((c, k) => series.push({ label: label(c), x: s.t, y: scaled(s.y[k]!, c) }));
    x = { label: options.xLabel ?? "t", log: options.logx === true };
    y = { label: options.yLabel ?? (comps.length === 1 ? label(comps[0]!) : "y"), log: options.logy === true };
  }
  for (const m of options.markers ?? []) series.push({ kind: "points", label: m.label, x: [m.x], y: [m.y], ...(m.color === undefined ? {} : { color: m.color }) });
  return {
    ...(options.title === undefined ? {} : { title: options.title }),
    x, y, series,
    equalAspect: options.equalAspect === true,
    ...(options.width === undefined ? {} : { width: options.width }),
    ...(options.height === undefined ? {} : { height: options.height }),
  };
}
