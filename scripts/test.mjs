// Runs every test file under test/ with Node's own test runner (tsx transpiles TypeScript).
// Usage: node scripts/test.mjs [filter]   (filter: substring of the file path)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { webgpuEnv } from "./webgpu-env.mjs";

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (/\.test\.(ts|mjs|cjs|js)$/.test(name)) out.push(p);
  }
  return out.sort();
}

const filter = process.argv[2];
const files = find("test").filter((f) => !filter || f.includes(filter));
if (files.length === 0) {
  console.error(`No test files match ${filter ?? "test/**/*.test.ts"}.`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ["--expose-gc", "--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  // The WebGPU tests (test/webgpu) run on SwiftShader where there is no GPU.
  { stdio: "inherit", env: { ...process.env, ...webgpuEnv() } },
);
process.exit(r.status ?? 1);
