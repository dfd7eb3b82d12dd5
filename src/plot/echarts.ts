/**
 * A {@link Figure} as an Apache ECharts option: plain data (no import of ECharts here), which the
 * playground hands to `chart.setOption` in the browser and `renderSVG` to ECharts' server-side
 * SVG renderer in Node.
 *
 * The layout is computed here, not left to chance: tick labels are measured (estimated at 7 px a
 * character) and the margins made wide enough for them; the y-axis label sits above the axis and
 * the x-axis label below the tick labels, so neither can collide with a tick label; the legend sits
 * in its own band above the plot (never over the curves) and shows a line sample of each series
 * (dashed where the line is dashed; markers are labelled where they stand). Equal aspect sets the bounds so that one
 * unit is as many pixels on x as on y.
 */
import type { Figure, FigureAxis, FigureSeries } from "./figure.js";
import { formatPower, formatTick, linearTicks, linearTicksWithStep, logBounds, logTicks, niceBounds } from "./ticks.js";

/** A colour-blind-safe palette (Tableau 10). */
export const PALETTE = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"];

/** An ECharts option object (`chart.setOption(option)`). */
export type EChartsOption = Record<string, unknown>;

/** Options of {@link echartsOption}. */
export interface EChartsOptionSettings {
  /**
   * Zoom with the mouse wheel and a drag box, a reset button, tooltips; ticks chosen by ECharts as
   * the view changes. Off: fixed ticks computed here (static SVG/PNG). @defaultValue false
   */
  interactive?: boolean;
  /** Overrides the figure's size (the playground passes its element's size). */
  width?: number;
  height?: number;
}

/** Where things go, in pixels, and the ticks of each axis. */
export interface FigureLayout {
  width: number;
  height: number;
  grid: { left: number; right: number; top: number; bottom: number };
  x: AxisLayout;
  y: AxisLayout;
  legendTop: number;
  titleTop: number;
}

/** An axis' bounds and ticks with their labels. */
export interface AxisLayout {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
  labels: string[];
}

const CHAR = 7; // px per character of a 12 px sans-serif label (estimate)
const LINE = 16; // px per line of 12 px text

/** Bounds of an axis' finite data (positive data on a log axis). */
function dataBounds(fig: Figure, which: "x" | "y"): [number, number] {
  const log = fig[which].log === true;
  let lo = Infinity, hi = -Infinity;
  for (const s of fig.series) {
    const v = s[which];
    for (let i = 0; i < v.length; i++) {
      const a = v[i]!;
      if (Number.isFinite(a) && (!log || a > 0)) { if (a < lo) lo = a; if (a > hi) hi = a; }
    }
  }
  if (lo > hi) return log ? [1, 10] : [0, 1];
  return [lo, hi];
}

function axisLayout(axis: FigureAxis, bounds: [number, number], exact: boolean, count: number): AxisLayout {
  const log = axis.log === true;
  let [min, max] = bounds;
  if (axis.min !== undefined) min = axis.min;
  if (axis.max !== undefined) max = axis.max;
  if (log) {
    if (!exact) [min, max] = logBounds(min, max);
    const ticks = logTicks(min, max, count);
    // Decades as powers of ten (10⁻³, 10⁰, 10³), 2× and 5× between them as numbers.
    const decades = ticks.every((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9);
    return { min, max, log, ticks, labels: ticks.map((t) => (decades && axis.format !== "si" ? formatPower(t) : formatTick(t, undefined, axis.format))) };
  }
  if (!(max > min)) [min, max] = niceBounds(min, max, count);
  // The bounds widen to the ticks' own step (a second choice of step for the widened range could
  // leave it with a single tick).
  let { ticks, step } = linearTicks(min, max, count);
  if (!exact && axis.min === undefined && axis.max === undefined && step > 0) {
    // Of the steps for count … count + 3 ticks, the one whose widened range wastes least.
    const lo = min, hi = max;
    let best = Infinity;
    for (let c = count; c <= count + 3; c++) {
      const s = linearTicks(lo, hi, c).step;
      const a = Math.floor(lo / s + 1e-9) * s, b = Math.ceil(hi / s - 1e-9) * s;
      const waste = (b - a) / (hi - lo) + 0.02 * (c - count); // a slight preference for fewer ticks
      if (waste < best) { best = waste; step = s; min = a; max = b; }
    }
    ticks = linearTicksWithStep(min, max, step);
  }
  return { min, max, log, ticks, labels: ticks.map((t) => formatTick(t, step, axis.format)) };
}

/** Plot-area margins, bounds and ticks of a figure (see the module header). */
export function layoutFigure(fig: Figure, size: { width?: number; height?: number } = {}): FigureLayout {
  const width = size.width ?? fig.width ?? 720;
  const height = size.height ?? fig.height ?? 480;
  const hasLegend = fig.series.some((s) => s.label !== undefined && s.kind !== "points");
  const titleTop = 8;
  const legendTop = fig.title !== undefined ? titleTop + LINE + 8 : titleTop;
  const legendRows = hasLegend ? legendRowCount(fig, width) : 0;
  // The y label goes in its own band above the plot area.
  const top = legendTop + legendRows * (LINE + 12) + LINE + 12;
  const bottom = 2 * LINE + 22;
  let xb = dataBounds(fig, "x");
  let yb = dataBounds(fig, "y");
  const equal = fig.equalAspect === true && fig.x.log !== true && fig.y.log !== true;
  // Margins depend on the y tick labels, which depend on the bounds: two passes settle it.
  let left = 60, right = 28;
  let x = axisLayout(fig.x, xb, false, Math.max(3, Math.round(width / 120)));
  let y = axisLayout(fig.y, yb, false, Math.max(3, Math.round(height / 80)));
  for (let pass = 0; pass < 2; pass++) {
    left = 16 + Math.max(...y.labels.map((l) => l.length * CHAR), CHAR) + 8;
    right = 16 + Math.ceil(((x.labels[x.labels.length - 1]?.length ?? 1) * CHAR) / 2);
    if (equal) {
      const pw = width - left - right, ph = height - top - bottom;
      const pad = (b: [number, number]): [number, number] => { const d = 0.04 * (b[1] - b[0] || 1); return [b[0] - d, b[1] + d]; };
      xb = pad(dataBounds(fig, "x"));
      yb = pad(dataBounds(fig, "y"));
      const s = Math.min(pw / (xb[1] - xb[0]), ph / (yb[1] - yb[0]));
      const cx = (xb[0] + xb[1]) / 2, cy = (yb[0] + yb[1]) / 2;
      xb = [cx - pw / s / 2, cx + pw / s / 2];
      yb = [cy - ph / s / 2, cy + ph / s / 2];
      x = axisLayout(fig.x, xb, true, Math.max(3, Math.round(pw / 90)));
      y = axisLayout(fig.y, yb, true, Math.max(3, Math.round(ph / 70)));
    } else if (pass === 0) {
      y = axisLayout(fig.y, yb, false, Math.max(3, Math.round((height - top - bottom) / 70)));
      x = axisLayout(fig.x, xb, false, Math.max(3, Math.round((width - left - right) / 110)));
    }
  }
  return { width, height, grid: { left, right, top, bottom }, x, y, legendTop, titleTop };
}

/** Rows the legend needs at this width (entries of sample + label, wrapped). */
function legendRowCount(fig: Figure, width: number): number {
  let rows = 1, used = 0;
  for (const s of fig.series) {
    if (s.label === undefined || s.kind === "points") continue;
    const w = 30 + 6 + s.label.length * CHAR + 16;
    if (used + w > width - 32 && used > 0) { rows++; used = 0; }
    used += w;
  }
  return Math.min(rows, 3);
}

/** Legend icons: a line sample, dashed where the line is. */
const ICON = {
  line: "path://M0,0 H30 V3 H0 Z",
  dashed: "path://M0,0 H8 V3 H0 Z M11,0 H19 V3 H11 Z M22,0 H30 V3 H22 Z",
};

/** Data as ECharts pairs; a NaN (or a value ≤ 0 on a log axis) becomes a gap. */
function pairs(s: FigureSeries, xlog: boolean, ylog: boolean): ([number, number] | null)[] {
  const n = Math.min(s.x.length, s.y.length);
  const out: ([number, number] | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const a = s.x[i]!, b = s.y[i]!;
    out[i] = Number.isFinite(a) && Number.isFinite(b) && (!xlog || a > 0) && (!ylog || b > 0) ? [a, b] : null;
  }
  return out;
}

/**
 * The ECharts option that draws `fig`.
 *
 * @example
 * ```ts
 * import * as echarts from "echarts";
 * echarts.init(element).setOption(echartsOption(solutionFigure(sol), { interactive: true }));
 * ```
 */
export function echartsOption(fig: Figure, settings: EChartsOptionSettings = {}): EChartsOption {
  const L = layoutFigure(fig, settings);
  const interactive = settings.interactive === true;
  let color = 0;
  const legend: { name: string; icon: string }[] = [];
  const series = fig.series.map((s, k) => {
    const c = s.color ?? PALETTE[color++ % PALETTE.length]!;
    const name = s.label ?? `_series${k}`;
    // Markers carry their label beside them, so the legend lists lines only.
    if (s.label !== undefined && s.kind !== "points") legend.push({ name, icon: s.dashed ? ICON.dashed : ICON.line });
    if (s.kind === "points") {
      return {
        type: "scatter", name, data: pairs(s, L.x.log, L.y.log), symbolSize: s.width ?? 10, z: 5,
        itemStyle: { color: c, borderColor: "#222", borderWidth: 1, opacity: s.opacity ?? 1 },
        label: { show: true, position: "right", formatter: s.label ?? "", color: "#222", fontSize: 12 },
        animation: false,
      };
    }
    return {
      type: "line", name, data: pairs(s, L.x.log, L.y.log), connectNulls: false, clip: true,
      ...(s.marks === true ? { showSymbol: true, symbol: "circle", symbolSize: 5, itemStyle: { color: c } } : { showSymbol: false, symbol: "none" }),
      color: c, lineStyle: { color: c, width: s.width ?? 1.5, opacity: s.opacity ?? 1, type: s.dashed ? "dashed" : "solid" },
      emphasis: { disabled: true }, silent: s.label === undefined, animation: false, progressive: 0, large: false,
    };
  });
  const axis = (a: AxisLayout, label: string, which: "x" | "y"): Record<string, unknown> => {
    const labels = new Map(a.ticks.map((t, i) => [t, a.labels[i]!]));
    // Static pictures get the ticks computed here. Interactive charts let ECharts choose linear
    // ticks as the view zooms, but keep whole decades on a log axis (ECharts' own log ticks can
    // land on uneven exponents); bounds that are not ticks get no label of their own.
    const fixed = interactive && !a.log ? {} : { customValues: a.ticks };
    // ECharts adds a label at a bound it was given when it chooses the ticks itself; hide those
    // (showMinLabel hides the first label, which there is the bound's).
    const ends = fixed === undefined || "customValues" in fixed ? {} : { showMinLabel: a.ticks.includes(a.min) ? undefined : false, showMaxLabel: a.ticks.includes(a.max) ? undefined : false };
    return {
      type: a.log ? "log" : "value", logBase: 10, min: a.min, max: a.max, scale: true, name: label,
      ...(which === "x"
        ? { nameLocation: "middle", nameGap: LINE + 14 }
        : { nameLocation: "end", nameGap: 12 }),
      nameTextStyle: which === "x" ? { fontSize: 13, color: "#222" } : { fontSize: 13, color: "#222", align: "left", verticalAlign: "bottom" },
      axisLine: { show: true, onZero: false, lineStyle: { color: "#444" } },
      axisTick: { show: true, ...fixed },
      axisLabel: {
        ...fixed, ...ends, hideOverlap: true, fontSize: 12, color: "#333",
        formatter: (v: number) => labels.get(v) ?? formatTick(v, undefined, undefined),
      },
      splitLine: { show: true, lineStyle: { color: "#e6e6e6" } },
      minorTick: { show: false },
      minorSplitLine: { show: false },
    };
  };
  return {
    animation: false,
    backgroundColor: "#ffffff",
    textStyle: { fontFamily: "DejaVu Sans, Liberation Sans, Arial, sans-serif" },
    ...(fig.title === undefined ? {} : { title: { text: fig.title, left: 12, top: L.titleTop, textStyle: { fontSize: 15, fontWeight: "normal", color: "#111" } } }),
    legend: {
      show: legend.length > 0, data: legend, top: L.legendTop, left: 16, right: 16, type: "plain", itemWidth: 30, itemHeight: 3, itemGap: 16,
      textStyle: { fontSize: 12, color: "#222" }, selectedMode: interactive,
    },
    grid: { ...L.grid, containLabel: false },
    xAxis: axis(L.x, fig.x.label, "x"),
    yAxis: axis(L.y, fig.y.label, "y"),
    series,
    ...(interactive
      ? {
        tooltip: { trigger: "item", confine: true },
        toolbox: { right: 12, top: L.titleTop - 4, feature: { dataZoom: { filterMode: "none" }, restore: {} } },
        dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "none" }, { type: "inside", yAxisIndex: 0, filterMode: "none" }],
      }
      : {}),
  };
}
