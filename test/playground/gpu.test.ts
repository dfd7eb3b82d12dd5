// The playground's "GPU" toggle end to end: headless Chromium with WebGPU on SwiftShader (its
// software Vulkan driver: --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader), a small
// Lorenz sweep in the fixed-point regime, checked against the closed form z → max(0, ρ − 1).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { after, test } from "node:test";

const CHROMIUM = "/usr/bin/chromium";
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
const out = mkdtempSync(join(tmpdir(), "odeflow-playground-gpu-"));
let server: Server | null = null;
let browser: import("playwright-core").Browser | null = null;
after(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(out, { recursive: true, force: true });
});

test("the GPU toggle solves a Lorenz sweep on WebGPU in the browser and draws it", { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, async () => {
  const { buildPlayground } = (await import("../../playground/build.mjs" as string)) as { buildPlayground: (o: string, opts: object) => Promise<string> };
  await buildPlayground(out, { minify: false });
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = join(out, normalize(path === "/" ? "/index.html" : path));
    if (!file.startsWith(out) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--no-first-run", "--disable-background-networking"],
  });
  const page = await browser.newPage({ viewport: { width: 1360, height: 1200 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/index.html`);
  await page.waitForFunction(() => (window as any).playground?.runs >= 1, null, { timeout: 30_000 });
  assert.ok(await page.isHidden("#gpu-panel"), "the panel opens with the toggle");
  await page.check("#gpu-toggle");
  await page.fill("#gpu-n", "400");
  await page.fill("#gpu-rho0", "0");
  await page.fill("#gpu-rho1", "15");
  await page.click("#gpu-run");
  await page.waitForFunction(() => ["done", "error"].includes((window as any).playground.gpu.status), null, { timeout: 60_000 });
  const gpu = await page.evaluate(() => (window as any).playground.gpu);
  assert.equal(gpu.status, "done", gpu.message);
  assert.equal(gpu.N, 400);
  assert.equal(gpu.failed, 0);
  // Below the Hopf bifurcation (ρ < 24.74) the motion settles on z = ρ − 1 (ρ > 1) or the origin.
  for (const { rho, z } of gpu.samples as { rho: number; z: number[] }[]) {
    assert.equal(z.length, 24);
    for (const v of z) assert.ok(Math.abs(v - Math.max(0, rho - 1)) < 0.05, `ρ = ${rho}: z = ${v}, expected ${Math.max(0, rho - 1)}`);
  }
  const inked = await page.evaluate(() => {
    const c = document.getElementById("gpu-plot") as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let p = 0; p < d.length; p += 4) if (d[p]! < 200) n++;
    return n;
  });
  assert.ok(inked > 400, `the diagram has ${inked} dark pixels`);
  assert.deepEqual(errors, []);
});
