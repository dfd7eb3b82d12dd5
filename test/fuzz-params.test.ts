// Every property test is seeded (the same cases on every run) through fuzzParams, which the
// ODEFLOW_FUZZ_SEED / ODEFLOW_FUZZ_RUNS environment variables override for longer searches.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fuzzParams } from "./fuzz-params.js";

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (/\.test\.(ts|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

test("every fc.assert in the suite takes its parameters from fuzzParams (a fixed seed)", () => {
  let properties = 0;
  for (const file of testFiles("test")) {
    if (file.endsWith("fuzz-params.test.ts")) continue; // this file names them in strings
    const src = readFileSync(file, "utf8");
    const asserts = src.split("fc.assert(").length - 1;
    if (asserts === 0) continue;
    properties += asserts;
    assert.equal(src.split("fuzzParams(").length - 1, asserts, `${file}: ${asserts} fc.assert calls; each needs fuzzParams(seed, numRuns)`);
  }
  assert.ok(properties >= 10, `${properties} properties found`);
});

test("fuzzParams: its own seed and count by default; ODEFLOW_FUZZ_SEED and ODEFLOW_FUZZ_RUNS override them", () => {
  const saved = { seed: process.env.ODEFLOW_FUZZ_SEED, runs: process.env.ODEFLOW_FUZZ_RUNS };
  try {
    delete process.env.ODEFLOW_FUZZ_SEED;
    delete process.env.ODEFLOW_FUZZ_RUNS;
    assert.deepEqual(fuzzParams(7, 60), { seed: 7, numRuns: 60 });
    process.env.ODEFLOW_FUZZ_SEED = "123";
    process.env.ODEFLOW_FUZZ_RUNS = "500";
    assert.deepEqual(fuzzParams(7, 60), { seed: 123, numRuns: 500 });
    process.env.ODEFLOW_FUZZ_RUNS = "x10";
    assert.equal(fuzzParams(7, 60).numRuns, 600);
    process.env.ODEFLOW_FUZZ_SEED = "random";
    assert.ok(Number.isInteger(fuzzParams(7, 60).seed));
    process.env.ODEFLOW_FUZZ_SEED = "abc";
    assert.throws(() => fuzzParams(7, 60), /ODEFLOW_FUZZ_SEED/);
    process.env.ODEFLOW_FUZZ_SEED = "1";
    process.env.ODEFLOW_FUZZ_RUNS = "0";
    assert.throws(() => fuzzParams(7, 60), /ODEFLOW_FUZZ_RUNS/);
  } finally {
    if (saved.seed === undefined) delete process.env.ODEFLOW_FUZZ_SEED;
    else process.env.ODEFLOW_FUZZ_SEED = saved.seed;
    if (saved.runs === undefined) delete process.env.ODEFLOW_FUZZ_RUNS;
    else process.env.ODEFLOW_FUZZ_RUNS = saved.runs;
  }
});
