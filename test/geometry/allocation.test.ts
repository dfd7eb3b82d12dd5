import { test } from "node:test";
import { checkAllocations } from "../sde/alloc-check.js";

// The geometric integrators through the same profiler (test/sde/alloc-child.ts): BAOAB allocates
// nothing a step; a splitting method boxes each stage time it passes to a drift or kick (VelocityVerlet
// two a step, Yoshida4 six), and ReversibleStepSize one number returned by the user's rate.
test("no allocation per step in BAOAB, VelocityVerlet and Yoshida4 with ReversibleStepSize beyond boxed stage times", async () => {
  await checkAllocations([["baoab", 0], ["verlet", 2 * 16], ["yoshida4-reversible", 7 * 16]]);
});
