// The check of one fuzzed diffeqsolve call against the contract (contract.ts).
import { diffeqsolve, isOkay, RESULTS, type Solution } from "../../src/index.js";
import { answerReason, partialReason, solveErrorSolution, unnamedReason, WALL_MS } from "./contract.js";
import { corruptedOf, makeSolver, materialize, type SolveCase } from "./solve-cases.js";

const APIS = ["diffeqsolve", "new SaveAt", "new PIDController", "PIDController", "new StepTo", "new Event", "new ODETerm", "compile"];

/** Arguments a solver/controller combination makes invalid beyond what the generator corrupted. */
function impliedCorruption(c: SolveCase): string[] {
  const s = c.solver.bad === null ? makeSolver(c.solver.v) : null;
  const out: string[] = [];
  if (s !== null && s.errorOrder === 0 && c.controller.v.kind === "pid") out.push("PIDController");
  if (s !== null && s.errorOrder === 0 && c.controller.v.kind === "default" && c.dt0.v === "<absent>" && c.span !== 0) out.push("dt0");
  if (c.controller.v.kind === "stepTo" && c.span === 0) out.push("ts");
  return out;
}

/** Aliases a message may use for a corrupted argument. */
const ALIASES: Record<string, string[]> = {
  solver: ["solver", "terms"],
  y0: ["y0", "vector field", "dy["],
  args: ["args", "vector field"],
  fn: ["fn"],
  "saveat.ts": ["saveat.ts", "ts["],
  stepsizeController: ["stepsizeController"],
  PIDController: ["PIDController", "stepsizeController"],
  rtoll: ["rtoll"],
};

/** Why a case breaks the contract, or null. */
export function checkSolveCase(c: SolveCase): string | null {
  const corrupted = [...corruptedOf(c), ...impliedCorruption(c)];
  const names = corrupted.flatMap((x) => ALIASES[x] ?? [x]);
  const start = performance.now();
  let sol: Solution<unknown>;
  let expect: ReturnType<typeof materialize>["expect"];
  try {
    const m = materialize(c);
    expect = m.expect;
    sol = diffeqsolve(m.options) as Solution<unknown>;
  } catch (e) {
    const ms = performance.now() - start;
    if (ms > WALL_MS) return `took ${ms.toFixed(0)} ms before throwing`;
    const partial = solveErrorSolution(e);
    if (partial !== null) {
      const t0 = typeof c.t0.v === "number" ? c.t0.v : 0;
      return partialReason(partial, t0, t0 + c.direction * c.span);
    }
    const why = unnamedReason(e, APIS, names);
    if (why !== null) return why;
    return corrupted.length === 0 ? `a valid case was refused: ${(e as Error).message}` : null;
  }
  const ms = performance.now() - start;
  if (ms > WALL_MS) return `took ${ms.toFixed(0)} ms`;
  const { t0, t1 } = expect;
  // Bad input gets a named error: a solve that runs on it has accepted what it should refuse.
  if (corrupted.length > 0) return `invalid ${corrupted.join(", ")} accepted (result ${sol.result})`;
  // The vector field threw: a failure with the data up to the last completed step, and the error.
  if (expect.thrown.yes) {
    if (isOkay(sol.result)) return `the vector field threw past t = ${expect.tThrow} but the result is ${sol.result}`;
    if ((sol as { error?: unknown }).error === undefined) return "the vector field threw but sol.error is not set";
    return partialReason(sol, t0, t1);
  }
  if (!isOkay(sol.result)) {
    if (!expect.noThrow) return `a failure (${sol.result}) was returned although throw is not false`;
    return partialReason(sol, t0, t1);
  }
  // Success (or a terminal event): the answer must meet the tolerance.
  if (expect.terminalAt !== null && c.span !== 0) {
    if (sol.result !== RESULTS.eventOccurred) return `a terminal event at t = ${expect.terminalAt} did not end the solve (result ${sol.result})`;
    if (!(Math.abs(sol.tFinal - expect.terminalAt) <= 1e-9 * (1 + Math.abs(expect.terminalAt)))) return `the terminal event ended the solve at ${sol.tFinal}, not ${expect.terminalAt}`;
  } else if (sol.result !== RESULTS.successful) return `result ${sol.result} without a terminal event`;
  else if (sol.tFinal !== t1) return `success at tFinal = ${sol.tFinal}, not t1 = ${t1}`;
  if (expect.eventAt !== null && c.span !== 0) {
    if (sol.events.length !== 1 || !(Math.abs(sol.events[0]!.t - expect.eventAt) <= 1e-9 * (1 + Math.abs(expect.eventAt)))) {
      return `the event at t = ${expect.eventAt} was recorded as ${JSON.stringify(sol.events.map((e) => e.t))}`;
    }
  }
  const p = expect.problem;
  const steps = sol.stats.numAcceptedSteps;
  const rounding = 1e-13 * (1 + p.scale(t0, t1)) * (steps + 1);
  const bound = Number.isNaN(expect.bound) ? 4 * (steps + 2) * expect.tolUnit : expect.bound;
  return answerReason(sol.ts, (i) => sol.ys[i]!, (t) => p.exact(t, t0), bound + rounding, expect.pick);
}

