/**
 * `odeflow/plot`: pictures of solutions that show what was solved.
 *
 * - {@link sampleSolution}: plot-ready samples of a Solution (adaptive from dense output, lines
 *   broken at events); hand them to any plotting library. No dependency.
 * - {@link solutionFigure}: a {@link Figure} (axes, log scales, equal aspect, markers, legend
 *   labels) from a Solution; {@link echartsOption}: that figure as an Apache ECharts option for an
 *   interactive chart in the browser. No dependency.
 * - {@link plotSolution} / {@link renderSVG} / {@link renderPNG}: static SVG or PNG files, through
 *   the optional peer dependencies `echarts` (and `@resvg/resvg-js` for PNG).
 *
 * @example
 * ```ts
 * import { plotSolution } from "odeflow/plot";
 * const sol = diffeqsolve({ ..., saveat: new SaveAt({ dense: true }) });
 * writeFileSync("solution.svg", await plotSolution(sol, { names: ["x", "v"] }));
 * ```
 * @packageDocumentation
 * @module odeflow/plot
 */
import { solutionFigure, type SolutionFigureOptions } from "./figure.js";
import type { PlottableSolution } from "./sample.js";
import { renderPNG, renderSVG } from "./render.js";

export { sampleSolution, type PlottableSolution, type SampleOptions, type SampledSolution } from "./sample.js";
export { solutionFigure, type Figure, type FigureAxis, type FigureSeries, type FigureMarker, type SolutionFigureOptions } from "./figure.js";
export { echartsOption, layoutFigure, PALETTE, type EChartsOption, type EChartsOptionSettings, type FigureLayout, type AxisLayout } from "./echarts.js";
export { renderSVG, renderPNG, type RenderOptions } from "./render.js";
export { formatTick, linearTicks, logTicks, type TickFormat } from "./ticks.js";

/**
 * A Solution as an SVG document (or PNG bytes with `format: "png"`): its components over time, or
 * a phase portrait with `phase: [i, j]`. Sampled adaptively from dense output
 * (`SaveAt({ dense: true })`), else from the saved rows. Needs the optional package `echarts`
 * (and `@resvg/resvg-js` for PNG).
 *
 * @example
 * ```ts
 * const svg = await plotSolution(sol, { names: ["A", "B", "C"], scale: { 1: 1e4 }, logx: true, title: "ROBER" });
 * ```
 */
export function plotSolution(sol: PlottableSolution, options: SolutionFigureOptions & { format: "png"; pixelRatio?: number }): Promise<Uint8Array>;
export function plotSolution(sol: PlottableSolution, options?: SolutionFigureOptions & { format?: "svg" }): Promise<string>;
export async function plotSolution(sol: PlottableSolution, options: SolutionFigureOptions & { format?: "svg" | "png"; pixelRatio?: number } = {}): Promise<string | Uint8Array> {
  const { format, pixelRatio, ...rest } = options;
  const fig = solutionFigure(sol, rest);
  return format === "png" ? renderPNG(fig, pixelRatio === undefined ? {} : { pixelRatio }) : renderSVG(fig);
}
