/**
 * Axis ticks and their labels, in readable form: plain decimals from 10⁻³ to 10⁵ (`0.25`, `1500`),
 * powers of ten outside it (`10⁻⁶`, `8×10⁷`, never `1e-6` or `0.000001`), or SI prefixes
 * (`20 µ`, `1.5 k`) on request. Ticks of a linear axis are 1, 2 or 5 times a power of ten; those of
 * a log axis are whole decades (every k-th decade on a wide axis), with 2× and 5× in between on an
 * axis narrower than two decades.
 */

const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
};

/** `n` in superscript digits (`-6` → `⁻⁶`). */
export function superscript(n: number): string {
  return String(n).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]!);
}

/** How tick labels are written: powers of ten (`8×10⁷`) or SI prefixes (`80 M`) outside 10⁻³ … 10⁵. */
export type TickFormat = "auto" | "si";

const SI: [number, string][] = [
  [24, "Y"], [21, "Z"], [18, "E"], [15, "P"], [12, "T"], [9, "G"], [6, "M"], [3, "k"], [0, ""],
  [-3, "m"], [-6, "µ"], [-9, "n"], [-12, "p"], [-15, "f"], [-18, "a"], [-21, "z"], [-24, "y"],
];

/** Shortest decimal of `v` with at most `digits` significant digits (no trailing zeros). */
function trimmed(v: number, digits: number): string {
  return String(Number(v.toPrecision(digits)));
}

/**
 * A tick value as a label. `step` is the distance between neighbouring ticks (it fixes how many
 * digits are shown, so that 0.1 + 0.2 prints as 0.3); omit it for a single value.
 *
 * @example
 * ```ts
 * formatTick(1e-6);       // "10⁻⁶"
 * formatTick(8e7);        // "8×10⁷"
 * formatTick(0.30000000000000004, 0.1); // "0.3"
 * formatTick(2e-5, undefined, "si");    // "20 µ"
 * ```
 */
export function formatTick(v: number, step?: number, format: TickFormat = "auto"): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  // Rounding noise next to zero (0.1 + 0.2 − 0.3) is zero.
  if (a === 0 || (step !== undefined && a < 1e-9 * Math.abs(step))) return "0";
  const sign = v < 0 ? "−" : "";
  const digits = step !== undefined && step > 0 ? Math.min(15, Math.max(1, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step) + 1e-9) + 1)) : 4;
  if (a >= 1e-3 && a < 1e5) return sign + trimmed(a, Math.max(digits, Math.floor(Math.log10(a)) + 1));
  let e = Math.floor(Math.log10(a));
  let m = Number((a / 10 ** e).toPrecision(digits));
  if (m >= 10) { m /= 10; e += 1; }
  if (format === "si") {
    const p = Math.floor(e / 3) * 3;
    const prefix = SI.find(([q]) => q === p);
    if (prefix !== undefined) return `${sign}${trimmed(a / 10 ** p, digits)}${prefix[1] === "" ? "" : " " + prefix[1]}`;
  }
  const mantissa = trimmed(m, digits);
  return mantissa === "1" ? `${sign}10${superscript(e)}` : `${sign}${mantissa}×10${superscript(e)}`;
}

/** A factor or a log-axis tick as a power of ten when it is one (`10⁴`, `10⁻⁶`, `10⁰`), else as {@link formatTick}. */
export function formatPower(v: number, format: TickFormat = "auto"): string {
  const e = Math.round(Math.log10(Math.abs(v)));
  if (v > 0 && Math.abs(v / 10 ** e - 1) < 1e-9) return `10${superscript(e)}`;
  return formatTick(v, undefined, format);
}

/** Nice ticks of a linear axis over [lo, hi]: multiples of 1, 2 or 5 × 10ᵏ, about `count` of them. */
export function linearTicks(lo: number, hi: number, count = 5): { ticks: number[]; step: number } {
  if (!(hi > lo)) return { ticks: [lo], step: 0 };
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  return { ticks: linearTicksWithStep(lo, hi, step), step };
}

/** The multiples of `step` in [lo, hi]. */
export function linearTicksWithStep(lo: number, hi: number, step: number): number[] {
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + 1e-9 * step; k++) ticks.push(Math.abs(k * step) < 1e-12 * step ? 0 : Number((k * step).toPrecision(15)));
  return ticks;
}

/** Nice linear bounds: [lo, hi] widened to the nearest ticks outside it. */
export function niceBounds(lo: number, hi: number, count = 5): [number, number] {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const { step } = linearTicks(lo, hi, count);
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

/** Ticks of a log axis over [lo, hi] (both > 0): decades, or 1-2-5 within a narrow range. */
export function logTicks(lo: number, hi: number, count = 6): number[] {
  const a = Math.floor(Math.log10(lo) + 1e-9);
  const b = Math.ceil(Math.log10(hi) - 1e-9);
  const decades = b - a;
  const ticks: number[] = [];
  if (decades <= 2) {
    for (let e = a; e <= b; e++) for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
    return ticks;
  }
  const every = Math.max(1, Math.ceil(decades / count));
  for (let e = Math.ceil(a / every) * every; e <= b; e += every) {
    const v = Number(`1e${e}`);
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
  }
  return ticks;
}

/** Log bounds: [lo, hi] widened to whole decades. */
export function logBounds(lo: number, hi: number): [number, number] {
  const a = Math.floor(Math.log10(lo) + 1e-9);
  const b = Math.ceil(Math.log10(hi) - 1e-9);
  return [Number(`1e${a}`), Number(`1e${b === a ? a + 1 : b}`)];
}
