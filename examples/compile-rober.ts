/**
 * Robertson's chemical kinetics (ROBER), written as a plain function and compiled: the compiler
 * gives the stiff solver an exact Jacobian (no finite differences), shows its sparsity pattern,
 * and hands back parameter sensitivities ∂f/∂k through the same graph. The solution is printed
 * next to the published reference (Hairer & Wanner stiff test set).
 *
 * Run: node --import tsx examples/compile-rober.ts
 */
import { readReferenceProblems } from "../test/reference/path.js";
import { compile, diffeqsolve, ODETerm, PIDController, Rodas5P, SaveAt } from "../src/index.js";

const rober = compile((t: number, [a, b, c]: Float64Array, { k1, k2, k3 }: { k1: number; k2: number; k3: number }) => [
  -k1 * a + k3 * b * c,
  k1 * a - k2 * b * b - k3 * b * c,
  k2 * b * b,
]);
const args = { k1: 0.04, k2: 3e7, k3: 1e4 };
console.log(`n = ${rober.n}, parameters ${rober.argNames.join(", ")}, ${rober.operations} operations`);
console.log("Jacobian pattern:", JSON.stringify(rober.jacSparsity));

const y = Float64Array.of(1, 0, 0);
const J = new Float64Array(9);
rober.jac(0, y, args, J);
console.log("∂f/∂y at y0:", Array.from(J));
const Jk = new Float64Array(9);
rober.jacArgs(0, y, args, Jk);
console.log("∂f/∂(k1, k2, k3) at y0:", Array.from(Jk));

const ref = (readReferenceProblems() as {
  problems: { name: string; reference: { t: number; y: number[] }[] }[];
}).problems.find((p) => p.name === "ROBER")!.reference.filter((r) => r.t <= 1e5);
const sol = diffeqsolve({
  terms: new ODETerm(rober), solver: new Rodas5P(), t0: 0, t1: 1e5, y0: [1, 0, 0], args,
  saveat: new SaveAt({ ts: ref.map((r) => r.t) }),
  stepsizeController: new PIDController({ rtol: 1e-8, atol: 1e-12 }),
});
console.log(`Rodas5P with the compiled Jacobian: ${sol.stats.numSteps} steps`);
for (let i = 0; i < ref.length; i++) {
  const rel = Math.max(...ref[i]!.y.map((v, j) => Math.abs(sol.ys[i]![j]! - v) / Math.abs(v)));
  console.log(`t = ${ref[i]!.t.toExponential(0)}: y = [${Array.from(sol.ys[i]!, (v) => v.toExponential(6)).join(", ")}]  max relative error ${rel.toExponential(1)}`);
}
