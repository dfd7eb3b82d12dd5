/**
 * The interpreter: runs the same instruction list as the generated code, one operation at a time,
 * over a register file. It is used automatically where `new Function` is forbidden (a
 * Content-Security-Policy without `unsafe-eval`) and can be forced with `mode: "interpreter"`.
 * Every operation is evaluated by the same {@link evalOp} that constant folding uses, so results
 * equal those of the generated code bit for bit.
 */
import { flattenArgs, type ArgLayout } from "./args.js";
import { missingArgsMessage, program, type KernelSpec } from "./codegen.js";
import { evalOp, Graph, Op } from "./graph.js";

/** A kernel with the generated code's signature, `(t, y, args, [x,] out) => void`. */
export type Kernel = (...a: any[]) => void;

/** An interpreting kernel for `spec`. */
export function interpretedKernel(g: Graph, spec: KernelSpec, layout: ArgLayout): Kernel {
  const prog = program(g, spec.outputs);
  // Registers: one per instruction-list node and per constant that is used.
  const reg = new Map<number, number>();
  const constants: number[] = [];
  const regOf = (id: number): number => {
    let r = reg.get(id);
    if (r === undefined) {
      r = reg.size;
      reg.set(id, r);
      if (g.op[id] === Op.CONST) constants.push(r, g.value[id]!);
    }
    return r;
  };
  const m = prog.nodes.length;
  const op = new Uint8Array(m);
  const dst = new Int32Array(m);
  const ra = new Int32Array(m);
  const rb = new Int32Array(m);
  const rc = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const id = prog.nodes[i]!;
    const o = g.op[id] as Op;
    op[i] = o;
    if (o >= Op.NEG) {
      ra[i] = regOf(g.a[id]!);
      if (o >= Op.ADD) rb[i] = regOf(g.b[id]!);
      if (o === Op.SELECT) rc[i] = regOf(g.c[id]!);
    } else {
      ra[i] = g.a[id]!; // input index
    }
    dst[i] = regOf(id);
  }
  const outReg = Int32Array.from(spec.outputs, (o) => regOf(o));
  const zeroFill = spec.zeroFill === true;
  const slots = spec.slots === undefined ? null : Int32Array.from(spec.slots);
  const R = new Float64Array(Math.max(1, reg.size));
  for (let k = 0; k < constants.length; k += 2) R[constants[k]!] = constants[k + 1]!;
  const P = new Float64Array(Math.max(1, layout.size));
  const hasX = spec.hasX;
  const split = spec.split ?? -1;
  const missing = missingArgsMessage(layout);
  return (t: number, y: Float64Array, args: unknown, a3: Float64Array, a4?: Float64Array, a5?: Float64Array): void => {
    const x = hasX ? a3 : null;
    const out = hasX ? a4! : a3;
    flattenArgs(layout, args, P, missing);
    for (let i = 0; i < m; i++) {
      const o = op[i]!;
      let v: number;
      switch (o) {
        case Op.T: v = t; break;
        case Op.Y: v = y[ra[i]!]!; break;
        case Op.P: v = P[ra[i]!]!; break;
        case Op.X: v = x![ra[i]!]!; break;
        default: v = evalOp(o, R[ra[i]!]!, R[rb[i]!]!, R[rc[i]!]!);
      }
      R[dst[i]!] = v;
    }
    if (zeroFill) out.fill(0);
    if (split >= 0) {
      const out2 = a5!;
      for (let k = 0; k < split; k++) out[k] = R[outReg[k]!]!;
      for (let k = split; k < outReg.length; k++) out2[k - split] = R[outReg[k]!]!;
    } else if (slots === null) for (let k = 0; k < outReg.length; k++) out[k] = R[outReg[k]!]!;
    else for (let k = 0; k < outReg.length; k++) out[slots[k]!] = R[outReg[k]!]!;
  };
}
