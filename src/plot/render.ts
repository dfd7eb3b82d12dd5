/**
 * Static pictures of a {@link Figure}: SVG through ECharts' server-side renderer (no DOM, Node or
 * browser) and PNG from that SVG through resvg. Both libraries are optional peer dependencies of
 * `odeflow/plot`, loaded when first used: `npm install echarts` (SVG) and `@resvg/resvg-js` (PNG).
 */
import { echartsOption } from "./echarts.js";
import type { Figure } from "./figure.js";

interface EChartsLike {
  init(dom: null, theme: null, opts: { renderer: "svg"; ssr: true; width: number; height: number }): {
    setOption(option: unknown): void;
    renderToSVGString(): string;
    dispose(): void;
  };
}

let echartsModule: Promise<EChartsLike> | null = null;

async function loadECharts(): Promise<EChartsLike> {
  echartsModule ??= import("echarts").then(
    (m) => ((m as { default?: EChartsLike }).default ?? m) as unknown as EChartsLike,
    (e: unknown) => {
      echartsModule = null;
      throw new Error(`odeflow/plot: drawing SVG needs the optional package echarts (${(e as Error)?.message ?? String(e)}); install it: npm install echarts`);
    },
  );
  return echartsModule;
}

/** Options of {@link renderSVG} and {@link renderPNG}. */
export interface RenderOptions {
  /** Pixels; override the figure's. */
  width?: number;
  height?: number;
}

/**
 * The figure as an SVG document (a string). Needs the optional package `echarts`.
 *
 * @example
 * ```ts
 * writeFileSync("rober.svg", await renderSVG(solutionFigure(sol, { logx: true })));
 * ```
 */
export async function renderSVG(fig: Figure, options: RenderOptions = {}): Promise<string> {
  const echarts = await loadECharts();
  const width = options.width ?? fig.width ?? 720;
  const height = options.height ?? fig.height ?? 480;
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption(echartsOption(fig, { width, height }));
    return chart.renderToSVGString();
  } finally {
    chart.dispose(); // a chart left alive keeps Node's event loop running
  }
}

interface ResvgLike {
  Resvg: new (svg: string, opts: object) => { render(): { asPng(): Uint8Array } };
}

/**
 * The figure as a PNG image (bytes), at `pixelRatio` times its pixel size (2 for sharp text on
 * high-density screens). Needs the optional packages
 * `echarts` and `@resvg/resvg-js` (text is drawn with the system's fonts).
 */
export async function renderPNG(fig: Figure, options: RenderOptions & { pixelRatio?: number } = {}): Promise<Uint8Array> {
  const svg = await renderSVG(fig, options);
  let resvg: ResvgLike;
  try {
    const name = "@resvg/resvg-js";
    const m = (await import(/* @vite-ignore */ name)) as ResvgLike & { default?: ResvgLike };
    resvg = m.Resvg === undefined && m.default !== undefined ? m.default : m;
  } catch (e) {
    throw new Error(`odeflow/plot: drawing PNG needs the optional package @resvg/resvg-js (${(e as Error)?.message ?? String(e)}); install it: npm install @resvg/resvg-js`);
  }
  const width = (options.width ?? fig.width ?? 720) * (options.pixelRatio ?? 1);
  return new resvg.Resvg(svg, { fitTo: { mode: "width", value: Math.round(width) }, background: "white", font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
}
