// The WebAssembly path in a browser: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core as the playground test does) loads the library bundled from src/, solves a
// 1,000-component problem with backend "wasm" (plain function and compiled field) and "js", and
// must get the same numbers with the WebAssembly path actually taken. A second page carries a
// Content-Security-Policy without 'wasm-unsafe-eval' (nor 'unsafe-eval'): there backend "auto"
// must fall back to JavaScript (and still solve) and backend "wasm" must say why it cannot run.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const CHROMIUM = "/usr/bin/chromium";
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium); the browser test needs it`;

type Browser = import("playwright-core").Browser;
let browser: Browser | null = null;
let server: Server | null = null;
let base = "";
const dir = mkdtempSync(join(tmpdir(), "odeflow-wasm-browser-"));

/** The page script: solves with each backend and reports what it saw. */
const PAGE_SCRIPT = `
import { compile, diffeqsolve, enableWebAssembly, ODETerm, Dopri5, Tsit5, PIDController, SaveAt } from "./odeflow.js";
enableWebAssembly(); // a bundle made with a bundler includes the kernels when the application asks
const n = 1000;
const k = Float64Array.from({ length: n }, (_, i) => 1 + (i % 7) / 10);
const f = (t, y, a, dy) => { for (let i = 0; i < n; i++) dy[i] = -k[i] * y[i] + 0.1 * Math.sin(t); };
const y0 = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
const report = { ok: true };
function solve(solver, terms) {
  const sol = diffeqsolve({ terms, solver, t0: 0, t1: 2, y0,
    stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-10 }), saveat: new SaveAt({ ts: [0.5, 2] }) });
  return { ys: Array.from(sol.ys, (r) => Array.from(r)), steps: sol.stats.numSteps };
}
try {
  const wasm = new Dopri5({ backend: "wasm" });
  const state = wasm.init(f, n, undefined, new ODETerm(f));
  report.wasmTaken = state.wasm !== null;
  report.wasm = solve(wasm, new ODETerm(f));
} catch (e) { report.wasmError = String(e && e.message || e); }
report.js = solve(new Dopri5({ backend: "js" }), new ODETerm(f));
const auto = new Tsit5();
report.autoTaken = auto.init(f, n, undefined, new ODETerm(f)).wasm !== null;
report.auto = solve(auto, new ODETerm(f));
report.autoJs = solve(new Tsit5({ backend: "js" }), new ODETerm(f));
try {
  const N = 64;
  const heat = compile((t, u, a, du) => { for (let i = 0; i < N; i++) du[i] = a.D * ((i > 0 ? u[i - 1] : 0) - 2 * u[i] + (i < N - 1 ? u[i + 1] : 0)); }, { consts: { N }, args: { D: 0 } });
  const u0 = Float64Array.from({ length: N }, (_, i) => Math.sin(Math.PI * (i + 1) / (N + 1)));
  const run = (backend) => { const s = diffeqsolve({ terms: new ODETerm(heat), solver: new Tsit5({ backend }), t0: 0, t1: 0.3, y0: u0, args: { D: 2 },
    stepsizeController: new PIDController({ rtol: 1e-6, atol: 1e-9 }) }); return Array.from(s.ys[0]); };
  const fusedState = new Tsit5({ backend: "wasm" }).init(heat.f, N, { D: 2 }, new ODETerm(heat));
  report.fused = fusedState.fused;
  report.heatWasm = run("wasm");
  report.heatJs = run("js");
} catch (e) { report.heatError = String(e && e.message || e); }
window.report = report;
`;

before(async () => {
  if (skip) return;
  const { build } = await import("esbuild");
  await build({ entryPoints: [join(root, "src/index.ts")], bundle: true, format: "esm", platform: "neutral", target: "es2020", outfile: join(dir, "odeflow.js"), logLevel: "warning" });
  writeFileSync(join(dir, "page.js"), PAGE_SCRIPT);
  const html = (csp: string) => `<!doctype html><html><head>${csp}<script type="module" src="./page.js"></script></head><body></body></html>`;
  writeFileSync(join(dir, "index.html"), html(""));
  // script-src without 'wasm-unsafe-eval' (and without 'unsafe-eval'): compiling WebAssembly and new Function both throw.
  writeFileSync(join(dir, "csp.html"), html(`<meta http-equiv="Content-Security-Policy" content="script-src 'self'">`));
  server = createServer((req, res) => {
    const name = new URL(req.url ?? "/", "http://x").pathname.slice(1);
    const file = join(dir, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": name.endsWith(".html") ? "text/html" : "text/javascript" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

interface Report {
  wasmTaken?: boolean;
  wasmError?: string;
  wasm?: { ys: number[][]; steps: number };
  js: { ys: number[][]; steps: number };
  autoTaken: boolean;
  auto: { ys: number[][]; steps: number };
  autoJs: { ys: number[][]; steps: number };
  fused?: boolean;
  heatWasm?: number[];
  heatJs?: number[];
  heatError?: string;
}

async function load(page: string): Promise<Report> {
  const p = await browser!.newPage();
  const errors: string[] = [];
  p.on("pageerror", (e) => errors.push(e.message));
  await p.goto(`${base}/${page}`);
  await p.waitForFunction(() => (window as unknown as { report?: unknown }).report !== undefined, null, { timeout: 60_000 });
  const report = (await p.evaluate(() => (window as unknown as { report: unknown }).report)) as Report;
  await p.close();
  assert.deepEqual(errors, []);
  return report;
}

test("Chromium: the WebAssembly path loads, runs, and gives the JavaScript path's numbers", { skip }, async () => {
  const r = await load("index.html");
  assert.equal(r.wasmError, undefined);
  assert.equal(r.wasmTaken, true);
  assert.equal(r.autoTaken, true, "n = 1000 is above Tsit5's threshold: auto takes WebAssembly");
  assert.deepEqual(r.wasm, r.js);
  assert.deepEqual(r.auto, r.autoJs);
  assert.equal(r.heatError, undefined);
  assert.equal(r.fused, true, "the compiled field is fused into the module");
  assert.deepEqual(r.heatWasm, r.heatJs);
  // Against the closed form of the heat equation's first mode, loosely: the solve is real.
  const N = 64;
  const lambda = 2 * 4 * Math.sin(Math.PI / (2 * (N + 1))) ** 2;
  assert.ok(Math.abs(r.heatJs![31]! - Math.sin((Math.PI * 32) / (N + 1)) * Math.exp(-lambda * 0.3)) < 1e-6);
});

test("Chromium with a Content-Security-Policy that forbids WebAssembly: auto falls back to JavaScript, \"wasm\" says why", { skip }, async () => {
  const r = await load("csp.html");
  assert.match(r.wasmError ?? "", /backend "wasm" is not possible: compiling WebAssembly is not allowed here .*wasm-unsafe-eval/);
  assert.equal(r.autoTaken, false);
  assert.deepEqual(r.auto, r.autoJs);
  assert.ok(r.js.steps > 0);
});
