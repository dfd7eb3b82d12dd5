import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { COMMITTED_PROBLEMS, SHARED_PROBLEMS } from "./path.js";

test("the committed problems.json is identical to the shared reference (when the shared one is present)", (t) => {
  if (!existsSync(SHARED_PROBLEMS)) {
    t.diagnostic(`no shared copy at ${SHARED_PROBLEMS}: the committed copy is used`);
    return;
  }
  assert.equal(readFileSync(COMMITTED_PROBLEMS, "utf8"), readFileSync(SHARED_PROBLEMS, "utf8"),
    "test/reference/problems.json differs from ../shared/reference/problems.json: copy the shared file over it");
});
