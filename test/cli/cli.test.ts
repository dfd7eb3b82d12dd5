// The command line: `odeflow solve model.js ...` run in-process through main() (fast), and once
// through the built executable dist/cli.js (what `npx odeflow` runs). Expected values are closed
// forms (y = e^{-kt}, the harmonic oscillator's cos/sin), never earlier output.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { HELP_SOLVE, range } from "../../src/cli/args.js";
import { main } from "../../src/cli/main.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(join(tmpdir(), "odeflow-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(join(dir, "decay.mjs"), `
export const y0 = [1];
export const args = { k: 2 };
export const names = ["u"];
export function f(t, y, args, dy) { dy[0] = -args.k * y[0]; }
`);
// Returning form, default export object, t1 from the model.
writeFileSync(join(dir, "oscillator.mjs"), `
export default { y0: [1, 0], t1: 6, names: ["x", "v"], f: (t, [x, v]) => [v, -x] };
`);
writeFileSync(join(dir, "noisy.mjs"), `
export const y0 = [1];
export function f(t, y, a, dy) { dy[0] = -y[0]; }
export function diffusion(t, y, a, g) { g[0] = 0; }
`);
writeFileSync(join(dir, "nof.mjs"), `export const y0 = [1];\n`);
writeFileSync(join(dir, "noy0.mjs"), `export function f(t, y, a, dy) { dy[0] = 1; }\n`);
writeFileSync(join(dir, "broken.mjs"), `export function f(t, y, a, dy) { dy[0] = ; }\n`);
// y' = −y until t = 0.5, where the model throws (a bug in the user's model, part-way).
writeFileSync(join(dir, "throwing.mjs"), `export const y0 = [1];
export function f(t, y, a, dy) {
  if (t > 0.5) throw new Error("model broke past 0.5");
  dy[0] = -y[0];
}
`);
writeFileSync(join(dir, "throws-at-t0.mjs"), "export const y0 = [1];\nexport function f(t, y, a, dy) { throw new Error('no'); }\n");
writeFileSync(join(dir, "notfn.mjs"), "export const y0 = [1];\nexport const f = 5;\n");

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false, cwd: dir });
  return { code, out, err };
}

function parseCsv(text: string): { header: string[]; rows: number[][] } {
  const lines = text.trim().split("\n");
  return { header: lines[0]!.split(","), rows: lines.slice(1).map((l) => l.split(",").map(Number)) };
}

test("solve writes CSV with the requested times; values match the closed form e^{-kt}", async () => {
  const r = await run("solve", "decay.mjs", "--t1", "1", "--rtol", "1e-10", "--atol", "1e-12", "--saveat", "0:0.1:1", "--out", "r.csv");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "");
  assert.match(r.err, /Tsit5: successful; \d+ steps accepted/);
  const { header, rows } = parseCsv(readFileSync(join(dir, "r.csv"), "utf8"));
  assert.deepEqual(header, ["t", "u"]);
  assert.equal(rows.length, 11);
  assert.equal(rows[10]![0], 1, "the last saved time is exactly t1");
  for (const [t, u] of rows) assert.ok(Math.abs(u! - Math.exp(-2 * t!)) < 1e-9, `u(${t}) = ${u}`);
});

test("--args and --y0 override the model; CSV goes to standard output without --out", async () => {
  const r = await run("solve", "decay.mjs", "--t1", "0.5", "--saveat", "t1", "--args", '{"k": 3}', "--y0", "2", "--rtol", "1e-10", "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  const { rows } = parseCsv(r.out);
  assert.equal(rows.length, 1);
  assert.ok(Math.abs(rows[0]![1]! - 2 * Math.exp(-1.5)) < 1e-9);
});

test("JSON output with a stiff solver: the model is compiled (exact Jacobian); x = cos t, v = −sin t", async () => {
  const r = await run("solve", "oscillator.mjs", "--solver", "Rodas5P", "--rtol", "1e-9", "--atol", "1e-11", "--saveat", "0,1,2,6", "--out", "r.json");
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
  assert.equal(j.solver, "Rodas5P");
  assert.equal(j.compiled, true);
  assert.equal(j.result, "successful");
  assert.deepEqual(j.names, ["x", "v"]);
  assert.deepEqual(j.ts, [0, 1, 2, 6]);
  assert.ok(j.stats.numAcceptedSteps > 0);
  j.ts.forEach((t: number, i: number) => {
    assert.ok(Math.abs(j.ys[i][0] - Math.cos(t)) < 1e-7 && Math.abs(j.ys[i][1] + Math.sin(t)) < 1e-7, `t = ${t}: ${j.ys[i]}`);
  });
  // AutoSwitch is offered as Tsit5 ↔ Rodas5P.
  const a = await run("solve", "oscillator.mjs", "--solver", "AutoSwitch", "--saveat", "t1", "--format", "json", "--rtol", "1e-9", "--atol", "1e-11");
  assert.equal(a.code, 0, a.err);
  assert.ok(Math.abs(JSON.parse(a.out).ys[0][0] - Math.cos(6)) < 1e-6);
});

test("--plot writes an SVG from dense output: one line per component over time, or a phase portrait with --phase", async () => {
  let r = await run("solve", "oscillator.mjs", "--plot", "p.svg", "--out", "p.csv");
  assert.equal(r.code, 0, r.err);
  let svg = readFileSync(join(dir, "p.svg"), "utf8");
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // Two curves (long paths), a legend with a line sample and a label for each.
  assert.equal(svg.match(/<path d="M[^"]{400,}"/g)?.length, 2);
  assert.match(svg, />x<\/text>/);
  assert.match(svg, />v<\/text>/);
  r = await run("solve", "oscillator.mjs", "--plot", "phase.svg", "--phase", "0,1", "--vars", "1", "--out", "p1.csv");
  assert.equal(r.code, 0, r.err);
  svg = readFileSync(join(dir, "phase.svg"), "utf8");
  assert.equal(svg.match(/<path d="M[^"]{400,}"/g)?.length, 1);
  assert.match(svg, />v<\/text>/);
  assert.deepEqual(parseCsv(readFileSync(join(dir, "p1.csv"), "utf8")).header, ["t", "v"], "--vars selects the written columns");
});

test("--logx/--logy and log-spaced --saveat: a stiff decay over ten decades, plotted on log axes, also as PNG", async () => {
  writeFileSync(join(dir, "stiffdecay.mjs"), "export const y0 = [1, 1];\nexport function f(t, y, a, dy) { dy[0] = -1e4 * y[0]; dy[1] = -y[1]; }\n");
  const r = await run("solve", "stiffdecay.mjs", "--solver", "Rodas5P", "--t1", "10", "--rtol", "1e-8", "--atol", "1e-14", "--saveat", "log:1e-8:10:10", "--plot", "log.svg", "--logx", "--logy");
  assert.equal(r.code, 0, r.err);
  const rows = parseCsv(r.out).rows;
  assert.deepEqual(rows.map((row) => row[0]), [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10].map((t, i) => (i === 0 || i === 9 ? t : rows[i]![0]!)));
  rows.forEach((row, i) => assert.ok(Math.abs(Math.log10(row[0]!) - (i - 8)) < 1e-12, `row ${i} at t = ${row[0]}`));
  for (const [t, a, b] of rows) assert.ok(Math.abs(a! - Math.exp(-1e4 * t!)) < 1e-7 && Math.abs(b! - Math.exp(-t!)) < 1e-7);
  const svg = readFileSync(join(dir, "log.svg"), "utf8");
  // Decade ticks written as powers of ten; the time axis reaches back into the first step.
  for (const tick of ["10⁻⁶", "10⁻⁴", "10⁰"]) assert.match(svg, new RegExp(`>${tick}</text>`), `tick ${tick}`);
  const png = await run("solve", "stiffdecay.mjs", "--solver", "Rodas5P", "--t1", "10", "--plot", "log.png", "--logx", "--saveat", "t1");
  assert.equal(png.code, 0, png.err);
  assert.deepEqual(Array.from(readFileSync(join(dir, "log.png")).subarray(1, 4)), [80, 78, 71], "a PNG file");
});

test("a stiff problem with an explicit solver: the hint names --solver Rodas5P", async () => {
  writeFileSync(join(dir, "rober.mjs"), `export const y0 = [1, 0, 0];
export const args = { k1: 0.04, k2: 3e7, k3: 1e4 };
export function f(t, [a, b, c], { k1, k2, k3 }, dy) { dy[0] = -k1 * a + k3 * b * c; dy[1] = k1 * a - k2 * b * b - k3 * b * c; dy[2] = k2 * b * b; }
`);
  const r = await run("solve", "rober.mjs", "--t1", "1e5", "--saveat", "t1");
  assert.equal(r.code, 1);
  assert.match(r.err, /stalled/);
  assert.match(r.err, /hint: the problem looks stiff for Tsit5, an explicit solver: try --solver Rodas5P/);
  const ok = await run("solve", "rober.mjs", "--t1", "1e5", "--saveat", "t1", "--solver", "Rodas5P");
  assert.equal(ok.code, 0, ok.err);
});

test("an SDE model (exports diffusion) with zero noise reproduces the ODE; fixed-step solvers ask for --dt0", async () => {
  const bad = await run("solve", "noisy.mjs", "--solver", "EulerMaruyama", "--t1", "1");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /EulerMaruyama takes fixed steps: pass --dt0, e\.g\. --dt0 0\.001/);
  const wrong = await run("solve", "noisy.mjs", "--t1", "1");
  assert.match(wrong.err, /exports a diffusion \(an SDE\): choose an SDE solver/);
  const r = await run("solve", "noisy.mjs", "--solver", "EulerMaruyama", "--t1", "1", "--dt0", "0.001", "--saveat", "t1", "--seed", "7");
  assert.equal(r.code, 0, r.err);
  // Euler's global error on y' = −y with h = 1e-3 is about h/2 · e^{-1} ≈ 1.8e-4.
  const y1 = parseCsv(r.out).rows[0]![1]!;
  assert.ok(Math.abs(y1 - Math.exp(-1)) < 3e-4 && Math.abs(y1 - Math.exp(-1)) > 1e-5, `y(1) = ${y1}`);
});

test("a failed solve exits 1 with the solver's message and writes the rows before the failure", async () => {
  const r = await run("solve", "decay.mjs", "--t1", "100", "--max-steps", "5", "--saveat", "0:1:100", "--rtol", "1e-12");
  assert.equal(r.code, 1);
  assert.match(r.err, /maxStepsReached/);
  assert.match(r.err, /the solve stopped at t = [\d.e-]+: The maximum number of steps was reached/);
  assert.ok(parseCsv(r.out).rows.length < 101);
});

test("a model.js with ES module syntax outside a \"type\": \"module\" project still loads (built CLI, plain Node)", () => {
  const cli = join(root, "dist", "cli.js");
  assert.ok(existsSync(cli), "dist/cli.js is missing: run `npm run build` first (npm test does).");
  writeFileSync(join(dir, "plain.js"), "export const y0 = [1];\nexport function f(t, y, a, dy) { dy[0] = -y[0]; }\n");
  const ok = spawnSync(process.execPath, [cli, "solve", "plain.js", "--t1", "1", "--saveat", "t1", "--rtol", "1e-10", "--quiet"], { cwd: dir, encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(Math.abs(parseCsv(ok.stdout).rows[0]![1]! - Math.exp(-1)) < 1e-9);
  // A model importing a file that does not exist: the message names that file, not the model.
  // (Node 20.19+ detects ES module syntax itself; older Node 20 goes through our fallback.)
  writeFileSync(join(dir, "plain-bad.js"), "import x from './nowhere.js';\nexport const y0 = [1];\n");
  const bad = spawnSync(process.execPath, [cli, "solve", "plain-bad.js", "--t1", "1"], { cwd: dir, encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /cannot load the model plain-bad\.js: Cannot find module '[^']*nowhere\.js'|cannot load plain-bad\.js as an ES module .*rename it to \.mjs, or add "type": "module"/);
});

test("--progress: a bar on a terminal ending at 100%, plain lines elsewhere", async () => {
  let err = "";
  const code = await main(["solve", "decay.mjs", "--t1", "1", "--progress", "--quiet", "--saveat", "t1"], { stdout: () => {}, stderr: (s) => void (err += s), isTTY: true, cwd: dir });
  assert.equal(code, 0);
  assert.match(err, /\r\[#{30}\] 100\.0%  t = 1\.00000\n$/);
  const r = await run("solve", "decay.mjs", "--t1", "1", "--progress", "--quiet", "--saveat", "t1");
  assert.equal(r.code, 0);
  assert.ok(!r.err.includes("\r"), "no carriage returns when standard error is not a terminal");
  assert.match(r.err, /^progress 0\.0% \(t = 0 of 0 … 1\)[^\n]*\nprogress done: t = 1 in [0-9.]+ m?s\n$/);
});

test("--help and --version", async () => {
  for (const argv of [["--help"], [], ["solve", "--help"], ["help", "solve"]]) {
    const r = await run(...argv);
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage/);
  }
  assert.match((await run("solve", "-h")).out, /--saveat SPEC/);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.equal((await run("--version")).out, `odeflow ${pkg.version}\n`);
});

test("bad input: exit status 2 and a message that names the problem and the fix", async () => {
  const cases: [string[], RegExp][] = [
    [["solv", "decay.mjs"], /unknown command "solv"\. Did you mean solve\?/],
    [["solve"], /solve needs a model file: odeflow solve model\.js/],
    [["solve", "missing.mjs", "--t1", "1"], /cannot find the model file .*missing\.mjs/],
    [["solve", "nof.mjs", "--t1", "1"], /exports no vector field: export a function f.*\(exports found: y0\)/],
    [["solve", "noy0.mjs", "--t1", "1"], /exports no y0 and --y0 is not given/],
    [["solve", "broken.mjs", "--t1", "1"], /cannot load the model broken\.mjs: syntax error/],
    [["solve", "decay.mjs"], /no end time: pass --t1/],
    [["solve", "decay.mjs", "--t1", "1", "--solver", "Tsit55"], /unknown solver "Tsit55"\. Did you mean Tsit5\? Solvers: .*Rodas5P/],
    [["solve", "decay.mjs", "--t1", "abc"], /--t1 must be a finite number; got "abc"\. Example: --t1 10/],
    [["solve", "decay.mjs", "--t1", "1", "--rtol", "-1"], /--rtol must be zero or positive; got -1/],
    [["solve", "decay.mjs", "--t1", "1", "--rtoll", "1e-3"], /unknown option --rtoll\. Did you mean rtol\?/],
    [["solve", "decay.mjs", "--t1"], /--t1 needs a value\. Example: --t1 10/],
    [["solve", "decay.mjs", "--t1", "1", "--t1", "2"], /--t1 is given twice/],
    [["solve", "decay.mjs", "--t1", "1", "--saveat", "0:0.1"], /--saveat "0:0\.1" is not start:step:stop/],
    [["solve", "decay.mjs", "--t1", "1", "--saveat", "0:-0.1:1"], /the step -0\.1 must be non-zero and go from 0 towards 1/],
    [["solve", "decay.mjs", "--t1", "1", "--saveat", "0:0.5:2"], /--saveat time 1\.5 is outside the time span \[0, 1\]/],
    [["solve", "decay.mjs", "--t1", "1", "--plot", "p.pdf"], /--plot writes an SVG or PNG file; its name must end in \.svg or \.png/],
    [["solve", "decay.mjs", "--t1", "1", "--saveat", "log:0:1:5"], /log-spaced times need 0 < start ≠ stop; got start 0/],
    [["solve", "decay.mjs", "--t1", "1", "--phase", "0,1"], /component 1 does not exist: the state has 1 components/],
    [["solve", "decay.mjs", "--t1", "1", "--args", "{k:1}"], /--args must be JSON/],
    [["solve", "decay.mjs", "--t1", "1", "--format", "xml"], /--format must be csv or json; got "xml"/],
    [["solve", "decay.mjs", "--t1", "1", "--compile", "--no-compile"], /--compile and --no-compile contradict/],
    [["solve", "decay.mjs", "--t1", "1", "--y0", "1,2"], /the vector field did not write dy\[1\]/],
  ];
  for (const [argv, message] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(" ")} → ${r.code}: ${r.err}`);
    assert.match(r.err, message, argv.join(" "));
    assert.match(r.err, /Run odeflow solve --help for usage\.\n$/);
  }
});

test("start:step:stop ranges include stop despite rounding", () => {
  assert.equal(range("0:0.1:1").length, 11);
  assert.equal(range("0:0.1:1")[10], 1);
  assert.deepEqual(range("1:-0.5:0"), [1, 0.5, 0]);
  assert.deepEqual(range("0:0.3:1"), [0, 0.3, 0.6, 0.8999999999999999]);
});

test("the built executable dist/cli.js (npx odeflow) solves and exits with the right status", () => {
  const cli = join(root, "dist", "cli.js");
  assert.ok(existsSync(cli), "dist/cli.js is missing: run `npm run build` first (npm test does).");
  assert.match(readFileSync(cli, "utf8"), /^#!\/usr\/bin\/env node\n/);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.equal(pkg.bin.odeflow, "./dist/cli.js");
  const ok = spawnSync(process.execPath, [cli, "solve", "decay.mjs", "--t1", "1", "--saveat", "t1", "--rtol", "1e-10"], { cwd: dir, encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(Math.abs(parseCsv(ok.stdout).rows[0]![1]! - Math.exp(-2)) < 1e-9);
  const bad = spawnSync(process.execPath, [cli, "solve", "decay.mjs", "--t1", "1", "--solver", "Nope"], { cwd: dir, encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown solver "Nope"/);
});

test("a model that throws part-way: exit 1, the rows before the failure written, the culprit, its t and the model's line named", async () => {
  const r = await run("solve", "throwing.mjs", "--t1", "1", "--saveat", "0:0.1:1", "--rtol", "1e-10", "--atol", "1e-12", "--out", "partial.csv");
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /odeflow: the solve stopped at t = 0\.[45]\d* \(the last completed step\): the vector field f threw an error at t = 0\.5\d*: model broke past 0\.5\n/);
  assert.match(r.err, /at f \(.*throwing\.mjs:3:\d+\)/, "the frame in the model file");
  assert.doesNotMatch(r.err, /node:internal|src\/integrate/, "no library stack");
  const { rows } = parseCsv(readFileSync(join(dir, "partial.csv"), "utf8"));
  // The saved times before the failure: 0, 0.1, …, 0.4 (the step that passes 0.5 is never accepted).
  assert.deepEqual(rows.map((row) => row[0]), [0, 0.1, 0.2, 0.30000000000000004, 0.4]);
  for (const [t, u] of rows) assert.ok(Math.abs(u! - Math.exp(-t!)) < 1e-9, `u(${t}) = ${u}`);
  // JSON says so too.
  const j = await run("solve", "throwing.mjs", "--t1", "1", "--saveat", "0:0.25:1", "--format", "json", "--quiet");
  assert.equal(j.code, 1);
  const out = JSON.parse(j.out);
  assert.equal(out.result, "callbackError");
  assert.match(out.message, /the vector field f threw an error at t = 0\.5/);
  assert.deepEqual(out.ts, [0, 0.25]);
});

test("a model that fails at t0, or is not a function, is a bad model: exit 2, nothing solved", async () => {
  const a = await run("solve", "throws-at-t0.mjs", "--t1", "1");
  assert.equal(a.code, 2, a.err);
  assert.match(a.err, /odeflow: the vector field f threw an error at t = 0: no\n/);
  const b = await run("solve", "notfn.mjs", "--t1", "1");
  assert.equal(b.code, 2, b.err);
  assert.match(b.err, /`vectorField` must be a function/);
  const c = await run("solve", "decay.mjs", "--t1", "1", "--rtol", "0", "--atol", "0");
  assert.equal(c.code, 2, c.err);
  assert.match(c.err, /`rtol` and `atol` are both 0/);
});

test("--out and --plot never overwrite the model, a directory, or each other", async () => {
  const model = readFileSync(join(dir, "decay.mjs"), "utf8");
  for (const out of ["decay.mjs", "./decay.mjs", join(dir, "decay.mjs")]) {
    const r = await run("solve", "decay.mjs", "--t1", "1", "--out", out);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--out .*decay\.mjs is the model file itself; writing it would overwrite the model/);
  }
  assert.equal(readFileSync(join(dir, "decay.mjs"), "utf8"), model, "the model is untouched");
  const d = await run("solve", "decay.mjs", "--t1", "1", "--out", ".");
  assert.equal(d.code, 2);
  assert.match(d.err, /--out \. is a directory; give a file name/);
  const same = await run("solve", "decay.mjs", "--t1", "1", "--out", "x.svg", "--plot", "x.svg");
  assert.equal(same.code, 2);
  assert.match(same.err, /--out and --plot name the same file/);
});

test("a missing output directory is created, and said so", async () => {
  const r = await run("solve", "decay.mjs", "--t1", "1", "--saveat", "t1", "--out", "new/dir/r.csv", "--plot", "new/plots/r.svg");
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: created the directory new\/dir for --out new\/dir\/r\.csv/);
  assert.match(r.err, /note: created the directory new\/plots for --plot new\/plots\/r\.svg/);
  assert.equal(parseCsv(readFileSync(join(dir, "new/dir/r.csv"), "utf8")).rows.length, 1);
  assert.ok(existsSync(join(dir, "new/plots/r.svg")));
});

test("--help lists exactly the flags the parser takes, and the guide's table names each of them", () => {
  const src = readFileSync(join(root, "src/cli/args.ts"), "utf8");
  const list = (name: string): string[] => JSON.parse(src.match(new RegExp(`const ${name} = (\\[[^\\]]*\\])`))![1]!.replace(/'/g, '"'));
  const flags = [...list("VALUE_FLAGS"), ...list("BOOL_FLAGS")];
  const inHelp = new Set([...HELP_SOLVE.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
  for (const f of flags) assert.ok(inHelp.has(f), `--${f} is parsed but not in --help`);
  for (const f of inHelp) assert.ok(flags.includes(f), `--${f} is in --help but not parsed`);
  const guide = readFileSync(join(root, "docs/command-line.md"), "utf8");
  for (const f of flags) if (f !== "help") assert.ok(guide.includes(`--${f}`), `docs/command-line.md does not mention --${f}`);
  assert.match(HELP_SOLVE, /runs with your rights/);
  // Where the command line's defaults differ from the library's, --help says so.
  assert.match(HELP_SOLVE, /default 1e-6 and 1e-9[^]*library's PIDController defaults, 1e-3 and 1e-6/);
  assert.match(HELP_SOLVE, /default 1000000; the library's default is 100000/);
  assert.match(guide, /A model file is code/);
  assert.match(HELP_SOLVE, /Exit status: 0 solved; 1 the solve failed.*\n.*2 bad command line or model\n?.*3 internal error/s);
});
