// Random `diffeqsolveVjp` / `diffeqsolveJvp` calls, valid and invalid, on y' = −k y (or y' = k y),
// whose gradients are known in closed form: with y(t) = y0 e^{∓k t},
//   ∂y(t)/∂y0 = e^{∓k t},   ∂y(t)/∂k = ∓t y(t).
// The check: a named error, or gradients within a tolerance-consistent error of these.
import fc from "fast-check";
import {
  BacksolveAdjoint, compile, diffeqsolveJvp, diffeqsolveVjp, ForwardSensitivity, ODETerm, PIDController,
  RecursiveCheckpointAdjoint, SaveAt, type AbstractSolver,
} from "../../src/index.js";
import { unnamedReason, WALL_MS } from "./contract.js";
import { type Drawn, makeSolver } from "./solve-cases.js";

const ok = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Drawn<T>> => arb.map((v) => ({ v, bad: null }));
const bad = <T>(name: string, ...values: T[]): fc.Arbitrary<Drawn<T>> => fc.constantFrom(...values).map((v) => ({ v, bad: name }));
const mostly = <T>(valid: fc.Arbitrary<Drawn<T>>, invalid: fc.Arbitrary<Drawn<T>>, oneIn = 10): fc.Arbitrary<Drawn<T>> =>
  fc.oneof({ arbitrary: valid, weight: oneIn - 1 }, { arbitrary: invalid, weight: 1 });

export interface AdjointCase {
  mode: "vjp" | "jvp";
  sign: 1 | -1;
  k: number;
  y0: number;
  compiled: boolean;
  solver: string;
  adjoint: Drawn<"absent" | "checkpoint" | "backsolve" | "interpolate" | "forward" | "plain">;
  checkpoints: number;
  saveat: Drawn<"t1" | "ts" | "fn" | "steps">;
  args: Drawn<"given" | "nan" | "absent">;
  ysBar: Drawn<"rows" | "float64" | "nulls" | "short" | "nan" | "string">;
  tangents: Drawn<"y0" | "args" | "both" | "unknown" | "nan" | "null" | "y0Long" | "argsString">;
}

export const adjointCaseArb: fc.Arbitrary<AdjointCase> = fc.record({
  mode: fc.constantFrom("vjp" as const, "jvp" as const),
  sign: fc.constantFrom(1 as const, -1 as const),
  k: fc.integer({ min: 100, max: 1500 }).map((i) => i / 1000),
  y0: fc.integer({ min: 500, max: 2000 }).map((i) => i / 1000),
  compiled: fc.boolean(),
  solver: fc.constantFrom("Tsit5", "Dopri5", "Bosh3", "Dopri8", "Rodas5P", "Kvaerno5", "BDF"),
  adjoint: mostly(ok(fc.constantFrom("absent" as const, "checkpoint" as const, "backsolve" as const, "interpolate" as const, "forward" as const)), bad("adjoint", "plain" as const), 15),
  checkpoints: fc.integer({ min: 1, max: 8 }),
  saveat: mostly(ok(fc.constantFrom("t1" as const, "ts" as const)), bad("SaveAt", "fn" as const, "steps" as const), 15),
  args: mostly(ok(fc.constant("given" as const)), bad("args", "nan" as const, "absent" as const), 15),
  ysBar: mostly(ok(fc.constantFrom("rows" as const, "float64" as const, "nulls" as const)), bad("ysBar", "short" as const, "nan" as const, "string" as const), 12),
  tangents: mostly(ok(fc.constantFrom("y0" as const, "args" as const, "both" as const)), bad("tangent", "unknown" as const, "nan" as const, "null" as const, "y0Long" as const, "argsString" as const), 12),
});

const APIS = ["diffeqsolveVjp", "diffeqsolveJvp", "diffeqsolveVjp (BacksolveAdjoint)", "diffeqsolveVjp (ForwardSensitivity)", "diffeqsolveVjp (RecursiveCheckpointAdjoint)", "pullback", "diffeqsolve", "compile"];

/** Why an adjoint case breaks the contract, or null. */
export function checkAdjointCase(c: AdjointCase): string | null {
  const s = c.sign; // y' = −s k y … written as dy = −s·k·y
  const f = (t: number, y: Float64Array, a: { k: number }, dy: Float64Array): void => { dy[0] = -s * a.k * y[0]!; };
  const vf = c.compiled ? compile(s === 1 ? "(t, y, args, dy) => { dy[0] = -args.k * y[0]; }" : "(t, y, args, dy) => { dy[0] = args.k * y[0]; }") : { f };
  const solver: AbstractSolver<any> = makeSolver(c.solver);
  const ts = [0.25, 0.5, 1];
  const options: Record<string, unknown> = {
    terms: new ODETerm(vf), solver, t0: 0, t1: 1, y0: [c.y0],
    stepsizeController: new PIDController({ rtol: 1e-9, atol: 1e-11 }), maxSteps: 5000,
  };
  if (c.args.v === "given") options.args = { k: c.k };
  if (c.args.v === "nan") options.args = { k: NaN };
  if (c.saveat.v === "t1") options.saveat = new SaveAt({ t1: true });
  if (c.saveat.v === "ts") options.saveat = new SaveAt({ ts });
  if (c.saveat.v === "fn") options.saveat = new SaveAt({ ts, fn: (t: number, y: Float64Array) => y[0]! });
  if (c.saveat.v === "steps") options.saveat = new SaveAt({ steps: true });
  const a = c.adjoint.v;
  if (c.mode === "vjp") {
    if (a === "checkpoint") options.adjoint = new RecursiveCheckpointAdjoint({ checkpoints: c.checkpoints });
    if (a === "backsolve") options.adjoint = new BacksolveAdjoint();
    if (a === "interpolate") options.adjoint = new BacksolveAdjoint({ state: "interpolate" });
    if (a === "forward") options.adjoint = new ForwardSensitivity();
    if (a === "plain") options.adjoint = { kind: "backsolve" };
  } else if (a === "plain") options.adjoint = new ForwardSensitivity();
  const corrupted = [c.adjoint, c.saveat, c.args, ...(c.mode === "vjp" ? [c.ysBar] : [c.tangents])].filter((d) => d.bad !== null).map((d) => d.bad!);
  // The checkpointed discrete adjoint (the default) differentiates every solver drawn here
  // (explicit Runge–Kutta, Rodas5P, Kvaerno5 and BDF all declare a step map).
  // A plain f cannot say it needs args: its own exception, named as the vector field's, is the answer.
  if (c.args.v === "absent" && !c.compiled) corrupted.push("vector field");
  // The exact saved values and their derivatives.
  const times = c.saveat.v === "t1" ? [1] : ts;
  const y = (t: number): number => c.y0 * Math.exp(-s * c.k * t);
  const dy0 = (t: number): number => Math.exp(-s * c.k * t);
  const dk = (t: number): number => -s * t * y(t);
  const tolGrad = 1e-6;
  const start = performance.now();
  try {
    if (c.mode === "vjp") {
      const { solution, pullback } = diffeqsolveVjp(options as never);
      const rows = solution.ts.length;
      const w = times.map((_, r) => 1 + r);
      let ysBar: unknown;
      switch (c.ysBar.v) {
        case "rows": ysBar = w.map((x) => [x]); break;
        case "float64": ysBar = Float64Array.from(w); break;
        case "nulls": ysBar = w.map((x, r) => (r === 0 && rows > 1 ? null : [x])); break;
        case "short": ysBar = w.slice(1).map((x) => [x]); break;
        case "nan": ysBar = w.map(() => [NaN]); break;
        case "string": ysBar = "rows"; break;
      }
      const g = pullback(ysBar);
      if (performance.now() - start > WALL_MS) return "took too long";
      if (corrupted.length > 0) return `invalid ${corrupted.join(", ")} accepted`;
      const wEff = w.map((x, r) => (c.ysBar.v === "nulls" && r === 0 && rows > 1 ? 0 : x));
      const wantY0 = times.reduce((acc, t, r) => acc + wEff[r]! * dy0(t), 0);
      const wantK = times.reduce((acc, t, r) => acc + wEff[r]! * dk(t), 0);
      const gotY0 = (g.y0 as number[])[0]!;
      const gotK = (g.args as { k: number }).k;
      if (!(Math.abs(gotY0 - wantY0) <= tolGrad * (1 + Math.abs(wantY0)))) return `∂/∂y0 = ${gotY0}, exact ${wantY0}`;
      if (!(Math.abs(gotK - wantK) <= tolGrad * (1 + Math.abs(wantK)))) return `∂/∂k = ${gotK}, exact ${wantK}`;
      return null;
    }
    let tangents: unknown;
    switch (c.tangents.v) {
      case "y0": tangents = { y0: [1] }; break;
      case "args": tangents = { args: { k: 1 } }; break;
      case "both": tangents = { y0: [1], args: { k: 1 } }; break;
      case "unknown": tangents = { p: 1 }; break;
      case "nan": tangents = { y0: [NaN] }; break;
      case "null": tangents = null; break;
      case "y0Long": tangents = { y0: [1, 2] }; break;
      case "argsString": tangents = { args: "k" }; break;
    }
    const { solution, tangents: tan } = diffeqsolveJvp(options as never, tangents as never);
    if (performance.now() - start > WALL_MS) return "took too long";
    if (corrupted.length > 0) return `invalid ${corrupted.join(", ")} accepted`;
    for (let r = 0; r < times.length; r++) {
      const t = solution.ts[r]!;
      const want = (c.tangents.v !== "args" ? dy0(t) : 0) + (c.tangents.v !== "y0" ? dk(t) : 0);
      const got = tan[r]![0]!;
      if (!(Math.abs(got - want) <= tolGrad * (1 + Math.abs(want)))) return `tangent at t = ${t} is ${got}, exact ${want}`;
    }
    return null;
  } catch (e) {
    const why = unnamedReason(e, APIS, corrupted.length > 0 ? [...corrupted, ...(corrupted.includes("tangent") ? ["tangents"] : [])] : []);
    if (why !== null) return why;
    if (corrupted.length === 0) return `a valid call was refused: ${(e as Error).message}`;
    return null;
  }
}
