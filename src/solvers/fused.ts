/**
 * Fused step kernels: the explicit Runge–Kutta engine (./erk.ts) with a compiled vector field's
 * evaluation inlined into its stages, one step function per (tableau, vector field), with no call
 * per stage. The compiler installs this module (compile/compile.ts), since only it makes vector
 * fields that can be inlined; a bundle without the compiler leaves it out.
 */
import { lit } from "./codegen.js";
import { ODETerm, type AbstractTerm } from "../terms.js";
import { generateStepSource, INLINE_VECTOR_FIELD, type InlineVectorField, type StepKernel } from "./erk.js";
import type { Tableau } from "./tableau.js";

/** Largest state size for which a fused kernel keeps the state and stages in scalar locals. */
const MAX_SCALAR_FUSED_N = 16;

/**
 * Fusion pays where the call per stage is a real part of the cost (small vector fields); a step
 * function of more than ~2000 inlined operations is slow to warm up and to optimise, and gains
 * nothing over calling a separately optimised f. Larger vector fields keep one call per stage.
 */
const MAX_FUSED_STEP_OPERATIONS = 2000;

/**
 * The fused kernel of `tab` for `terms` with n components (cached per tableau and vector field),
 * or null where none applies: the terms are not an ODETerm of a vector field with the
 * INLINE_VECTOR_FIELD hook (a compiled one) of n components and a small enough evaluation.
 */
export function fusedKernelFor(tab: Tableau, terms: AbstractTerm | undefined, n: number): StepKernel | null {
  if (!(terms instanceof ODETerm)) return null;
  const hook = (terms.vf as unknown as Record<symbol, unknown>)[INLINE_VECTOR_FIELD];
  if (typeof hook !== "function") return null;
  const inline = (hook as () => InlineVectorField)();
  if (inline.n !== n || inline.operations * tab.stages > MAX_FUSED_STEP_OPERATIONS) return null;
  return fusedKernel(tab, terms.vf, inline);
}

/**
 * The fused kernel on scalar locals (small n): stage values, stage derivatives and y1 live in
 * `const` locals (as a C compiler would keep them in registers) and are stored to the stage
 * buffers only for dense output and FSAL reuse. Same sums in the same order as
 * {@link generateStepSource}, so the results are identical.
 */
function generateScalarFusedSource(tab: Tableau, inline: InlineVectorField, n: number): string {
  const scalar = inline.scalar!;
  const s = tab.stages;
  const J = Array.from({ length: n }, (_, j) => j);
  const comb = (coefs: ArrayLike<number>, count: number, j: number): string => {
    const terms: string[] = [];
    for (let l = 0; l < count; l++) {
      const a = coefs[l]!;
      if (a !== 0) terms.push(a === 1 ? `K${l}_${j}` : `${lit(a)} * K${l}_${j}`);
    }
    return terms.join(" + ");
  };
  const lines: string[] = [inline.prelude];
  lines.push(`const ${Array.from({ length: s }, (_, i) => `k${i} = ks[${i}]`).join(", ")};`);
  for (const j of J) lines.push(`const Y0_${j} = y0[${j}], K0_${j} = k0[${j}];`);
  const stage = (i: number, tc: string, y: (j: number) => string): void => {
    const { code, outputs } = scalar(tc, y, `s${i}_`);
    lines.push(code);
    for (const j of J) lines.push(`const K${i}_${j} = ${outputs[j]}; k${i}[${j}] = K${i}_${j};`);
  };
  for (let i = 1; i < s; i++) {
    if (tab.fsal && i === s - 1) break;
    for (const j of J) {
      const c = comb(tab.a.subarray(i * s, i * s + i), i, j);
      lines.push(`const S${i}_${j} = Y0_${j}${c ? ` + dt * (${c})` : ""};`);
    }
    stage(i, tab.c[i] === 1 ? "t1" : tab.c[i] === 0 ? "t" : `t + ${lit(tab.c[i]!)} * dt`, (j) => `S${i}_${j}`);
  }
  for (const j of J) lines.push(`const Y1_${j} = Y0_${j} + dt * (${comb(tab.b, s, j)}); y1[${j}] = Y1_${j};`);
  if (tab.fsal) stage(s - 1, "t1", (j) => `Y1_${j}`);
  for (const j of J) {
    if (tab.bErr) lines.push(`yErr[${j}] = dt * (${comb(tab.bErr, s, j) || "0"});`);
    if (tab.bErr2) lines.push(`yErr2[${j}] = dt * (${comb(tab.bErr2, s, j) || "0"});`);
  }
  return lines.join("\n");
}

const fusedCache = new WeakMap<object, Map<Tableau, StepKernel>>();

/** The step kernel of a tableau fused with an inlinable vector field (cached per both). */
function fusedKernel(tab: Tableau, vf: object, inline: InlineVectorField): StepKernel {
  let m = fusedCache.get(vf);
  if (m === undefined) fusedCache.set(vf, (m = new Map()));
  let k = m.get(tab);
  if (k === undefined) {
    const source = inline.scalar !== undefined && inline.n <= MAX_SCALAR_FUSED_N
      ? generateScalarFusedSource(tab, inline, inline.n)
      : generateStepSource(tab, inline);
    k = new Function(
      "f", "args", "n", "_t", "_dt", "_t1", "y0", "y1", "yErr", "yErr2", "ks", "ytmp", "times",
      `"use strict";\nconst t = times[0], dt = times[1], t1 = times[2];\n${source}`,
    ) as StepKernel;
    m.set(tab, k);
  }
  return k;
}
