// Runs test/sde/alloc-child.ts configurations in their own processes (two at a time) and checks
// each one's per-step allocation against its allowance; see test/sde/allocation.test.ts for why.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./alloc-child.ts", import.meta.url));

/** Runs alloc-child.ts on `config` in its own process; resolves with its three measurements. */
function measure(config: string): Promise<{ steps: number; bytes: number; where: string[] }[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, config]);
    let out = "", err = "";
    p.stdout.on("data", (d: Buffer) => (out += d));
    p.stderr.on("data", (d: Buffer) => (err += d));
    p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${config}: exit ${code}\n${err}`))));
  });
}

/** Checks each configuration's least per-step allocation against its allowance (two processes at a time). */
export async function checkAllocations(configs: readonly (readonly [string, number])[]): Promise<void> {
  const queue = [...configs];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [config, allowedPerStep] = next;
      const attempts = await measure(config);
      // The least of three profiled solves (see alloc-child.ts): robust to a machine so loaded that
      // optimised code arrives late, while an allocation in every step shows in all three.
      const best = attempts.reduce((a, b) => (b.bytes / b.steps < a.bytes / a.steps ? b : a));
      const { steps, bytes, where } = best;
      assert.ok(steps >= 10_000, `${config}: ${steps} steps`);
      // Sampling estimates bytes to within a few percent at these counts: allow 25% over the boxed
      // stage times, plus 1 byte per step on average for transients (a few hundred steps run before
      // V8 installs optimised code on a loaded machine). Any per-step allocation is ≥ 16 bytes a step.
      const all = attempts.map((a) => `${(a.bytes / a.steps).toFixed(2)} B/step in ${a.where.join(", ") || "nothing"}`).join("; ");
      assert.ok(bytes <= 1.25 * allowedPerStep * steps + steps, `${config}: ${bytes} bytes (${(bytes / steps).toFixed(1)} per step) allocated in ${where.join(", ")} (all attempts: ${all})`);
    }
  };
  await Promise.all([worker(), worker()]);
}

