/**
 * The playground page: a form (gallery, vector field, settings), a Web Worker that solves, and
 * two SVG plots (components over time, phase portrait) with the solve's statistics. What was
 * plotted is kept on `window.playground` for the end-to-end test.
 */
import { linePlot, type Series } from "../../src/cli/svg.js";
import { GALLERY, type Example } from "./gallery.js";
import { SOLVERS, type RunResult, type RunSpec } from "./run.js";
import { setupGpuPanel } from "./gpu.js";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

interface PlaygroundState {
  status: "idle" | "running" | "done" | "error";
  example: string;
  spec: RunSpec | null;
  result: RunResult | null;
  error: { where: string; message: string; line: number; column: number } | null;
  /** What the plots show: per series, x and y values. */
  plotted: { time: { label: string; x: number[]; y: number[] }[]; phase: { label: string; x: number[]; y: number[] }[] };
  runs: number;
}
const state: PlaygroundState = { status: "idle", example: "", spec: null, result: null, error: null, plotted: { time: [], phase: [] }, runs: 0 };
(window as unknown as { playground: PlaygroundState }).playground = state;

const worker = new Worker(new URL("./worker.js", import.meta.url));
let requestId = 0;
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
  sel.onchange = () => load(GALLERY.find((e) => e.id === sel.value)!);
}

function load(ex: Example): void {
  state.example = ex.id;
  $<HTMLSelectElement>("gallery").value = ex.id;
  $("about").textContent = ex.about;
  $<HTMLTextAreaElement>("code").value = ex.code;
  $<HTMLTextAreaElement>("diffusion").value = ex.diffusion ?? "";
  $<HTMLTextAreaElement>("event").value = ex.event ?? "";
  $<HTMLInputElement>("y0").value = JSON.stringify(ex.y0);
  $<HTMLInputElement>("args").value = JSON.stringify(ex.args);
  $<HTMLInputElement>("t0").value = String(ex.t0);
  $<HTMLInputElement>("t1").value = String(ex.t1);
  $<HTMLSelectElement>("solver").value = ex.solver;
  $<HTMLInputElement>("rtol").value = String(ex.rtol);
  $<HTMLInputElement>("atol").value = String(ex.atol);
  $<HTMLInputElement>("paths").value = String(ex.paths ?? 1);
  $<HTMLInputElement>("phase").value = ex.phase.join(",");
  names = ex.names;
  $("sde-fields").hidden = ex.diffusion === undefined;
  $("event-fields").hidden = ex.event === undefined;
}

function showError(where: string, message: string, line = 0): void {
  state.status = "error";
  state.error = { where, message, line, column: 0 };
  const box = $("error");
  box.hidden = false;
  box.dataset.where = where;
  box.textContent = message;
  // The message sits next to the field it is about.
  const anchor = $(where === "code" || where === "diffusion" || where === "event" ? `${where}-error` : "settings-error");
  anchor.append(box);
  for (const id of ["code", "diffusion", "event"]) $(id).classList.toggle("bad", id === where);
  $("status").textContent = "error";
}

function clearError(): void {
  state.error = null;
  $("error").hidden = true;
  for (const id of ["code", "diffusion", "event"]) $(id).classList.remove("bad");
}

function readSpec(): RunSpec {
  const json = (id: string, what: string): unknown => {
    const text = $<HTMLInputElement>(id).value;
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${what} must be JSON, e.g. ${id === "y0" ? "[1, 0]" : '{"k": 2}'}; got ${text}`);
    }
  };
  const num = (id: string): number => {
    const v = Number($<HTMLInputElement>(id).value);
    if (!Number.isFinite(v)) throw new Error(`${id} must be a number; got "${$<HTMLInputElement>(id).value}"`);
    return v;
  };
  const diffusion = $<HTMLTextAreaElement>("diffusion").value.trim();
  const event = $<HTMLTextAreaElement>("event").value.trim();
  return {
    code: $<HTMLTextAreaElement>("code").value,
    diffusion: diffusion === "" ? undefined : diffusion,
    event: event === "" ? undefined : event,
    y0: json("y0", "y0") as number[],
    args: (json("args", "args") ?? {}) as Record<string, number>,
    t0: num("t0"), t1: num("t1"), rtol: num("rtol"), atol: num("atol"),
    solver: $<HTMLSelectElement>("solver").value,
    paths: num("paths"),
    points: 801,
  };
}

function solve(): void {
  clearError();
  let spec: RunSpec;
  try {
    spec = readSpec();
  } catch (e) {
    showError("settings", (e as Error).message);
    return;
  }
  state.spec = spec;
  state.status = "running";
  $("status").textContent = "solving…";
  $<HTMLProgressElement>("progress").value = 0;
  worker.postMessage({ id: ++requestId, spec });
}

worker.onmessage = (e: MessageEvent) => {
  const m = e.data;
  if (m.id !== requestId) return; // an answer to a request that was superseded
  if (m.type === "progress") {
    $<HTMLProgressElement>("progress").value = m.fraction;
  } else if (m.type === "error") {
    showError(m.where, m.message, m.line);
  } else {
    const r = m.result as RunResult;
    state.result = r;
    render(r);
    state.runs++;
    if (!r.ok) showError("solve", `${r.result}: ${r.message}`);
    else state.status = "done";
    $("status").textContent = r.ok ? "done" : "failed";
    $<HTMLProgressElement>("progress").value = 1;
  }
};

function render(r: RunResult): void {
  const n = r.n;
  const label = (j: number) => names[j] ?? `y${j}`;
  const ts = Array.from(r.ts);
  const column = (ys: Float64Array, j: number) => ts.map((_, k) => ys[k * n + j]!);
  const time: { label: string; x: number[]; y: number[] }[] = [];
  r.ys.forEach((ys, p) => {
    for (let j = 0; j < n; j++) time.push({ label: r.ys.length > 1 ? `${label(j)} (path ${p})` : label(j), x: ts, y: column(ys, j) });
  });
  const [pi, pj] = $<HTMLInputElement>("phase").value.split(",").map(Number) as [number, number];
  const ok = Number.isInteger(pi) && Number.isInteger(pj) && pi >= 0 && pj >= 0 && pi < n && pj < n;
  const phase = ok && pi !== pj ? r.ys.map((ys, p) => ({ label: `${label(pj)} against ${label(pi)}${r.ys.length > 1 ? ` (path ${p})` : ""}`, x: column(ys, pi), y: column(ys, pj) })) : [];
  state.plotted = { time, phase };
  const legend = time.length <= 6;
  $("plot-time").innerHTML = linePlot(time.map((s): Series => (legend ? s : { x: s.x, y: s.y })), { title: "Solution over time", xLabel: "t", yLabel: n === 1 ? label(0) : "y", width: 640, height: 400 });
  $("plot-phase").innerHTML = phase.length > 0
    ? linePlot(phase.map((s): Series => ({ x: s.x, y: s.y })), { title: "Phase portrait", xLabel: label(pi), yLabel: label(pj), width: 640, height: 400 })
    : `<p class="note">Phase portrait: give two different components (e.g. 0,1) in "phase".</p>`;
  const s = r.stats;
  const rows: [string, string][] = [
    ["result", r.result], ["accepted steps", String(s.numAcceptedSteps)], ["rejected steps", String(s.numRejectedSteps)],
    ["f evaluations", String(s.numFnEvals)], ["Jacobian", r.jacobian], ["time", `${r.ms.toFixed(1)} ms${r.ys.length > 1 ? ` (${r.ys.length} paths)` : ""}`],
  ];
  for (const [k, v] of Object.entries(s)) if (!["numSteps", "numAcceptedSteps", "numRejectedSteps", "numFnEvals"].includes(k)) rows.push([k, String(v)]);
  if (r.events.length > 0) rows.push(["events", `${r.events.length} (first at t = ${r.events[0]!.toPrecision(8)})`]);
  $("stats").innerHTML = rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("");
}

fillSolvers();
fillGallery();
setupGpuPanel(document.querySelector("main")!, state as { gpu?: never });
load(GALLERY[0]!);
$("run").onclick = solve;
$("code").addEventListener("keydown", (e) => {
  if ((e as KeyboardEvent).key === "Enter" && ((e as KeyboardEvent).ctrlKey || (e as KeyboardEvent).metaKey)) solve();
});
solve();
