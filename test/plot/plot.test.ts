// odeflow/plot: adaptive sampling checked against closed forms, lines broken at events, tick
// labels, the layout (equal aspect, nothing overlapping) and the SVG/PNG renderers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Dopri5, Event, ODETerm, PIDController, Rodas5P, SaveAt, Tsit5, compile, diffeqsolve } from "../../src/index.js";
import {
  echartsOption, formatTick, layoutFigure, logTicks, plotSolution, renderPNG, renderSVG, sampleSolution, solutionFigure, type Figure,
} from "../../src/plot/index.js";

const tight = new PIDController({ rtol: 1e-8, atol: 1e-10 });

/** y' = k / (1 + k²(t − 1/2)²), y(0) = −atan(k/2): y = atan(k(t − 1/2)), a front of width 1/k at t = 1/2. */
function front(k: number, saveat: SaveAt) {
  const f = (t: number, y: Float64Array, a: unknown, dy: Float64Array): void => { dy[0] = k / (1 + k * k * (t - 0.5) * (t - 0.5)); };
  return diffeqsolve({ terms: new ODETerm(f), solver: new Tsit5(), t0: 0, t1: 1, y0: [-Math.atan(k / 2)], saveat, stepsizeController: tight });
}

/** Largest vertical distance between the polyline through (t, y) and the closed form, at many times. */
function polylineError(t: Float64Array, y: Float64Array, exact: (t: number) => number): number {
  let worst = 0;
  for (let k = 0; k + 1 < t.length; k++) {
    for (let j = 1; j < 8; j++) {
      const s = t[k]! + ((t[k + 1]! - t[k]!) * j) / 8;
      const lin = y[k]! + ((y[k + 1]! - y[k]!) * (s - t[k]!)) / (t[k + 1]! - t[k]!);
      worst = Math.max(worst, Math.abs(lin - exact(s)));
    }
  }
  return worst;
}

test("adaptive sampling draws a steep front as the closed form has it; an even grid of as many points does not", () => {
  const k = 2000;
  const exact = (t: number): number => Math.atan(k * (t - 0.5));
  const s = sampleSolution(front(k, new SaveAt({ dense: true })), { tolerance: 1e-3 });
  assert.equal(s.source, "dense");
  // The polyline is within 1% of the range (π) of the true curve everywhere, the front included.
  const err = polylineError(s.t, s.y[0]!, exact);
  assert.ok(err < 0.03, `adaptive: the polyline is ${err} off the curve`);
  // The same number of evenly spaced output times misses the front's shape (the old playground).
  const m = s.t.length;
  const ts = Array.from({ length: m }, (_, i) => i / (m - 1));
  const even = front(k, new SaveAt({ ts }));
  const evenErr = polylineError(even.ts, even.column(0), exact);
  assert.ok(evenErr > 10 * err, `even grid of ${m} points: ${evenErr}, adaptive ${err}`);
  // Samples gather where the curve bends: within 20 front widths of t = 1/2 (2% of the interval)
  // lie more than 5 times the samples an even grid puts there.
  const near = Array.from(s.t).filter((t) => Math.abs(t - 0.5) < 20 / k).length;
  assert.ok(near > 5 * m * (40 / k), `${near} of ${m} samples near the front`);
});

test("a bouncing ball's line breaks at each impact: before it the falling velocity, after it the reversed one", () => {
  const g = 9.81;
  const f = (t: number, y: Float64Array, a: unknown, dy: Float64Array): void => { dy[0] = y[1]!; dy[1] = -g; };
  const event = new Event({ cond: (t, y) => y[0]!, direction: "down", affect: (t, y) => { y[1] = -0.9 * y[1]!; } });
  const sol = diffeqsolve({ terms: new ODETerm(f), solver: new Dopri5(), t0: 0, t1: 5, y0: [10, 0], event, saveat: new SaveAt({ dense: true }), stepsizeController: tight });
  const s = sampleSolution(sol);
  assert.equal(s.breaks.length, sol.events.length);
  // First impact at √(2h/g) with speed √(2gh) (closed form), then 0.9 of it upwards.
  const t1 = Math.sqrt(20 / g), v1 = Math.sqrt(2 * g * 10);
  const b = s.breaks[0]!;
  assert.ok(Number.isNaN(s.t[b]!) && Number.isNaN(s.y[1]![b]!));
  assert.ok(Math.abs(s.t[b - 1]! - t1) < 1e-9 && Math.abs(s.t[b + 1]! - t1) < 1e-9);
  assert.ok(Math.abs(s.y[1]![b - 1]! + v1) < 1e-7, `before: ${s.y[1]![b - 1]}`);
  assert.ok(Math.abs(s.y[1]![b + 1]! - 0.9 * v1) < 1e-7, `after: ${s.y[1]![b + 1]}`);
  // No segment joins two samples whose velocities differ by more than a smooth stretch allows.
  for (let i = 0; i + 1 < s.t.length; i++) {
    if (Number.isNaN(s.t[i]!) || Number.isNaN(s.t[i + 1]!)) continue;
    assert.ok(Math.abs(s.y[1]![i + 1]! - s.y[1]![i]!) <= g * (s.t[i + 1]! - s.t[i]!) * (1 + 1e-6) + 1e-9, `a segment crosses a jump at t = ${s.t[i]}`);
  }
  // Without dense output: the saved steps repeat the event time with the two states; broken there too.
  const steps = diffeqsolve({ terms: new ODETerm(f), solver: new Dopri5(), t0: 0, t1: 5, y0: [10, 0], event, saveat: new SaveAt({ t0: true, steps: true }), stepsizeController: tight });
  const r = sampleSolution(steps);
  assert.equal(r.source, "saved");
  assert.equal(r.breaks.length, steps.events.length);
});

test("a log time axis samples ROBER on positive, log-spaced times and resolves B's rise and fall", () => {
  const rober = compile((t: number, [a, b, c]: number[], { k1, k2, k3 }: { k1: number; k2: number; k3: number }) => [-k1 * a + k3 * b * c, k1 * a - k2 * b * b - k3 * b * c, k2 * b * b]);
  const sol = diffeqsolve({
    terms: new ODETerm(rober), solver: new Rodas5P(), t0: 0, t1: 1e11, y0: [1, 0, 0], args: { k1: 0.04, k2: 3e7, k3: 1e4 },
    saveat: new SaveAt({ dense: true }), stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-12 }), maxSteps: 100000,
  });
  const s = sampleSolution(sol, { logx: true });
  assert.ok(s.t.every((t) => t > 0));
  assert.ok(s.t[0]! < 1e-4 && s.t[s.t.length - 1] === 1e11);
  // At least 15 samples in every decade from 10⁻⁴ to 10¹⁰ (an even grid in t has none below 10⁸).
  for (let e = -4; e < 10; e++) {
    const inDecade = Array.from(s.t).filter((t) => t >= 10 ** e && t < 10 ** (e + 1)).length;
    assert.ok(inDecade >= 15, `decade 10^${e}: ${inDecade} samples`);
  }
  // B peaks near 3.65·10⁻⁵ (Hairer & Wanner, Fig. IV.1.3), around t ≈ 10⁻²…10⁻¹.
  const bmax = Math.max(...s.y[1]!);
  assert.ok(Math.abs(bmax - 3.65e-5) < 0.02e-5, `max B = ${bmax}`);
  const fig = solutionFigure(sol, { names: ["A", "B", "C"], scale: { 1: 1e4 }, logx: true });
  assert.equal(fig.series[1]!.label, "B × 10⁴");
  assert.ok(Math.abs(Math.max(...Array.from(fig.series[1]!.y).filter(Number.isFinite)) - 1e4 * bmax) < 1e-12);
  const opt = echartsOption(fig) as { xAxis: { type: string }; yAxis: { type: string } };
  assert.equal(opt.xAxis.type, "log");
  assert.equal(opt.yAxis.type, "value");
});

test("tick labels: decimals in 10⁻³ … 10⁵, powers of ten outside, SI on request, no rounding noise", () => {
  assert.equal(formatTick(1e-6), "10⁻⁶");
  assert.equal(formatTick(8e7, 2e7), "8×10⁷");
  assert.equal(formatTick(1.5e7, 5e6), "1.5×10⁷");
  assert.equal(formatTick(0.1 + 0.2, 0.1), "0.3");
  assert.equal(formatTick(1500, 500), "1500");
  assert.equal(formatTick(-0.25, 0.05), "−0.25");
  assert.equal(formatTick(5.551115123125783e-17, 0.1), "0");
  assert.equal(formatTick(2e-5, undefined, "si"), "20 µ");
  assert.equal(formatTick(1.5e6, 5e5, "si"), "1.5 M");
  assert.deepEqual(logTicks(1e-6, 1e11, 6), [1e-6, 1e-3, 1, 1e3, 1e6, 1e9]);
  assert.deepEqual(logTicks(1, 50), [1, 2, 5, 10, 20, 50]);
});

/** Boxes of the SVG's text elements (position from the transform, size estimated from the font size). */
function textBoxes(svg: string): { text: string; x0: number; x1: number; y0: number; y1: number }[] {
  const out = [];
  for (const m of svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)) {
    const attrs = m[1]!;
    const size = Number(/font-size:(\d+)px/.exec(attrs)?.[1] ?? 12);
    const [tx, ty] = (/translate\(([-\d.]+) ([-\d.]+)\)/.exec(attrs) ?? ["", "0", "0"]).slice(1).map(Number) as [number, number];
    const y = ty + Number(/ y="([-\d.]+)"/.exec(attrs)?.[1] ?? 0);
    const w = 0.62 * size * [...m[2]!].length;
    const anchor = /text-anchor="(\w+)"/.exec(attrs)?.[1] ?? "start";
    const x0 = anchor === "end" ? tx - w : anchor === "middle" ? tx - w / 2 : tx;
    out.push({ text: m[2]!, x0, x1: x0 + w, y0: y - size / 2, y1: y + size / 2 });
  }
  return out;
}

test("the SVG: no text overlaps another, the legend sits above the plot area, equal aspect holds", async () => {
  const mu = 0.012277471;
  const fig: Figure = {
    title: "An orbit", equalAspect: true, x: { label: "position y₁ (Earth–Moon distances)" }, y: { label: "position y₂ (Earth–Moon distances)" },
    series: [
      { label: "orbit", x: Array.from({ length: 400 }, (_, i) => 1.2 * Math.cos(i / 60)), y: Array.from({ length: 400 }, (_, i) => 0.6 * Math.sin(i / 60)) },
      { label: "second", dashed: true, x: [0, 1], y: [0, 0.5] },
      { kind: "points", label: "Earth", x: [-mu], y: [0] },
      { kind: "points", label: "Moon", x: [1 - mu], y: [0] },
    ],
  };
  const L = layoutFigure(fig);
  const pw = L.width - L.grid.left - L.grid.right, ph = L.height - L.grid.top - L.grid.bottom;
  assert.ok(Math.abs((L.x.max - L.x.min) / pw - (L.y.max - L.y.min) / ph) < 1e-12, "one unit has the same length on both axes");
  const svg = await renderSVG(fig);
  const boxes = textBoxes(svg).filter((b) => b.text.trim() !== "");
  for (const want of ["An orbit", "orbit", "second", "Earth", "Moon", fig.x.label, fig.y.label]) assert.ok(boxes.some((b) => b.text === want), `"${want}" is drawn`);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!, b = boxes[j]!;
      const overlap = a.x0 < b.x1 - 1 && b.x0 < a.x1 - 1 && a.y0 < b.y1 - 1 && b.y0 < a.y1 - 1;
      assert.ok(!overlap, `"${a.text}" overlaps "${b.text}"`);
    }
  }
  // Legend entries (line samples, the dashed one in pieces) lie above the plot area; markers are not in it.
  const legend = boxes.filter((b) => b.text === "orbit" || b.text === "second");
  for (const b of legend) assert.ok(b.y1 <= L.grid.top, `legend entry "${b.text}" at y ${b.y1} is above the plot (top ${L.grid.top})`);
  const opt = echartsOption(fig) as { legend: { data: { name: string; icon: string }[] } };
  assert.deepEqual(opt.legend.data.map((d) => d.name), ["orbit", "second"]);
  assert.match(opt.legend.data[1]!.icon, /M11,0/, "the dashed series has a dashed sample");
});

test("plotSolution writes an SVG and a PNG of a Solution", async () => {
  const sol = front(50, new SaveAt({ dense: true }));
  const svg = await plotSolution(sol, { names: ["u"], title: "front" });
  assert.match(svg, /^<svg[^>]*width="720"[^>]*height="480"/);
  assert.match(svg, /<path d="M[^"]{200,}"/, "the curve is drawn as a path");
  let png: Uint8Array;
  try {
    png = await plotSolution(sol, { names: ["u"], format: "png" });
  } catch (e) {
    if (/@resvg\/resvg-js/.test((e as Error).message)) return; // the optional PNG package is not installed
    throw e;
  }
  assert.deepEqual(Array.from(png.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset);
  assert.equal(view.getUint32(16), 720);
  assert.equal(view.getUint32(20), 480);
  assert.ok((await renderPNG({ x: { label: "t" }, y: { label: "y" }, series: [] }, { pixelRatio: 2 })).length > 1000);
});
