/**
 * The discrete forward mode through the step adjoints: tangents of the states a solve passes
 * through, ẋ_{i+1} = ∂Φ_i/∂x(x_i) ẋ_i + ∂Φ_i/∂p ṗ along the accepted steps of a forward solve
 * (held fixed, as in the reverse sweep), each step linearised at the state x_i the forward solve
 * reached, as the reverse sweep does when it keeps every state. The tests check every reverse
 * sweep against it: the two are transposes of the same linear maps, so
 * ⟨λ_0, ẋ_0⟩ + ⟨p̄, ṗ⟩ = ⟨λ_N, ẋ_N⟩ to rounding.
 */
import { createLoopWorkspace, type LoopWorkspace, runLoop, solutionFromWorkspace, type StepHook, type Validated } from "../integrate.js";
import type { Solution } from "../solution.js";
import { ArgsLayout } from "./derivatives.js";
import { stepAdjointOf } from "./registry.js";
import { type StepAdjoint, StepRecord } from "./step_adjoint.js";

/** Records the steps, the step adjoint's integer per step and every state. */
class TangentRecorder implements StepHook {
  readonly times = new Float64Array(3);
  ws: LoopWorkspace | null = null;
  readonly states: Float64Array[] = [];
  constructor(readonly steps: StepRecord, readonly adj: StepAdjoint) {}
  accepted(y0: Float64Array): void {
    const i = this.steps.push(this.times);
    const x = new Float64Array(this.adj.stateSize);
    this.steps.setMeta(i, this.adj.capture(i, y0, this.ws!.solverState!, x, false));
    this.states.push(x);
  }
}

/**
 * @internal Solves `v`, then maps the tangent (ẏ0, ṗ) through its steps: returns the solution and
 * ẏ_i at every step boundary i = 0 … N (row i of `tangents`, n numbers each).
 */
export function discreteTangent<Y>(v: Validated<Y>, args: unknown, y0Dot: ArrayLike<number>, pDot: ArrayLike<number>): { solution: Solution<Y>; tangents: Float64Array[] } {
  const n = v.y0.length;
  const layout = new ArgsLayout(args);
  const steps = new StepRecord();
  const adj = stepAdjointOf({ v: v as Validated<unknown>, args, layout, steps, who: "discreteTangent" });
  const tangent = adj.tangent?.bind(adj);
  if (tangent === undefined) throw new TypeError("discreteTangent: this solver's steps have no discrete forward mode; ForwardSensitivity differentiates its solves.");
  const rec = new TangentRecorder(steps, adj);
  const ws = createLoopWorkspace(v, args, { plan: true });
  rec.ws = ws as LoopWorkspace;
  ws.stepHook = rec;
  runLoop(v, v.y0, args, ws);
  ws.stepHook = null;
  const solution = solutionFromWorkspace(v, ws, true);
  const S = adj.stateSize;
  const x1 = new Float64Array(S);
  const xDot = new Float64Array(S);
  for (let j = 0; j < n; j++) xDot[j] = y0Dot[j]!;
  const p = Float64Array.from(pDot);
  const tangents = [xDot.slice(0, n)];
  for (let i = 0; i < steps.count; i++) {
    tangent(i, rec.states[i]!, x1, xDot, p);
    tangents.push(xDot.slice(0, n));
  }
  return { solution, tangents };
}
