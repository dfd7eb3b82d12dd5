// Fuzzing the command line: random argument lists for the parser (a command, or a UsageError that
// names a flag or the command; never another error), and random `odeflow solve` runs on small
// models (exit 0, 1 or 2 with the documented output; never 3, an internal error, and never a
// stack trace from the library).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { parseArgs, UsageError } from "../../src/cli/args.js";
import { main } from "../../src/cli/main.js";
import { FUZZ_SEED, fuzzRuns, fuzzTimeout } from "./contract.js";
import { fuzzParams } from "../fuzz-params.js";

const VALUE_FLAGS = ["solver", "t0", "t1", "dt0", "rtol", "atol", "saveat", "max-steps", "y0", "args", "out", "format", "plot", "phase", "vars", "seed"];
const BOOL_FLAGS = ["compile", "no-compile", "progress", "no-progress", "quiet", "help"];
const VALUES = [
  "1", "0", "-1", "1e-8", "1e10", "NaN", "Infinity", "abc", "", " ", "0:0.1:1", "1:-0.5:0", "0:0:1", "0:1e-9:1", "1,2", "1,,2", "steps", "t1",
  "Tsit5", "Rodas5P", "BDF", "EulerMaruyama", "Tsit55", "constructor", "__proto__", "toString", "csv", "json", "xml", "r.csv", "r.json", "p.svg", "p.png",
  "0,1", "0,5", "-1,0", "[1, 0]", "[[1]]", '{"k": 2}', "{k:1}", "null", "2.5", "1e400", "--t1", "-", "model.mjs",
];
const token = fc.oneof(
  { arbitrary: fc.constantFrom(...VALUE_FLAGS, ...BOOL_FLAGS).map((f) => `--${f}`), weight: 4 },
  { arbitrary: fc.tuple(fc.constantFrom(...VALUE_FLAGS, ...BOOL_FLAGS), fc.constantFrom(...VALUES)).map(([f, v]) => `--${f}=${v}`), weight: 1 },
  { arbitrary: fc.constantFrom(...VALUES), weight: 4 },
  { arbitrary: fc.constantFrom("--rtoll", "-h", "--", "--=", "-x", "--constructor", "--__proto__"), weight: 1 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
);
const argvArb = fc.tuple(fc.constantFrom(["solve", "model.mjs"], ["solve"], [], ["help"], ["--version"], ["solv"]), fc.array(token, { maxLength: 10 }))
  .map(([head, rest]) => [...head, ...rest]);

test("fuzz: the argument parser returns a command or a UsageError naming a flag or the command", { timeout: fuzzTimeout(fuzzRuns(1500), 5) }, () => {
  fc.assert(
    fc.property(argvArb, (argv) => {
      let cmd: ReturnType<typeof parseArgs>;
      try {
        cmd = parseArgs(argv);
      } catch (e) {
        if (!(e instanceof UsageError)) throw new Error(`a raw ${(e as Error)?.name}: ${(e as Error)?.message}`);
        if (!/--[a-z]|command|solve|model|flag/.test(e.message)) throw new Error(`a UsageError naming no flag: ${e.message}`);
        return;
      }
      if (cmd.kind !== "solve") return;
      const o = cmd.options;
      for (const k of ["t0", "t1", "dt0", "rtol", "atol", "maxSteps", "seed"] as const) {
        const v = o[k];
        if (v !== undefined && !Number.isFinite(v)) throw new Error(`--${k} parsed to ${v}`);
      }
      if (Array.isArray(o.saveat) && !o.saveat.every(Number.isFinite)) throw new Error(`--saveat parsed to ${o.saveat}`);
      for (const list of [o.vars, o.phase]) if (list !== undefined && !list.every((i) => Number.isInteger(i) && i >= 0)) throw new Error(`indices parsed to ${list}`);
    }),
    fuzzParams(FUZZ_SEED, 1500),
  );
});

const dir = mkdtempSync(join(tmpdir(), "odeflow-cli-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "model.mjs"), "export const y0 = [1];\nexport const args = { k: 2 };\nexport function f(t, y, a, dy) { dy[0] = -a.k * y[0]; }\n");
writeFileSync(join(dir, "throws.mjs"), "export const y0 = [1];\nexport function f(t, y, a, dy) { if (t > 0.3) throw new Error('late'); dy[0] = -y[0]; }\n");
writeFileSync(join(dir, "osc.mjs"), "export default { y0: [1, 0], t1: 2, f: (t, [x, v]) => [v, -x] };\n");

test("fuzz: `odeflow solve` exits 0, 1 or 2 with the documented output, never an internal error", { timeout: fuzzTimeout(fuzzRuns(30), 1000) }, async () => {
  const runArb = fc.tuple(fc.constantFrom("model.mjs", "throws.mjs", "osc.mjs", "missing.mjs"), fc.array(token, { maxLength: 6 }), fc.constantFrom(["--t1", "1"], [], ["--max-steps", "20"]))
    .map(([model, rest, extra]) => ["solve", model, ...extra, ...rest.filter((t) => !/^--(progress|help|out|plot)|^-h$/.test(t))]);
  await fc.assert(
    fc.asyncProperty(runArb, async (argv) => {
      let out = "", err = "";
      const code = await main(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false, cwd: dir });
      if (code === 3 || ![0, 1, 2].includes(code)) throw new Error(`exit ${code}: ${err}`);
      if (/\n\s+at .*(src|dist)[/\\]/.test(err)) throw new Error(`a library stack trace on standard error: ${err}`);
      if (code === 2) assert.match(err, /Run odeflow solve --help for usage\.\n$/);
      if (code === 1) assert.match(err, /odeflow: the solve stopped/);
      if (code === 0 && out !== "" && !/--format[= ]json/.test(argv.join(" "))) {
        const rows = out.trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
        for (const row of rows) if (!row.every(Number.isFinite)) throw new Error(`a non-finite row in a successful output: ${row}`);
      }
    }),
    fuzzParams(FUZZ_SEED, 30),
  );
});
