/**
 * Terminating events in gradients: which events are differentiated, and the derivatives of the
 * event condition at the event that the adjoints need.
 *
 * A terminating event at t* with cond(t*, y(t*), p) = 0 makes t* a function of y0 and p (implicit
 * function theorem): dt* = −(g_y · dy + g_p · dp) / (g_t + g_y · f(t*, y*)), where dy is the
 * variation of the state at fixed time. Every adjoint folds this into the rows saved at t*.
 */
import type { Validated } from "../integrate.js";
import type { ArgsLayout } from "./derivatives.js";

/**
 * Events the discrete adjoint differentiates: continuous conditions (numbers) that end the solve,
 * without an affect. Anything else is refused with a TypeError naming the event.
 */
export function checkEvents(v: Validated<unknown>, who: string): void {
  if (v.events === null) return;
  v.events.forEach((e, i) => {
    if (e.kind !== "continuous" || !e.terminal || e.affect !== undefined) {
      throw new TypeError(
        `${who}: event ${i} is ${e.kind}${e.terminal ? "" : ", not terminal"}${e.affect !== undefined ? ", with an affect" : ""}; ` +
          "gradients flow through terminating continuous events without an affect (new Event({ cond, terminal: true })) only.",
      );
    }
  });
}

/** The event that ended the solve and the derivatives of its condition there. */
export interface EventPoint {
  /** The event time t*. */
  t: number;
  /** The state at t* (the first n components of the record). */
  y: Float64Array;
  /** ∂cond/∂t, ∂cond/∂y (length n) and ∂cond/∂p (our parameter layout), by central differences. */
  gt: number;
  gy: Float64Array;
  gp: Float64Array;
}

/** The last fired (terminating) event of `events` and ∂cond/∂t, ∂cond/∂y, ∂cond/∂p there. */
export function eventAt(v: Validated<unknown>, events: readonly { index: number; t: number; y: Float64Array }[], layout: ArgsLayout, n: number): EventPoint {
  const rec = events[events.length - 1]!;
  const cond = v.events![rec.index]!.cond as (t: number, y: Float64Array, args: unknown) => number;
  const y = Float64Array.from(rec.y.subarray(0, n));
  const t = rec.t;
  const g = (tt: number, yy: Float64Array, a: unknown): number => {
    const r = cond(tt, yy, a);
    if (typeof r !== "number") throw new TypeError("diffeqsolveVjp: a terminating event's cond must return a number (a boolean condition has no derivative).");
    return r;
  };
  const ht = 1e-7 * Math.max(1, Math.abs(t));
  const gt = (g(t + ht, y, layout.args) - g(t - ht, y, layout.args)) / (2 * ht);
  const gy = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const x = y[j]!;
    const h = 1e-7 * Math.max(1, Math.abs(x));
    y[j] = x + h;
    const a = g(t, y, layout.args);
    y[j] = x - h;
    const b = g(t, y, layout.args);
    y[j] = x;
    gy[j] = (a - b) / (2 * h);
  }
  const gp = new Float64Array(layout.size);
  if (layout.size > 0) {
    const m = layout.mutableCopy();
    for (let k = 0; k < layout.size; k++) {
      const x = m.get(k);
      const h = 1e-7 * Math.max(1, Math.abs(x));
      m.set(k, x + h);
      const a = g(t, y, m.value);
      m.set(k, x - h);
      const b = g(t, y, m.value);
      m.set(k, x);
      gp[k] = (a - b) / (2 * h);
    }
  }
  return { t, y: Float64Array.from(y), gt, gy, gp };
}
