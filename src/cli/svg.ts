/**
 * A tiny SVG line-plot writer for the command line and the examples (no dependencies): one or more polylines with
 * axes, ticks and a title. Not part of the library's public surface.
 */

export interface Series {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  label?: string;
  color?: string;
  /** Draw the line dashed (for example to tell other libraries' results from ours). */
  dashed?: boolean;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Keep one unit of x the same length as one unit of y (for orbits and phase portraits). */
  equalAspect?: boolean;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12 * span; v += step) ticks.push(Math.abs(v) < 1e-14 * span ? 0 : v);
  return ticks;
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Renders the series as an SVG document string. */
export function linePlot(series: Series[], options: PlotOptions): string {
  const W = options.width ?? 720;
  const H = options.height ?? 540;
  const m = { left: 70, right: 20, top: 40, bottom: 55 };
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      xmin = Math.min(xmin, s.x[i]!); xmax = Math.max(xmax, s.x[i]!);
      ymin = Math.min(ymin, s.y[i]!); ymax = Math.max(ymax, s.y[i]!);
    }
  }
  const padX = 0.04 * (xmax - xmin || 1), padY = 0.04 * (ymax - ymin || 1);
  xmin -= padX; xmax += padX; ymin -= padY; ymax += padY;
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  if (options.equalAspect) {
    const sx = pw / (xmax - xmin), sy = ph / (ymax - ymin);
    if (sx > sy) { const c = (xmin + xmax) / 2, half = pw / sy / 2; xmin = c - half; xmax = c + half; }
    else { const c = (ymin + ymax) / 2, half = ph / sx / 2; ymin = c - half; ymax = c + half; }
  }
  const X = (v: number): number => m.left + ((v - xmin) / (xmax - xmin)) * pw;
  const Y = (v: number): number => m.top + ph - ((v - ymin) / (ymax - ymin)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${escape(options.title)}</text>`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  for (const t of niceTicks(xmin, xmax)) {
    out.push(`<line x1="${X(t)}" y1="${m.top + ph}" x2="${X(t)}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${X(t)}" y="${m.top + ph + 18}" text-anchor="middle">${+t.toPrecision(6)}</text>`);
  }
  for (const t of niceTicks(ymin, ymax)) {
    out.push(`<line x1="${m.left - 5}" y1="${Y(t)}" x2="${m.left}" y2="${Y(t)}" stroke="#333"/>`);
    out.push(`<text x="${m.left - 8}" y="${Y(t) + 4}" text-anchor="end">${+t.toPrecision(6)}</text>`);
  }
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escape(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`);
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const pts: string[] = [];
    for (let i = 0; i < s.x.length; i++) pts.push(`${X(s.x[i]!).toFixed(2)},${Y(s.y[i]!).toFixed(2)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.2"${s.dashed ? ' stroke-dasharray="5 3"' : ""} points="${pts.join(" ")}"/>`);
    if (s.label) {
      out.push(`<text x="${m.left + pw - 10}" y="${m.top + 18 + 16 * k}" text-anchor="end" fill="${color}">${escape(s.label)}</text>`);
    }
  });
  out.push("</svg>");
  return out.join("\n");
}
