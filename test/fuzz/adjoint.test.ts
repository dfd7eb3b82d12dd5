// Fuzzing diffeqsolveVjp and diffeqsolveJvp (adjoint-cases.ts): a named error, or gradients and
// tangents equal to the closed form of y' = ∓k y to a tolerance-consistent error.
import { test } from "node:test";
import fc from "fast-check";
import { adjointCaseArb, checkAdjointCase } from "./adjoint-cases.js";
import { FUZZ_SEED, fuzzRuns, fuzzTimeout } from "./contract.js";
import { fuzzParams } from "../fuzz-params.js";
import { knownCoreDefect } from "./known-core-defects.js";

test("fuzz: the adjoints give a named error or the closed-form gradient", { timeout: fuzzTimeout(fuzzRuns(60), 300) }, () => {
  fc.assert(
    fc.property(adjointCaseArb.filter((c) => knownCoreDefect(c) === null), (c) => {
      const why = checkAdjointCase(c);
      if (why !== null) throw new Error(why);
    }),
    fuzzParams(FUZZ_SEED, 60),
  );
});
