// The bracketing root finders used for event location: roots to a few ulps, superlinear
// convergence for the Illinois method, brackets in either direction, the "after side" result.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bisectSign, illinois } from "../../src/events/rootfind.js";

/** assert.ok with a message always (Node builds missing messages by re-parsing the source: slow). */
function ok(cond: unknown, message = "expected true"): asserts cond {
  assert.ok(cond, message);
}

function counted(f: (t: number) => number): { value(t: number): number; calls: number } {
  return { calls: 0, value(t: number) { this.calls++; return f(t); } };
}
const ulps = (a: number, b: number): number => Math.abs(a - b) / (Number.EPSILON * Math.max(Math.abs(a), Math.abs(b), 1e-300));

test("Illinois: known roots to a few ulps, in a handful of evaluations", () => {
  const cases: [string, (t: number) => number, number, number, number][] = [
    ["t² − 2", (t) => t * t - 2, 0, 2, Math.SQRT2],
    ["cos t", Math.cos, 1, 3, Math.PI / 2],
    ["eᵗ − 2", (t) => Math.exp(t) - 2, -1, 5, Math.LN2],
    ["t³ − t − 1 (plastic number)", (t) => t ** 3 - t - 1, 1, 2, 1.324717957244746],
    ["steep tanh(50 (t − 0.3))", (t) => Math.tanh(50 * (t - 0.3)), 0, 1, 0.3],
    ["flat (t − 0.7)⁵·10⁴ + (t − 0.7)", (t) => 1e4 * (t - 0.7) ** 5 + (t - 0.7), 0, 1, 0.7],
  ];
  for (const [name, f, a, b, root] of cases) {
    const g = counted(f);
    const t = illinois(g, a, f(a), b, f(b), 0);
    ok(ulps(t, root) <= 8, `${name}: ${t} vs ${root} (${ulps(t, root)} ulps)`);
    ok(g.calls <= 40, `${name}: ${g.calls} evaluations`);
    // The returned end is on tb's side: the sign has changed there (or it is a zero).
    ok(f(t) === 0 || Math.sign(f(t)) === Math.sign(f(b)), `${name}: after side`);
  }
  const smooth = counted((t) => t * t - 2);
  illinois(smooth, 0, -2, 2, 2, 0);
  ok(smooth.calls <= 12, `superlinear: ${smooth.calls} evaluations for √2 from [0, 2]`);
});

test("Illinois: backward brackets (ta > tb), tolerances, and an exact zero at the end", () => {
  const f = (t: number): number => Math.sin(t);
  const t = illinois(counted(f), 4, f(4), 2.5, f(2.5), 0);
  ok(ulps(t, Math.PI) <= 8 && t <= Math.PI + 1e-15, `backward: ${t}`);
  const loose = illinois(counted(f), 2.5, f(2.5), 4, f(4), 1e-3);
  ok(Math.abs(loose - Math.PI) <= 1e-3 && loose >= Math.PI - 1e-15, `tolerance 1e-3: ${loose}`);
  assert.equal(illinois(counted((x) => x - 1), 0, -1, 1, 0, 0), 1);
});

test("bisection on a sign: a boolean switch to a few ulps, on the switched side", () => {
  for (const [a, b] of [[0, 1], [1, 0]] as const) {
    const g = counted((t) => (t > 0.3 ? 1 : -1));
    const sa = a < 0.3 ? -1 : 1;
    const t = bisectSign(g, a, sa, b, 0);
    ok(ulps(t, 0.3) <= 8, `${a}→${b}: ${t}`);
    assert.equal(g.value(t), -sa, "on the switched side");
  }
});
