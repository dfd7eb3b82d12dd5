/**
 * The playground page: a form (gallery, vector field, event, settings), a Web Worker that solves
 * (cancellable, with progress), two interactive Apache ECharts plots (components over time, phase
 * portrait; zoom, log axes, equal aspect) drawn from the figures odeflow/plot builds, the solve's
 * statistics, and share links. What was plotted is kept on `window.playground` for the
 * end-to-end test.
 *
 * Nothing stale is shown: a solve clears the previous plots and statistics when it starts, an
 * error clears what it replaces, and editing the form after a solve greys the result out until
 * the next solve.
 */
import { LineChart, ScatterChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, TitleComponent, ToolboxComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { echartsOption, PALETTE } from "../../src/plot/echarts.js";
import type { Figure, FigureSeries } from "../../src/plot/figure.js";
import { formatPower } from "../../src/plot/ticks.js";
import { GALLERY, type Example, type View } from "./gallery.js";
import { setupGpuPanel } from "./gpu.js";
import { decodeLink, encodeLink, type Shared } from "./link.js";
import { MAX_PATHS, SOLVERS, type RunResult, type Samples } from "./run.js";

echarts.use([LineChart, ScatterChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, ToolboxComponent, DataZoomComponent, CanvasRenderer]);

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const input = (id: string): HTMLInputElement => $<HTMLInputElement>(id);

interface PlaygroundState {
  status: "idle" | "running" | "done" | "error" | "cancelled";
  /** The gallery entry shown, "link" for a shared problem. */
  example: string;
  spec: Shared | null;
  result: RunResult | null;
  error: { where: string; message: string; line: number; column: number; fix: string } | null;
  /** The figures handed to the charts (null: nothing plotted). */
  figures: { time: Figure | null; phase: Figure | null };
  /** Requests answered (done, failed or cancelled). */
  runs: number;
  progress: { fraction: number; t: number };
  charts: { time: echarts.ECharts; phase: echarts.ECharts };
  stale: boolean;
}
const charts = { time: echarts.init($("plot-time")), phase: echarts.init($("plot-phase")) };
const state: PlaygroundState = {
  status: "idle", example: "", spec: null, result: null, error: null, figures: { time: null, phase: null }, runs: 0,
  progress: { fraction: 0, t: 0 }, charts, stale: false,
};
(window as unknown as { playground: PlaygroundState }).playground = state;

const worker = new Worker(new URL("./worker.js", import.meta.url));
let requestId = 0;
/** The view settings that are not checkboxes: scale factors and markers (from the gallery or a link). */
let view: View = {};
let names: string[] = [];

function fillSolvers(): void {
  const sel = $<HTMLSelectElement>("solver");
  for (const [group, list] of Object.entries(SOLVERS)) {
    const og = document.createElement("optgroup");
    og.label = group === "nonstiff" ? "non-stiff (explicit)" : group === "stiff" ? "stiff (implicit, exact Jacobian)" : "SDE";
    for (const name of list) og.append(new Option(name, name));
    sel.append(og);
  }
}

function fillGallery(): void {
  const sel = $<HTMLSelectElement>("gallery");
  for (const ex of GALLERY) sel.append(new Option(ex.title, ex.id));
  sel.append(new Option("(from a shared link)", "link"));
  // A new problem is solved at once: its plots never sit next to another problem's code.
  sel.onchange = () => {
    const ex = GALLERY.find((e) => e.id === sel.value);
    if (ex) {
      load(ex);
      solve();
    }
  };
}

/** Puts a problem into the form. */
function fill(s: Shared, id: string, about: string): void {
  state.example = id;
  $<HTMLSelectElement>("gallery").value = id;
  $("about").textContent = about;
  $<HTMLTextAreaElement>("code").value = s.code;
  $<HTMLTextAreaElement>("diffusion").value = s.diffusion ?? "";
  $<HTMLTextAreaElement>("event-cond").value = s.event?.cond ?? "";
  $<HTMLTextAreaElement>("event-affect").value = s.event?.affect ?? "";
  $<HTMLSelectElement>("event-direction").value = s.event?.direction ?? "either";
  input("event-terminal").checked = s.event?.terminal === true;
  ($("event-fields") as HTMLDetailsElement).open = s.event !== undefined;
  input("y0").value = JSON.stringify(s.y0);
  input("args").value = JSON.stringify(s.args);
  input("t0").value = String(s.t0);
  input("t1").value = String(s.t1);
  $<HTMLSelectElement>("solver").value = s.solver;
  input("rtol").value = String(s.rtol);
  input("atol").value = String(s.atol);
  input("paths").value = String(s.paths);
  input("spread").value = String(s.spread);
  input("phase").value = s.phase.join(",");
  names = s.names;
  view = { ...(s.view.scale ? { scale: s.view.scale } : {}), ...(s.view.markers ? { markers: s.view.markers } : {}) };
  input("time-logx").checked = s.view.logx === true;
  input("time-logy").checked = s.view.logy === true;
  input("phase-logx").checked = false;
  input("phase-logy").checked = false;
  input("phase-equal").checked = s.view.phaseEqual === true;
  $("sde-fields").hidden = s.diffusion === undefined;
}

function load(ex: Example): void {
  fill({
    code: ex.code, ...(ex.diffusion === undefined ? {} : { diffusion: ex.diffusion }), ...(ex.event === undefined ? {} : { event: ex.event }),
    y0: ex.y0, args: ex.args, t0: ex.t0, t1: ex.t1, solver: ex.solver, rtol: ex.rtol, atol: ex.atol, paths: ex.paths ?? 1, spread: ex.spread ?? 0,
    names: ex.names, phase: ex.phase, view: ex.view ?? {},
  }, ex.id, ex.about);
}

/** Clears the plots and the statistics (a new solve, or an error that replaces them). */
function clearResult(): void {
  state.result = null;
  state.figures = { time: null, phase: null };
  charts.time.clear();
  charts.phase.clear();
  $("stats").innerHTML = "";
  $("path-stats").innerHTML = "";
  $("path-stats-box").hidden = true;
  $("plot-note").textContent = "";
  setStale(false);
}

function setStale(stale: boolean): void {
  state.stale = stale;
  $("plots").classList.toggle("stale", stale);
  $("stats").classList.toggle("stale", stale);
  if (stale) $("plot-note").textContent = "The inputs changed since this solve: Solve to update the plots.";
}

function showError(where: string, message: string, line = 0, fix = ""): void {
  state.status = "error";
  state.error = { where, message, line, column: 0, fix };
  clearResult();
  const box = $("error");
  box.hidden = false;
  box.dataset.where = where;
  box.textContent = message;
  // The message sits next to the field it is about.
  const anchor = $(where === "code" || where === "diffusion" || where === "event" ? `${where}-error` : "settings-error");
  anchor.append(box);
  for (const id of ["code", "diffusion", "event-cond", "event-affect"]) $(id).classList.toggle("bad", id === where || (where === "event" && id.startsWith("event")));
  $("status").textContent = "error";
}

function clearError(): void {
  state.error = null;
  $("error").hidden = true;
  for (const id of ["code", "diffusion", "event-cond", "event-affect"]) $(id).classList.remove("bad");
}

/** The form's contents; throws an Error naming a field that cannot be read. */
function readForm(): Shared {
  const json = (id: string): unknown => {
    const text = input(id).value.trim();
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${id} must be JSON, e.g. ${id === "y0" ? "[1, 0]" : '{"k": 2}'}; got ${text}`);
    }
  };
  const num = (id: string): number => {
    const v = Number(input(id).value);
    if (input(id).value.trim() === "" || !Number.isFinite(v)) throw new Error(`${id} must be a number; got "${input(id).value}"`);
    return v;
  };
  const y0 = json("y0");
  if (!Array.isArray(y0) || y0.length === 0 || !y0.every((v) => typeof v === "number" && Number.isFinite(v))) throw new Error(`y0 must be a list of finite numbers, e.g. [1, 0]; got ${input("y0").value}`);
  const args = json("args") ?? {};
  if (typeof args !== "object" || Array.isArray(args) || !Object.values(args as object).every((v) => typeof v === "number")) throw new Error(`args must be an object of numbers, e.g. {"k": 2}; got ${input("args").value}`);
  const phase = input("phase").value.split(",").map(Number);
  const paths = num("paths");
  if (!Number.isInteger(paths) || paths < 1 || paths > MAX_PATHS) throw new Error(`trajectories must be a whole number from 1 to ${MAX_PATHS}; got ${paths}`);
  const diffusion = $<HTMLTextAreaElement>("diffusion").value.trim();
  const cond = $<HTMLTextAreaElement>("event-cond").value.trim();
  const affect = $<HTMLTextAreaElement>("event-affect").value.trim();
  return {
    code: $<HTMLTextAreaElement>("code").value,
    ...(diffusion === "" || $("sde-fields").hidden ? {} : { diffusion }),
    ...(cond === "" ? {} : {
      event: {
        cond, direction: $<HTMLSelectElement>("event-direction").value as "up" | "down" | "either", terminal: input("event-terminal").checked,
        ...(affect === "" ? {} : { affect }),
      },
    }),
    y0: y0 as number[], args: args as Record<string, number>, t0: num("t0"), t1: num("t1"), rtol: num("rtol"), atol: num("atol"),
    solver: $<HTMLSelectElement>("solver").value, paths, spread: num("spread"), names,
    phase: [Number.isInteger(phase[0]) ? phase[0]! : 0, Number.isInteger(phase[1]) ? phase[1]! : 0],
    view: { ...view, logx: input("time-logx").checked, logy: input("time-logy").checked, phaseEqual: input("phase-equal").checked },
  };
}

function solve(): void {
  clearError();
  let spec: Shared;
  try {
    spec = readForm();
  } catch (e) {
    showError("settings", (e as Error).message);
    state.runs++;
    return;
  }
  if (state.status === "running") worker.postMessage({ type: "cancel", id: requestId });
  state.spec = spec;
  state.status = "running";
  clearResult();
  $("status").textContent = "solving…";
  $<HTMLButtonElement>("cancel").disabled = false;
  $<HTMLProgressElement>("progress").value = 0;
  state.progress = { fraction: 0, t: spec.t0 };
  worker.postMessage({ type: "solve", id: ++requestId, spec, logx: input("time-logx").checked });
}

worker.onmessage = (e: MessageEvent) => {
  const m = e.data;
  if (m.id !== requestId) return; // an answer to a request that was superseded
  if (m.type === "progress") {
    state.progress = { fraction: m.fraction, t: m.t };
    $<HTMLProgressElement>("progress").value = m.fraction;
    $("status").textContent = `solving… ${(100 * m.fraction).toFixed(0)}% (t = ${formatPower(m.t)})`;
    return;
  }
  if (m.type === "samples") {
    if (state.result) {
      state.result.lin = m.lin;
      state.result.log = m.log;
      draw();
    }
    return;
  }
  $<HTMLButtonElement>("cancel").disabled = true;
  if (m.type === "error") {
    showError(m.where, m.message, m.line, m.fix);
  } else {
    const r = m.result as RunResult;
    state.result = r;
    draw();
    stats(r);
    const aborted = r.result === "aborted";
    if (aborted) {
      state.status = "cancelled";
      $("plot-note").textContent = `Cancelled at t = ${r.paths[r.paths.length - 1]!.tFinal.toPrecision(6)}: the plots show the solution up to there.`;
    } else if (!r.ok) {
      showFailure(r);
    } else state.status = "done";
    $("status").textContent = aborted ? "cancelled" : r.ok ? "done" : "failed";
    $<HTMLProgressElement>("progress").value = aborted ? state.progress.fraction : 1;
  }
  state.runs++;
};

/** A failed solve: its message and page-fitting advice, with the rows computed before it plotted. */
function showFailure(r: RunResult): void {
  state.status = "error";
  const message = `${r.result}: ${r.message}${r.fix ? `\nFix: ${r.fix}` : ""}`;
  state.error = { where: "solve", message, line: 0, column: 0, fix: r.fix };
  const box = $("error");
  box.hidden = false;
  box.dataset.where = "solve";
  box.textContent = message;
  $("settings-error").append(box);
  $("plot-note").textContent = "The solve failed: the plots show the solution up to where it stopped.";
}

/** The label of component j (with its scale factor). */
function label(j: number): string {
  const base = names.length > j ? names[j]! : `y${j}`;
  const f = view.scale?.[j];
  return f === undefined || f === 1 ? base : `${base} × ${formatPower(f)}`;
}

/** Builds both figures from the result's samples and draws them. */
function draw(): void {
  const r = state.result;
  if (r === null) return;
  const paths = r.lin.length;
  const opacity = paths === 1 ? 1 : Math.max(0.2, Math.min(0.6, 6 / paths));
  const logx = input("time-logx").checked;
  const samples: Samples[] = logx && r.log !== null ? r.log : r.lin;
  const time: FigureSeries[] = [];
  for (let p = 0; p < paths; p++) {
    for (let j = 0; j < r.n; j++) {
      const f = view.scale?.[j] ?? 1;
      const y = f === 1 ? samples[p]!.y[j]! : samples[p]!.y[j]!.map((v) => v * f);
      time.push({
        x: samples[p]!.t, y, color: PALETTE[j % PALETTE.length]!, opacity, width: paths === 1 ? 1.8 : 1,
        ...(p === 0 ? { label: paths === 1 ? label(j) : `${label(j)} (${paths} trajectories)` } : {}),
      });
    }
  }
  state.figures.time = {
    x: { label: "t", log: logx && r.log !== null }, y: { label: r.n === 1 ? label(0) : "y", log: input("time-logy").checked }, series: time,
  };
  const [pi, pj] = input("phase").value.split(",").map(Number) as [number, number];
  const ok = Number.isInteger(pi) && Number.isInteger(pj) && pi >= 0 && pj >= 0 && pi < r.n && pj < r.n && pi !== pj;
  if (ok) {
    const series: FigureSeries[] = r.lin.map((s, p) => ({ x: s.y[pi]!, y: s.y[pj]!, color: PALETTE[0]!, opacity, width: paths === 1 ? 1.5 : 1 }));
    for (const m of view.markers ?? []) series.push({ kind: "points", label: m.label, x: [m.x], y: [m.y], color: "#333" });
    state.figures.phase = {
      x: { label: names[pi] ?? `y${pi}`, log: input("phase-logx").checked }, y: { label: names[pj] ?? `y${pj}`, log: input("phase-logy").checked },
      series, equalAspect: input("phase-equal").checked,
    };
  } else state.figures.phase = null;
  render();
}

function render(): void {
  for (const which of ["time", "phase"] as const) {
    const fig = state.figures[which];
    const chart = charts[which];
    if (fig === null) {
      chart.clear();
      if (which === "phase" && state.result !== null) {
        chart.setOption({ title: { text: 'Phase portrait: give two different components (e.g. 0,1) in "phase (i,j)".', left: "center", top: "middle", textStyle: { fontSize: 13, color: "#666", fontWeight: "normal" } } }, true);
      }
      continue;
    }
    chart.setOption(echartsOption(fig, { interactive: true, width: chart.getWidth(), height: chart.getHeight() }) as echarts.EChartsCoreOption, true);
  }
}

function stats(r: RunResult): void {
  const first = r.paths[0]!;
  const total = (k: string): number => r.paths.reduce((s, p) => s + (p.stats[k] ?? 0), 0);
  const many = r.paths.length > 1;
  const rows: [string, string][] = [
    ["result", r.result],
    ["accepted steps", many ? `${total("numAcceptedSteps")} in all (${first.stats.numAcceptedSteps} for trajectory 0)` : String(first.stats.numAcceptedSteps)],
    ["rejected steps", many ? `${total("numRejectedSteps")} in all` : String(first.stats.numRejectedSteps)],
    ["f evaluations", many ? `${total("numFnEvals")} in all` : String(first.stats.numFnEvals)],
    ["Jacobian", r.jacobian],
    ["time", `${r.ms.toFixed(1)} ms${many ? ` (${r.paths.length} trajectories)` : ""}`],
  ];
  if (!many) for (const [k, v] of Object.entries(first.stats)) if (!["numSteps", "numAcceptedSteps", "numRejectedSteps", "numFnEvals"].includes(k)) rows.push([k, String(v)]);
  if (first.events.length > 0) rows.push(["events", `${first.events.length} (first at t = ${first.events[0]!.toPrecision(8)})`]);
  fillTable($("stats") as HTMLTableElement, rows.map(([k, v]) => [k, v]), true);
  $("path-stats-box").hidden = !many;
  if (many) {
    const keys = ["numAcceptedSteps", "numRejectedSteps", "numFnEvals"];
    const head = ["trajectory", "result", "accepted", "rejected", "f evaluations", "t reached"];
    fillTable($("path-stats") as HTMLTableElement, [head, ...r.paths.map((p, i) => [String(i), p.result, ...keys.map((k) => String(p.stats[k] ?? "")), p.tFinal.toPrecision(6)])], false);
  }
}

/** Fills a table with text cells (textContent: names and messages are never HTML). */
function fillTable(table: HTMLTableElement, rows: string[][], keyed: boolean): void {
  table.replaceChildren(...rows.map((cells, i) => {
    const tr = document.createElement("tr");
    cells.forEach((c, j) => {
      const cell = document.createElement((keyed && j === 0) || (!keyed && i === 0) ? "th" : "td");
      cell.textContent = c;
      tr.append(cell);
    });
    return tr;
  }));
}

function share(): void {
  let s: Shared;
  try {
    s = readForm();
  } catch (e) {
    showError("settings", (e as Error).message);
    return;
  }
  const hash = encodeLink(s);
  history.replaceState(null, "", hash);
  const url = location.href;
  input("share-url").value = url;
  void navigator.clipboard?.writeText(url).catch(() => undefined);
}

/** Opens the problem in the URL's fragment, if there is one (else the first gallery entry). */
function openLink(): boolean {
  if (!location.hash.startsWith("#p=")) return false;
  try {
    const s = decodeLink(location.hash);
    fill(s, "link", "A problem from a shared link: its code is compiled, never run as JavaScript.");
  } catch (e) {
    load(GALLERY[0]!);
    showError("settings", `This link could not be opened: ${(e as Error).message}.`);
    state.runs++;
    return true;
  }
  solve();
  return true;
}

fillSolvers();
fillGallery();
setupGpuPanel(document.querySelector("main")!, state as unknown as { gpu?: never });
$("run").onclick = solve;
$("cancel").onclick = () => {
  if (state.status === "running") worker.postMessage({ type: "cancel", id: requestId });
};
$("share").onclick = share;
$("code").addEventListener("keydown", (e) => {
  if ((e as KeyboardEvent).key === "Enter" && ((e as KeyboardEvent).ctrlKey || (e as KeyboardEvent).metaKey)) solve();
});
// Editing after a solve greys the result out: it no longer belongs to the inputs.
$("editor").addEventListener("input", (e) => {
  if ((e.target as HTMLElement).id === "share-url") return;
  if (state.result !== null && state.status !== "running") setStale(true);
});
input("time-logx").onchange = () => {
  if (state.result !== null && input("time-logx").checked && state.result.log === null) worker.postMessage({ type: "resample", id: requestId, logx: true });
  else draw();
};
for (const id of ["time-logy", "phase-logx", "phase-logy", "phase-equal"]) input(id).onchange = () => draw();
window.addEventListener("resize", () => {
  charts.time.resize();
  charts.phase.resize();
  render();
});
window.addEventListener("hashchange", () => void openLink());
if (!openLink()) {
  load(GALLERY[0]!);
  solve();
}
