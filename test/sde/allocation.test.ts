import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// Counting minor GCs would blame this code for the loop's own boxing of t and h when V8 does not
// inline solver.step into runLoop; so a sampling heap profiler attributes every allocation to the
// function that made it, and none may be in src/brownian or src/solvers/sde outside the one-time
// set-up (init, probe, constructors). Each configuration runs in its own process, as a program
// would: after a process has run other solvers, V8's partial inlining makes calls that box the
// loop's times inside inlined frames of this code, which the profiler then (rightly, but
// confusingly) attributes here. The one inherent exception: a stage time such as t + (5/6)dt passed
// to the user's drift or diffusion is a new number, boxed (16 bytes) unless V8 inlines that
// function; ShARK passes two per step, as explicit Runge–Kutta stages do.
const child = fileURLToPath(new URL("./alloc-child.ts", import.meta.url));

test("no allocation per step in EulerMaruyama, Milstein and ShARK or in the Brownian paths (sampling heap profiler, 4·10⁴–10⁵ steps)", () => {
  for (const [config, allowedPerStep] of [["em", 0], ["milstein", 0], ["shark", 2 * 16]] as const) {
    const r = spawnSync(process.execPath, ["--import", "tsx", child, config], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const attempts = JSON.parse(r.stdout) as { steps: number; bytes: number; where: string[] }[];
    // The least of three profiled solves (see alloc-child.ts): robust to a machine so loaded that
    // optimised code arrives late, while an allocation in every step shows in all three.
    const best = attempts.reduce((a, b) => (b.bytes / b.steps < a.bytes / a.steps ? b : a));
    const { steps, bytes, where } = best;
    assert.ok(steps >= 40_000, `${config}: ${steps} steps`);
    // Sampling estimates bytes to within a few percent at these counts: allow 25% over the boxed
    // stage times, plus 1 byte per step on average for transients (a few hundred steps run before
    // V8 installs optimised code on a loaded machine). Any per-step allocation is ≥ 16 bytes a step.
    const all = attempts.map((a) => `${(a.bytes / a.steps).toFixed(2)} B/step in ${a.where.join(", ") || "nothing"}`).join("; ");
    assert.ok(bytes <= 1.25 * allowedPerStep * steps + steps, `${config}: ${bytes} bytes (${(bytes / steps).toFixed(1)} per step) allocated in ${where.join(", ")} (all attempts: ${all})`);
  }
});
