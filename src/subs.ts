/**
 * Several outputs in one solve (diffrax's `SubSaveAt`): `new SaveAt({ subs: [...] })` saves each
 * sub's own times and `fn` in the same loop, and `sol.subs[i]` returns them in order.
 *
 * Everything only several outputs need lives here and reaches the core through the support slot
 * of src/subs-support.ts, installed when this module loads: a solve with one output (the common
 * case, and a bundle of diffeqsolve alone) neither runs nor carries it.
 */
import type { Saver } from "./integrate/output.js";
import { checkOptions, type OutputSpec, parseOutput, type SaveFn, SUB_KEYS, type SubSaveAtOptions } from "./saveat.js";
import { rowViews } from "./solution.js";
import { describeValue } from "./tree.js";
import { installSubsSupport } from "./subs-support.js";

/**
 * One output of a solve with several (`new SaveAt({ subs: [...] })`, diffrax's `SubSaveAt`): its
 * own times (t0, t1, ts, every k-th step) and its own `fn`.
 *
 * @example Dense output times for the state, and the energy at every step.
 * ```ts
 * new SaveAt({ subs: [new SubSaveAt({ ts }), new SubSaveAt({ steps: true, fn: (t, y) => y[0] ** 2 + y[1] ** 2 })] });
 * ```
 */
export class SubSaveAt implements OutputSpec {
  readonly t0: boolean;
  readonly t1: boolean;
  readonly ts: Float64Array | undefined;
  readonly steps: number;
  readonly fn: SaveFn | undefined;

  constructor(options: SubSaveAtOptions = {}) {
    checkOptions(options, SUB_KEYS, "SubSaveAt", "{ ts: [0, 1] }");
    const spec = parseOutput(options, "SubSaveAt");
    this.t0 = spec.t0;
    this.t1 = spec.t1;
    this.ts = spec.ts;
    this.steps = spec.steps;
    this.fn = spec.fn;
  }
}

/**
 * One output of a solve that saves several (`new SaveAt({ subs })`): its saved times and rows,
 * in the order of the subs.
 */
export class SubSolution {
  /** Saved times, in time order. */
  readonly ts: Float64Array;
  /** Saved rows packed row after row (row length {@link size}). */
  readonly ysFlat: Float64Array;
  /** Length of a saved row (the state's length, or the length of the sub's `fn` value). */
  readonly size: number;

  /** @internal Built by `diffeqsolve`. */
  constructor(ts: Float64Array, ysFlat: Float64Array, size: number) {
    this.ts = ts;
    this.ysFlat = ysFlat;
    this.size = size;
  }

  /** One row per saved time (views of {@link ysFlat}). */
  get ys(): Float64Array[] {
    return rowViews(this.ysFlat, this.size, this.ts.length);
  }

  /** All saved values of component `i` (a copy, one per saved time). */
  column(i: number): Float64Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new RangeError(`sub.column(i): i = ${describeValue(i)} is out of range; saved rows have ${this.size} components (0 … ${this.size - 1}).`);
    }
    const m = this.ts.length;
    const out = new Float64Array(m);
    for (let r = 0; r < m; r++) out[r] = this.ysFlat[r * this.size + i]!;
    return out;
  }
}

installSubsSupport({
  check(options) {
    const subs = options.subs;
    if (!Array.isArray(subs) || subs.length === 0 || !subs.every((x) => x instanceof SubSaveAt)) return undefined;
    for (const key of SUB_KEYS) {
      if ((options as Record<string, unknown>)[key] !== undefined) {
        throw new TypeError(`new SaveAt({ subs, ${key} }): give either \`subs\` or the output's own options (t0, t1, ts, steps, fn), not both; move \`${key}\` into a SubSaveAt.`);
      }
    }
    return Object.freeze(subs.slice());
  },
  outputTimes(subs) {
    return Float64Array.from(subs.flatMap((spec) => (spec.ts === undefined ? [] : Array.from(spec.ts)))).sort();
  },
  solutions(savers: readonly Saver[], cut) {
    return savers.map((s) => new SubSolution(cut(s.rows.ts, s.rows.count), cut(s.rows.ys, s.rows.count * s.rows.width), s.rows.width));
  },
  fromJSON(data, f64) {
    return (data as { ts: unknown; ysFlat: unknown; size: number }[]).map((x, i) => new SubSolution(f64(x.ts, `subs[${i}].ts`), f64(x.ysFlat, `subs[${i}].ysFlat`), x.size));
  },
});
