// examples/neural-sde.ts: the moment-matching loss's gradient (ReversibleAdjoint over the same
// Brownian paths) against central differences, and a few Adam steps lowering the loss.
import { test } from "node:test";
import assert from "node:assert/strict";
import { data, initialParameters, lossAndGradient, train } from "../../examples/neural-sde.js";

test("the neural SDE's moment loss gradient matches central differences on the same paths", () => {
  const target = data();
  const x = initialParameters();
  const { grad } = lossAndGradient(x, target, 8);
  for (const i of [0, 17, 25]) {
    const h = 1e-6;
    const a = x.slice();
    const b = x.slice();
    a[i]! += h;
    b[i]! -= h;
    const fd = (lossAndGradient(a, target, 8).loss - lossAndGradient(b, target, 8).loss) / (2 * h);
    assert.ok(Math.abs(grad[i]! - fd) <= 1e-6 * Math.max(1, Math.abs(fd)), `parameter ${i}: ${grad[i]} vs differences ${fd}`);
  }
});

test("training the neural SDE lowers the moment loss", () => {
  const { losses } = train(10, () => {}, 0.03, 32);
  assert.ok(losses[losses.length - 1]! < losses[0]! / 4, `losses ${losses.map((l) => l.toExponential(2)).join(", ")}`);
});
