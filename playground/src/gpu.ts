/**
 * The playground's "GPU" toggle, shown where the browser has WebGPU (`navigator.gpu`): a Lorenz
 * parameter sweep, N trajectories with ρ evenly over [ρ₀, ρ₁], solved by
 * `solveEnsemble({ backend: "webgpu" })` (one GPU thread per trajectory), drawn as a
 * bifurcation-style diagram: for each ρ, the values z(t) at 24 times after the transient, as a
 * density on a canvas (a point, a single value, for the stable fixed points; a band where the
 * motion is chaotic). Self-contained: main.ts only calls {@link setupGpuPanel}. What was drawn is
 * kept on `window.playground.gpu` for the end-to-end test.
 */
import { compile, ODETerm, PIDController, SaveAt, solveEnsemble, Tsit5, type WebGPUDevice } from "../../src/index.js";

interface GpuState {
  status: "idle" | "running" | "done" | "error";
  message: string;
  N: number;
  ms: number;
  failed: number;
  adapter: string;
  /** ρ and the saved z values of a few trajectories (for the test). */
  samples: { rho: number; z: number[] }[];
}

const SAVE = Array.from({ length: 24 }, (_, k) => 25 + (15 * (k + 1)) / 24);
const lorenz = compile((t: number, [x, y, z]: number[], { rho }: { rho: number }) => [10 * (y - x), x * (rho - z) - y, x * y - (8 / 3) * z]);
let device: WebGPUDevice | null = null;

/** Adds the toggle and its panel to `host` when the browser has WebGPU. */
export function setupGpuPanel(host: HTMLElement, state: { gpu?: GpuState }): void {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(o?: object): Promise<any> } }).gpu;
  if (gpu === undefined) return;
  const s: GpuState = { status: "idle", message: "", N: 0, ms: 0, failed: 0, adapter: "", samples: [] };
  state.gpu = s;
  const section = document.createElement("section");
  section.id = "gpu";
  section.innerHTML = `
    <label><input type="checkbox" id="gpu-toggle"> GPU: a Lorenz parameter sweep on WebGPU (one GPU thread per trajectory)</label>
    <div id="gpu-panel" hidden>
      <div class="grid">
        <label>trajectories <input id="gpu-n" type="number" min="100" max="1000000" value="100000"></label>
        <label>ρ from <input id="gpu-rho0" value="0"></label>
        <label>ρ to <input id="gpu-rho1" value="50"></label>
        <label><button id="gpu-run">Solve on the GPU</button></label>
      </div>
      <p class="note">Tsit5, rtol = atol = 1e-5 in float32, t ∈ [0, 40]; plotted: z at 24 times in [25, 40] against ρ.
      <span id="gpu-status"></span></p>
      <canvas id="gpu-plot" width="960" height="420"></canvas>
    </div>`;
  host.append(section);
  const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
  $<HTMLInputElement>("gpu-toggle").onchange = (e) => ($("gpu-panel").hidden = !(e.target as HTMLInputElement).checked);
  const status = (text: string): void => void ($("gpu-status").textContent = text);
  $("gpu-run").onclick = async () => {
    s.status = "running";
    status("solving…");
    try {
      if (device === null) {
        const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
        if (!adapter) throw new Error("this browser exposes WebGPU but found no adapter (a GPU, or a software one)");
        s.adapter = [adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(" ");
        device = (await adapter.requestDevice()) as WebGPUDevice;
      }
      const N = Math.round(Number($<HTMLInputElement>("gpu-n").value));
      const rho0 = Number($<HTMLInputElement>("gpu-rho0").value);
      const rho1 = Number($<HTMLInputElement>("gpu-rho1").value);
      const rho = (i: number): number => rho0 + ((rho1 - rho0) * i) / Math.max(1, N - 1);
      const a = performance.now();
      const sol = await solveEnsemble({
        terms: new ODETerm(lorenz), solver: new Tsit5(), t0: 0, t1: 40, trajectories: N,
        y0: () => [1, 1, 1], args: (i) => ({ rho: rho(i) }),
        stepsizeController: new PIDController({ rtol: 1e-5, atol: 1e-5 }), maxSteps: 20000,
        saveat: new SaveAt({ ts: SAVE }), backend: "webgpu", device,
      });
      s.ms = performance.now() - a;
      s.N = N;
      s.failed = sol.failed.length;
      s.samples = [0, Math.floor(N / 4), Math.floor(N / 2), N - 1].map((i) => ({ rho: rho(i), z: Array.from({ length: sol.counts[i]! }, (_, k) => sol.state(i, k)[2]!) }));
      draw($<HTMLCanvasElement>("gpu-plot"), sol.ys, sol.counts, SAVE.length, N, rho0, rho1);
      s.status = "done";
      status(`${N.toLocaleString("en-US")} trajectories in ${s.ms.toFixed(0)} ms on ${s.adapter || "the GPU"}${s.failed > 0 ? `, ${s.failed} failed` : ""}.`);
    } catch (e) {
      s.status = "error";
      s.message = e instanceof Error ? e.message : String(e);
      status(s.message);
    }
  };
}

/** z against ρ as a density: each saved z adds to its pixel; darker where more values fall. */
function draw(canvas: HTMLCanvasElement, ys: Float64Array, counts: Int32Array, K: number, N: number, rho0: number, rho1: number): void {
  const ctx = canvas.getContext("2d")!;
  const { width: W, height: H } = canvas;
  const m = 40;
  let zmax = 1;
  for (let k = 2; k < ys.length; k += 3) if (ys[k]! > zmax && ys[k]! < 1e3) zmax = ys[k]!;
  const density = new Float32Array(W * H);
  for (let i = 0; i < N; i++) {
    const px = Math.round(m + ((W - 2 * m) * i) / Math.max(1, N - 1));
    for (let k = 0; k < counts[i]!; k++) {
      const z = ys[(i * K + k) * 3 + 2]!;
      const py = Math.round(H - m - ((H - 2 * m) * z) / zmax);
      if (py >= 0 && py < H) density[py * W + px] += 1;
    }
  }
  const img = ctx.createImageData(W, H);
  for (let p = 0; p < W * H; p++) {
    const v = density[p]! > 0 ? Math.max(0, 200 - 60 * Math.log2(1 + density[p]!)) : 255;
    img.data[4 * p] = v;
    img.data[4 * p + 1] = v;
    img.data[4 * p + 2] = 255;
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  ctx.fillStyle = "#222";
  ctx.font = "13px system-ui, sans-serif";
  ctx.fillText(`ρ = ${rho0}`, m, H - 12);
  ctx.fillText(`ρ = ${rho1}`, W - m - 50, H - 12);
  ctx.fillText(`z (0 … ${zmax.toFixed(0)})`, 4, 16);
}
