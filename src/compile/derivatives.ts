/**
 * Derivatives as graph transforms: forward mode (JVP), reverse mode (VJP), and sparse Jacobians
 * (forward propagation of sparse gradients, which gives the structural pattern for free), plus a
 * greedy column colouring of the pattern for compressed finite differences.
 *
 * Every derivative is itself a set of nodes in the same hash-consed graph, so it shares
 * subexpressions with f and is turned into code by the same generator. References: Griewank &
 * Walther, Evaluating Derivatives (2nd ed., SIAM 2008), ch. 3–4 (modes) and ch. 8 (colouring);
 * Curtis, Powell & Reid, J. Inst. Math. Appl. 13 (1974) 117–119 (column grouping).
 */
import { Graph, Op } from "./graph.js";

/** Marks the nodes that `roots` depend on. */
export function cone(g: Graph, roots: readonly number[]): Uint8Array {
  const mark = new Uint8Array(g.size);
  const stack: number[] = [];
  for (const r of roots) if (!mark[r]) { mark[r] = 1; stack.push(r); }
  while (stack.length > 0) {
    const id = stack.pop()!;
    const op = g.op[id]!;
    if (op < Op.NEG) continue;
    const a = g.a[id]!;
    if (!mark[a]) { mark[a] = 1; stack.push(a); }
    if (op >= Op.ADD) {
      const b = g.b[id]!;
      if (!mark[b]) { mark[b] = 1; stack.push(b); }
      if (op === Op.SELECT) {
        const c = g.c[id]!;
        if (!mark[c]) { mark[c] = 1; stack.push(c); }
      }
    }
  }
  return mark;
}

/**
 * Forward mode: the tangents of `outputs` given tangents of some input nodes (`seed`: input node
 * → tangent node). Returns one tangent node per output.
 */
export function jvpNodes(g: Graph, outputs: readonly number[], seed: ReadonlyMap<number, number>): number[] {
  const size = g.size;
  const mark = cone(g, outputs);
  const tan = new Int32Array(size).fill(-1);
  for (const [id, t] of seed) if (id < size) tan[id] = t;
  for (let id = 0; id < size; id++) {
    if (!mark[id] || g.op[id]! < Op.NEG) continue;
    const op = g.op[id] as Op;
    const a = g.a[id]!;
    const b = g.b[id]!;
    if (op === Op.SELECT) {
      const c = g.c[id]!;
      const tb = tan[b]!;
      const tc = tan[c]!;
      if (tb < 0 && tc < 0) continue;
      const zero = g.constant(0);
      tan[id] = g.node(Op.SELECT, a, tb < 0 ? zero : tb, tc < 0 ? zero : tc);
      continue;
    }
    if (tan[a]! < 0 && (op < Op.ADD || tan[b]! < 0)) continue;
    const p = g.partials(id);
    let acc = -1;
    for (let k = 0; k < p.length; k += 2) {
      const t = tan[p[k]!]!;
      if (t < 0) continue;
      const term = g.mul(p[k + 1]!, t);
      acc = acc < 0 ? term : g.add(acc, term);
    }
    tan[id] = acc;
  }
  const zero = g.constant(0);
  return outputs.map((o) => (tan[o]! < 0 ? zero : tan[o]!));
}

/**
 * Reverse mode: the adjoints of the nodes in `wrt` given cotangent nodes `bar` of the outputs
 * (Σ_i bar_i ∂outputs_i/∂wrt_j). Returns one adjoint node per entry of `wrt`.
 */
export function vjpNodes(g: Graph, outputs: readonly number[], bar: readonly number[], wrt: readonly number[]): number[] {
  const size = g.size;
  const mark = cone(g, outputs);
  const adj = new Int32Array(size).fill(-1);
  const accumulate = (id: number, v: number): void => {
    adj[id] = adj[id]! < 0 ? v : g.add(adj[id]!, v);
  };
  for (let i = 0; i < outputs.length; i++) accumulate(outputs[i]!, bar[i]!);
  for (let id = size - 1; id >= 0; id--) {
    const w = adj[id]!;
    if (w < 0 || !mark[id] || g.op[id]! < Op.NEG) continue;
    if (g.op[id] === Op.SELECT) {
      const zero = g.constant(0);
      accumulate(g.b[id]!, g.node(Op.SELECT, g.a[id]!, w, zero));
      accumulate(g.c[id]!, g.node(Op.SELECT, g.a[id]!, zero, w));
      continue;
    }
    const p = g.partials(id);
    for (let k = 0; k < p.length; k += 2) accumulate(p[k]!, g.mul(p[k + 1]!, w));
  }
  const zero = g.constant(0);
  return wrt.map((id) => (id < size && adj[id]! >= 0 ? adj[id]! : zero));
}

/** A sparse Jacobian: for each row, its structurally non-zero columns and their entries (nodes). */
export interface SparseJacobian {
  rows: number;
  cols: number;
  /** cols of row i, ascending. */
  pattern: number[][];
  /** entry nodes, aligned with `pattern`. */
  entries: number[][];
}

/**
 * The Jacobian of `outputs` with respect to the input nodes `vars` (column j ↔ vars[j]), by
 * forward propagation of sparse gradients through the cone of the outputs. With `maxNodes`, null
 * as soon as it has added more than that many nodes to the graph (a bound on its cost).
 */
export function sparseJacobian(g: Graph, outputs: readonly number[], vars: readonly number[]): SparseJacobian;
export function sparseJacobian(g: Graph, outputs: readonly number[], vars: readonly number[], maxNodes: number): SparseJacobian | null;
export function sparseJacobian(g: Graph, outputs: readonly number[], vars: readonly number[], maxNodes = Infinity): SparseJacobian | null {
  const size = g.size;
  const limit = size + maxNodes;
  const mark = cone(g, outputs);
  const grads: (Map<number, number> | undefined)[] = new Array(size);
  for (let j = 0; j < vars.length; j++) {
    const v = vars[j]!;
    if (v < size && mark[v]) grads[v] = new Map([[j, g.constant(1)]]);
  }
  for (let id = 0; id < size; id++) {
    if (!mark[id] || g.op[id]! < Op.NEG) continue;
    if (g.size > limit) return null;
    const op = g.op[id] as Op;
    const a = g.a[id]!;
    const b = g.b[id]!;
    if (op === Op.SELECT) {
      const gb = grads[b];
      const gc = grads[g.c[id]!];
      if (gb === undefined && gc === undefined) continue;
      const zero = g.constant(0);
      const m = new Map<number, number>();
      const cols = new Set<number>([...(gb?.keys() ?? []), ...(gc?.keys() ?? [])]);
      for (const j of cols) m.set(j, g.node(Op.SELECT, a, gb?.get(j) ?? zero, gc?.get(j) ?? zero));
      grads[id] = m;
      continue;
    }
    if (grads[a] === undefined && (op < Op.ADD || grads[b] === undefined)) continue;
    const p = g.partials(id);
    let m: Map<number, number> | undefined;
    for (let k = 0; k < p.length; k += 2) {
      const gi = grads[p[k]!];
      if (gi === undefined) continue;
      const d = p[k + 1]!;
      m ??= new Map();
      for (const [j, e] of gi) {
        const term = g.mul(d, e);
        const prev = m.get(j);
        m.set(j, prev === undefined ? term : g.add(prev, term));
      }
    }
    if (m !== undefined) {
      for (const [j, e] of m) if (g.isConst(e, 0)) m.delete(j);
      if (m.size > 0) grads[id] = m;
    }
  }
  const pattern: number[][] = [];
  const entries: number[][] = [];
  for (const o of outputs) {
    const m = grads[o];
    const cols = m === undefined ? [] : [...m.keys()].filter((j) => !g.isConst(m.get(j)!, 0)).sort((x, y) => x - y);
    pattern.push(cols);
    entries.push(cols.map((j) => m!.get(j)!));
  }
  return { rows: outputs.length, cols: vars.length, pattern, entries };
}

/**
 * A column colouring of a sparsity pattern: columns of the same colour share no row, so one
 * finite difference per colour recovers the whole Jacobian (Curtis–Powell–Reid). Greedy, in
 * column order.
 */
export function colorColumns(pattern: readonly (readonly number[])[], cols: number): { colors: Int32Array; count: number } {
  const byCol: number[][] = Array.from({ length: cols }, () => []);
  for (let i = 0; i < pattern.length; i++) for (const j of pattern[i]!) byCol[j]!.push(i);
  const colors = new Int32Array(cols).fill(-1);
  const rowColors: Set<number>[] = pattern.map(() => new Set());
  let count = 0;
  for (let j = 0; j < cols; j++) {
    const used = new Set<number>();
    for (const i of byCol[j]!) for (const c of rowColors[i]!) used.add(c);
    let c = 0;
    while (used.has(c)) c++;
    colors[j] = c;
    count = Math.max(count, c + 1);
    for (const i of byCol[j]!) rowColors[i]!.add(c);
  }
  return { colors, count };
}
