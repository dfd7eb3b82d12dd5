// The playground end to end in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): build it, serve it on 127.0.0.1, run every gallery example and compare what
// was plotted with the same problem solved here in Node by the library (its own API, not the
// playground's code); check that bad input shows the compiler's or solver's message next to the
// field; take screenshots (test/playground/screenshots/, git-ignored). The same browser also loads
// the package's ESM builds straight from dist/ files.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  AutoSwitch, ControlTerm, Dopri5, Event, MultiTerm, ODETerm, PIDController, Rodas5P, SaveAt, ShARK, Tsit5, Vern9,
  VirtualBrownianTree, compile, diffeqsolve, type AbstractSolver,
} from "../../src/index.js";
import { GALLERY, type Example } from "../../playground/src/gallery.js";

const CHROMIUM = "/usr/bin/chromium";
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const shots = join(root, "test", "playground", "screenshots");
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium); the browser test needs it`;

type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;
let browser: Browser | null = null;
let server: Server | null = null;
let base = "";
let page: Page | null = null;
const out = mkdtempSync(join(tmpdir(), "odeflow-playground-"));

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

before(async () => {
  if (skip) return;
  const { buildPlayground } = (await import("../../playground/build.mjs" as string)) as { buildPlayground: (o: string, opts: object) => Promise<string> };
  await buildPlayground(out, { minify: false });
  // /… serves the built playground; /dist/… the package's builds (for the ESM-from-files check).
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname === "/" ? "/index.html" : url.pathname;
    const file = path.startsWith("/dist/") ? join(root, normalize(path)) : join(out, normalize(path));
    if (!file.startsWith(root) && !file.startsWith(out)) return void res.writeHead(403).end();
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}/index.html`);
  // The page solves the first example on load.
  await page.waitForFunction(() => (window as any).playground?.runs >= 1, null, { timeout: 20_000 });
  assert.deepEqual(errors, []);
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(out, { recursive: true, force: true });
});

/** The gallery problem solved here with the library's own API: rows at the playground's 801 times. */
function reference(ex: Example): { ts: number[]; ys: Float64Array[][] } {
  const points = 801;
  const ts = Array.from({ length: points }, (_, i) => (i === points - 1 ? ex.t1 : ex.t0 + ((ex.t1 - ex.t0) * i) / (points - 1)));
  const f = compile(ex.code, { n: ex.y0.length, args: ex.args });
  const solvers: Record<string, () => AbstractSolver<any>> = {
    Tsit5: () => new Tsit5(), Rodas5P: () => new Rodas5P(), Dopri5: () => new Dopri5(), Vern9: () => new Vern9(), ShARK: () => new ShARK(),
    AutoSwitch: () => new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() }),
  };
  const common = {
    solver: solvers[ex.solver]!(), t0: ex.t0, t1: ex.t1, y0: ex.y0, args: ex.args, saveat: new SaveAt({ ts }),
    stepsizeController: new PIDController({ rtol: ex.rtol, atol: ex.atol }), maxSteps: 1_000_000,
  };
  if (ex.paths) {
    const tree = new VirtualBrownianTree({ t0: ex.t0, t1: ex.t1, tol: 1e-6 * (ex.t1 - ex.t0), shape: ex.y0.length, levyArea: "space-time" });
    const g = new Function(`return (${ex.diffusion})`)();
    return {
      ts,
      ys: Array.from({ length: ex.paths }, (_, p) => diffeqsolve({
        ...common, terms: new MultiTerm(new ODETerm(f), new ControlTerm(g, tree.withSeed(p), { noise: "diagonal", additive: true })),
      }).ys),
    };
  }
  const event = ex.event ? new Event(new Function(`return (${ex.event})`)()) : undefined;
  return { ts, ys: [diffeqsolve({ ...common, terms: new ODETerm(f), ...(event ? { event } : {}) }).ys] };
}

test("the gallery has the eight examples the guide lists", () => {
  assert.deepEqual(GALLERY.map((e) => e.id), ["lorenz", "vanderpol", "rober", "bouncing-ball", "sir", "pendulum", "arenstorf", "sde"]);
});

for (const ex of GALLERY) {
  test(`gallery: ${ex.title} — plotted values match the library solved in Node`, { skip }, async () => {
    const p = page!;
    const runsBefore = await p.evaluate(() => (window as any).playground.runs);
    await p.selectOption("#gallery", ex.id);
    await p.click("#run");
    await p.waitForFunction((n) => (window as any).playground.runs > n && (window as any).playground.status !== "running", runsBefore, { timeout: 30_000 });
    const st = await p.evaluate(() => {
      const s = (window as any).playground;
      return { status: s.status, error: s.error, plotted: s.plotted, stats: s.result.stats, jacobian: s.result.jacobian, events: s.result.events };
    });
    assert.equal(st.status, "done", JSON.stringify(st.error));
    const ref = reference(ex);
    const n = ex.y0.length;
    const paths = ex.paths ?? 1;
    // Time plot: one series per component (per path), sampled at the 801 output times.
    assert.equal(st.plotted.time.length, n * paths);
    let worst = 0;
    for (let p = 0; p < paths; p++) {
      for (let j = 0; j < n; j++) {
        const s = st.plotted.time[p * n + j];
        assert.equal(s.x.length, ref.ts.length);
        const scale = Math.max(...ref.ys[p]!.map((row) => Math.abs(row[j]!)));
        for (let k = 0; k < ref.ts.length && ref.ts[k]! <= ex.checkUntil; k++) {
          assert.equal(s.x[k], ref.ts[k]);
          // SDE output between steps is the linear interpolant of the step's ends, which depends on
          // the step grid by O(σ√dt); compare the paths where a step ends: at t1.
          if (ex.paths && k < ref.ts.length - 1) continue;
          const diff = Math.abs(s.y[k] - ref.ys[p]![k]![j]!) / (ex.atol + ex.rtol * scale);
          worst = Math.max(worst, diff);
        }
      }
    }
    // Same library, same settings, but Chromium's V8 and Node's differ in the last bit of some Math
    // functions (Math.sin(2.5), Math.pow), so adaptive steps can differ: the two solutions then agree
    // to their global error, a multiple of the tolerance (measured: up to ~120 on the Arenstorf orbit,
    // whose close approach to the Moon amplifies differences; chaos is excluded by checkUntil).
    // A plotting or transfer mistake (wrong component, path, time or order) is off by O(scale).
    console.log(`${ex.id}: browser vs Node, largest difference ${worst.toFixed(2)} × (atol + rtol·max|y|)`);
    assert.ok(worst <= 1000, `${ex.id}: largest difference ${worst} tolerances`);
    // Phase portrait: component phase[1] against phase[0].
    if (ex.phase[0] !== ex.phase[1]) {
      assert.equal(st.plotted.phase.length, paths);
      assert.deepEqual(st.plotted.phase[0].x, st.plotted.time[ex.phase[0]].y);
      assert.deepEqual(st.plotted.phase[0].y, st.plotted.time[ex.phase[1]].y);
    }
    assert.equal(await p.locator("#plot-time svg polyline").count(), n * paths);
    assert.ok(st.stats.numAcceptedSteps > 0);
    if (["Rodas5P"].includes(ex.solver)) assert.equal(st.jacobian, "exact (compiled)");
    if (ex.id === "bouncing-ball") {
      assert.ok(st.events.length >= 5);
      assert.ok(Math.abs(st.events[0] - Math.sqrt(20 / 9.81)) < 1e-9, "first impact at √(2h/g)");
    }
    assert.match(await p.locator("#stats").innerText(), /accepted steps\s+\d+/);
    await p.screenshot({ path: join(shots, `${ex.id}.png`) });
  });
}

test("a syntax error in the vector field shows the compiler's message next to the code", { skip }, async () => {
  const p = page!;
  await p.selectOption("#gallery", "lorenz");
  await p.fill("#code", "function f(t, [x, y], { k }) {\n  return [y, -k * x +];\n}");
  await p.click("#run");
  await p.waitForFunction(() => (window as any).playground.status === "error", null, { timeout: 10_000 });
  const err = await p.evaluate(() => (window as any).playground.error);
  assert.equal(err.where, "code");
  assert.equal(err.line, 2);
  const box = p.locator("#code-error #error");
  assert.ok(await box.isVisible());
  assert.match(await box.innerText(), /^compile: .*\(line 2, column \d+\)/);
  assert.match(await box.innerText(), /Fix: /);
  await p.screenshot({ path: join(shots, "error-compile.png") });
});

test("a solver failure (a stiff problem with an explicit solver) shows the solver's message", { skip }, async () => {
  const p = page!;
  await p.selectOption("#gallery", "rober");
  await p.selectOption("#solver", "Tsit5");
  await p.fill("#t1", "1e5");
  await p.click("#run");
  await p.waitForFunction(() => (window as any).playground.status === "error", null, { timeout: 30_000 });
  const err = await p.evaluate(() => (window as any).playground.error);
  assert.equal(err.where, "solve");
  // Tsit5 crawls at its stability limit: the solve ends stalled, and the message names the stiff solvers.
  assert.match(await p.locator("#settings-error #error").innerText(), /stalled: The solve stalled.*Rodas5P/s);
  // A y0 shorter than the state the field reads: the compiler says so, at the code.
  await p.selectOption("#gallery", "sir");
  await p.fill("#y0", "[0.99, 0.01]");
  await p.click("#run");
  await p.waitForFunction(() => (window as any).playground.status === "error", null, { timeout: 10_000 });
  assert.equal((await p.evaluate(() => (window as any).playground.error)).where, "code");
  assert.match(await p.locator("#code-error #error").innerText(), /the vector field reads y\[2\] but options\.n = 2/);
});

test("the page stays responsive while the worker solves", { skip }, async () => {
  const p = page!;
  await p.selectOption("#gallery", "lorenz");
  await p.fill("#t1", "4000");
  await p.fill("#rtol", "1e-12");
  await p.click("#run");
  // While solving, the main thread answers at once and the progress bar moves.
  const t = Date.now();
  assert.equal(await p.evaluate(() => (window as any).playground.status), "running");
  assert.ok(Date.now() - t < 1000);
  await p.waitForFunction(() => (document.getElementById("progress") as HTMLProgressElement).value > 0, null, { timeout: 20_000 });
  await p.waitForFunction(() => (window as any).playground.status !== "running", null, { timeout: 60_000 });
});

test("the ESM builds load in the browser straight from dist/ files", { skip }, async () => {
  for (const f of ["dist/index.js", "dist/esm/index.js"]) {
    assert.ok(existsSync(join(root, f)), `${f} is missing: run \`npm run build\` first (npm test does).`);
  }
  const p = await browser!.newPage();
  await p.goto(`${base}/index.html`);
  const values = await p.evaluate(async () => {
    const out: number[] = [];
    for (const url of ["/dist/index.js", "/dist/esm/index.js"]) {
      const o = await import(url);
      const sol = o.diffeqsolve({
        terms: new o.ODETerm((t: number, y: Float64Array, a: unknown, dy: Float64Array) => { dy[0] = -y[0]!; }),
        solver: new o.Tsit5(), t0: 0, t1: 1, y0: [1], stepsizeController: new o.PIDController({ rtol: 1e-10, atol: 1e-12 }),
      });
      out.push(sol.ys[0][0]);
    }
    return out;
  });
  await p.close();
  for (const v of values) assert.ok(Math.abs(v - Math.exp(-1)) < 1e-9);
});
