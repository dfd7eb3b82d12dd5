import { test } from "node:test";
import { checkAllocations } from "./alloc-check.js";

// Counting minor GCs would blame this code for the loop's own boxing of t and h when V8 does not
// inline solver.step into runLoop; so a sampling heap profiler attributes every allocation to the
// function that made it, and none may be in src/brownian, src/solvers/{sde,langevin,symplectic},
// src/terms.ts or src/controllers/reversible.ts outside the one-time
// set-up (init, probe, constructors). Each configuration runs in its own process, as a program
// would: after a process has run other solvers, V8's partial inlining makes calls that box the
// loop's times inside inlined frames of this code, which the profiler then (rightly, but
// confusingly) attributes here. The one inherent exception: a stage time such as t + (5/6)dt passed
// to the user's drift or diffusion is a new number, boxed (16 bytes) unless V8 inlines that
// function; ReversibleHeun passes one (t + dt, to the drift and the diffusion), ShARK two per step, as explicit Runge–Kutta stages do, and so does every drift
// and kick of a splitting method (VelocityVerlet two a step, Yoshida4 six), and a number returned
// by a user function (ReversibleStepSize's rate) is boxed too. The geometric integrators (splitting,
// BAOAB, ReversibleStepSize) and the terms they call are measured the same way in
// test/geometry/allocation.test.ts.
test("no allocation per step in the SDE solvers or in the Brownian paths (sampling heap profiler, 10⁴–10⁵ steps)", async () => {
  await checkAllocations([["em", 0], ["milstein", 0], ["shark", 2 * 16], ["milstein-adaptive", 16], ["sriw1", 4 * 16], ["reversible-heun", 16]]);
});
