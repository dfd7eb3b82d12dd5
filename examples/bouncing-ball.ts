/**
 * A ball dropped from 10 m bounces with restitution 0.9: each impact (located exactly by an
 * Event on the solver's interpolant) reverses and damps the velocity. Prints the impact times
 * next to the closed form, t₁ = √(2h/g) and t_{k+1} = t_k + 2 e^k v₁ / g, then shows what
 * happens near the accumulation point t∞ = t₁ (1 + 2e / (1 − e)): the bounces pile up, and the
 * solve ends just before t∞ with `RESULTS.eventsAccumulated` and a message giving t∞, instead of
 * passing it (the ball would fall through the floor).
 *
 * Run: node --import tsx examples/bouncing-ball.ts
 */
import { diffeqsolve, Dopri5, Event, ODETerm, PIDController, RESULTS, resultName, SaveAt } from "../src/index.js";

const g = 9.81;
const e = 0.9;
const h0 = 10;

const ball = new ODETerm((_t: number, y: Float64Array, _args: unknown, dy: Float64Array) => {
  dy[0] = y[1]!; // height' = velocity
  dy[1] = -g; // velocity' = −g
});
const bounce = new Event({
  cond: (_t, y) => y[0]!, // the height crosses zero …
  direction: "down", // … going down
  affect: (_t, y) => {
    y[1] = -e * y[1]!; // reverse and damp the velocity
  },
});

const sol = diffeqsolve({
  terms: ball, solver: new Dopri5(), t0: 0, t1: 20, y0: [h0, 0], event: bounce,
  stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
  saveat: new SaveAt({ ts: [5, 10, 15, 20] }),
});

const t1 = Math.sqrt((2 * h0) / g);
let exact = t1;
let v = g * t1;
console.log(" k   impact time (odeflow)   closed form            difference   speed before");
sol.events.forEach((ev, k) => {
  console.log(
    `${String(k + 1).padStart(2)}   ${ev.t.toFixed(15).padEnd(22)}  ${exact.toFixed(15).padEnd(22)} ${(ev.t - exact).toExponential(1).padStart(9)}   ${(-ev.y[1]!).toFixed(6)}`,
  );
  exact += (2 * e * v) / g;
  v *= e;
});
console.log(`\n${sol.events.length} impacts before t = 20; ${sol.stats.numAcceptedSteps} steps, ${sol.stats.numFnEvals} evaluations of f.`);
for (let i = 0; i < sol.ts.length; i++) console.log(`height at t = ${sol.ts[i]}: ${sol.ys[i]![0]!.toFixed(9)} m`);

// Past the accumulation point the bounces never end: the solve stops just before it.
const tInf = t1 * (1 + (2 * e) / (1 - e));
const zeno = diffeqsolve({
  terms: ball, solver: new Dopri5(), t0: 0, t1: 40, y0: [h0, 0], event: bounce, throw: false,
  stepsizeController: new PIDController({ rtol: 1e-10, atol: 1e-12 }),
});
console.log(`\nSolving to t = 40, past the accumulation point t∞ = ${tInf.toFixed(9)}:`);
console.log(`result ${resultName(zeno.result)} at t = ${zeno.tFinal.toFixed(9)} after ${zeno.events.length} impacts`);
console.log(zeno.result === RESULTS.eventsAccumulated ? zeno.message : "");
