// Fuzzing compile over random sources inside and outside the compilable subset and random options
// (compile-cases.ts): a CompileError with a fix, or kernels equal to the source's own evaluation.
import { test } from "node:test";
import fc from "fast-check";
import { compileCaseArb, checkCompileCase, sourceOf } from "./compile-cases.js";
import { FUZZ_SEED, fuzzRuns, fuzzTimeout } from "./contract.js";
import { fuzzParams } from "../fuzz-params.js";

test("fuzz: compile either refuses with a CompileError and a fix, or computes what the source computes", { timeout: fuzzTimeout(fuzzRuns(80), 100) }, () => {
  fc.assert(
    fc.property(compileCaseArb, (c) => {
      const why = checkCompileCase(c);
      if (why !== null) throw new Error(`${why}\nsource: ${sourceOf(c)}`);
    }),
    fuzzParams(FUZZ_SEED, 80),
  );
});
