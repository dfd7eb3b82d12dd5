// Workers rebuild solvers by export name from the catalog: it must hold every solver class the
// package exports, under its export name, and nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as odeflow from "../../src/index.js";
import { SOLVERS, solverClassName } from "../../src/ensemble/catalog.js";

test("the catalog holds exactly the exported solver classes, under their export names", () => {
  const exported: string[] = [];
  for (const [name, value] of Object.entries(odeflow)) {
    const proto = typeof value === "function" ? (value as { prototype?: Record<string, unknown> }).prototype : undefined;
    // A solver class implements the solver protocol's init and step (abstract bases leave step undefined).
    if (proto !== undefined && typeof proto.init === "function" && typeof proto.step === "function") exported.push(name);
  }
  assert.ok(exported.includes("Tsit5") && exported.includes("BDF") && exported.includes("EulerMaruyama"));
  assert.deepEqual(Object.keys(SOLVERS).sort(), exported.sort(), "add the new solver class to src/ensemble/catalog.ts");
  for (const name of exported) assert.equal(SOLVERS[name], (odeflow as Record<string, unknown>)[name], name);
});

test("a solver is found by its own class: a subclass is not taken for its parent", () => {
  assert.equal(solverClassName(new odeflow.Tsit5()), "Tsit5");
  assert.equal(solverClassName(new odeflow.Kvaerno5()), "Kvaerno5");
  class MyTsit5 extends odeflow.Tsit5 {}
  assert.equal(solverClassName(new MyTsit5()), null);
  assert.equal(solverClassName({}), null);
});
