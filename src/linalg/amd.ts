/**
 * Fill-reducing ordering for sparse LU: approximate minimum degree (AMD) on the symmetric pattern
 * A + Aᵀ, and the symbolic Cholesky analysis of the permuted pattern (elimination tree, column
 * counts, flop count) that sizes the LU factors.
 *
 * AMD eliminates, at each step, a variable of least (approximate) external degree in the quotient
 * graph: eliminated variables become *elements* (cliques they would create, kept implicitly as lists
 * of their variables), so that the graph never grows beyond the original pattern. The degree of a
 * variable i adjacent to the new element p is bounded by
 *   d_i ≤ |A_i| + |L_p \ i| + Σ_{e ∈ E_i, e ≠ p} |L_e \ L_p|,
 * with |L_e \ L_p| found for all elements at once by one pass over L_p. Elements that L_p covers
 * are absorbed (aggressive absorption), variables whose neighbourhood lies inside L_p are eliminated
 * with p (mass elimination), and variables with identical adjacency are merged into supervariables
 * (found by hashing). Rows denser than 10√n are ordered last. Reference: P. R. Amestoy, T. A. Davis
 * & I. S. Duff, "An approximate minimum degree ordering algorithm", SIAM J. Matrix Anal. Appl. 17(4)
 * (1996) 886–905; the etree/row-subtree column counts: J. W. H. Liu, "The role of elimination trees
 * in sparse factorization", SIAM J. Matrix Anal. Appl. 11(1) (1990) 134–172.
 */
import type { SparsePattern } from "./sparse-pattern.js";

const VAR = 0;
const ELEM = 1;
const DEAD = 2;

/**
 * Approximate minimum degree ordering of a symmetric adjacency pattern (no diagonal; see
 * `symmetricAdjacency`). Returns perm with perm[k] = the variable eliminated k-th.
 *
 * @example
 * ```ts
 * const perm = amdOrder(symmetricAdjacency(pattern)); // factor P A Pᵀ with P from perm
 * ```
 */
export function amdOrder(adj: SparsePattern): Int32Array {
  const n = adj.n;
  const A: number[][] = new Array(n);
  const E: number[][] = new Array(n);
  const Le: number[][] = new Array(n);
  const nv = new Int32Array(n).fill(1);
  const status = new Int8Array(n);
  const deg = new Int32Array(n);
  const head = new Int32Array(n + 1).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const prev = new Int32Array(n).fill(-1);
  const mark = new Int32Array(n);
  const wmark = new Int32Array(n).fill(-1);
  const wval = new Int32Array(n);
  const hash = new Float64Array(n);
  const svNext = new Int32Array(n).fill(-1);
  const svTail = Int32Array.from({ length: n }, (_, i) => i);
  const order = new Int32Array(n);
  let pos = 0;
  let stamp = 0;

  const dense = Math.max(16, Math.floor(10 * Math.sqrt(n)));
  const denseVars: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = adj.ptr[i]!;
    const e = adj.ptr[i + 1]!;
    if (e - s > dense && n > 32) {
      status[i] = DEAD;
      denseVars.push(i);
    }
  }
  for (let i = 0; i < n; i++) {
    E[i] = [];
    Le[i] = [];
    if (status[i] === DEAD) {
      A[i] = [];
      continue;
    }
    const row: number[] = [];
    for (let k = adj.ptr[i]!; k < adj.ptr[i + 1]!; k++) {
      const j = adj.idx[k]!;
      if (j !== i && status[j] !== DEAD) row.push(j);
    }
    A[i] = row;
    deg[i] = row.length;
  }

  const insert = (v: number, d: number): void => {
    const h = head[d]!;
    next[v] = h;
    prev[v] = -1;
    if (h !== -1) prev[h] = v;
    head[d] = v;
  };
  const remove = (v: number): void => {
    const p = prev[v]!;
    const q = next[v]!;
    if (p !== -1) next[p] = q;
    else head[deg[v]!] = q;
    if (q !== -1) prev[q] = p;
  };
  const emit = (v: number): void => {
    for (let m = v; m !== -1; m = svNext[m]!) order[pos++] = m;
  };
  /** Weighted size of element e's live variables; prunes dead ones from its list. */
  const liveSize = (e: number): number => {
    const list = Le[e]!;
    let s = 0;
    let q = 0;
    for (let k = 0; k < list.length; k++) {
      const v = list[k]!;
      if (status[v] === VAR) {
        list[q++] = v;
        s += nv[v]!;
      }
    }
    list.length = q;
    return s;
  };

  const nLive = n - denseVars.length;
  for (let i = 0; i < n; i++) if (status[i] === VAR) insert(i, deg[i]!);
  let mindeg = 0;
  let eliminated = 0;
  let round = 0;
  while (eliminated < nLive) {
    while (head[mindeg] === -1) mindeg++;
    const p = head[mindeg]!;
    remove(p);
    // L_p: the variables of p's elements (which p absorbs) and of its variable list.
    stamp++;
    mark[p] = stamp;
    const Lp: number[] = [];
    for (const e of E[p]!) {
      if (status[e] !== ELEM) continue;
      for (const v of Le[e]!) {
        if (status[v] === VAR && mark[v] !== stamp) {
          mark[v] = stamp;
          Lp.push(v);
        }
      }
      status[e] = DEAD;
      Le[e] = [];
    }
    for (const v of A[p]!) {
      if (status[v] === VAR && mark[v] !== stamp) {
        mark[v] = stamp;
        Lp.push(v);
      }
    }
    status[p] = ELEM;
    A[p] = [];
    E[p] = [];
    emit(p);
    eliminated += nv[p]!;
    let degme = 0;
    for (const v of Lp) {
      degme += nv[v]!;
      remove(v);
    }
    // |L_e \ L_p| for every element adjacent to L_p.
    round++;
    for (const v of Lp) {
      for (const e of E[v]!) {
        if (status[e] !== ELEM) continue;
        if (wmark[e] !== round) {
          wmark[e] = round;
          wval[e] = liveSize(e);
        }
        wval[e] -= nv[v]!;
      }
    }
    // New element lists, pruned variable lists, approximate degrees, mass elimination.
    const remaining: number[] = [];
    for (const v of Lp) {
      const oldE = E[v]!;
      const newE: number[] = [];
      let degE = 0;
      let hsum = p;
      for (const e of oldE) {
        if (status[e] !== ELEM) continue;
        if (wval[e]! <= 0) {
          status[e] = DEAD; // aggressive absorption: L_e ⊆ L_p
          Le[e] = [];
        } else {
          newE.push(e);
          degE += wval[e]!;
          hsum += e;
        }
      }
      newE.push(p);
      const newA: number[] = [];
      let degA = 0;
      for (const u of A[v]!) {
        if (status[u] === VAR && mark[u] !== stamp) {
          newA.push(u);
          degA += nv[u]!;
          hsum += u;
        }
      }
      E[v] = newE;
      A[v] = newA;
      if (newA.length === 0 && newE.length === 1) {
        // Mass elimination: v's neighbourhood lies in L_p; eliminating it with p adds no fill.
        status[v] = DEAD;
        emit(v);
        eliminated += nv[v]!;
        degme -= nv[v]!;
        continue;
      }
      const ext = degme - nv[v]!;
      let d = degA + degE + ext;
      const d2 = deg[v]! + ext;
      if (d2 < d) d = d2;
      deg[v] = d;
      hash[v] = hsum;
      remaining.push(v);
    }
    // Clamp by the number of variables left (known only after mass elimination).
    const left = nLive - eliminated;
    for (const v of remaining) {
      const cap = left - nv[v]!;
      if (deg[v]! > cap) deg[v] = cap < 0 ? 0 : cap;
    }
    // Supervariables: variables of L_p with identical element and variable lists.
    if (remaining.length > 1) {
      remaining.sort((a, b) => hash[a]! - hash[b]! || a - b);
      for (let s = 0; s < remaining.length; ) {
        let t = s + 1;
        while (t < remaining.length && hash[remaining[t]!] === hash[remaining[s]!]) t++;
        for (let a = s; a < t - 1; a++) {
          const i = remaining[a]!;
          if (status[i] !== VAR) continue;
          stamp++;
          for (const x of A[i]!) mark[x] = stamp;
          for (const x of E[i]!) mark[x] = stamp;
          for (let b = a + 1; b < t; b++) {
            const j = remaining[b]!;
            if (status[j] !== VAR || A[j]!.length !== A[i]!.length || E[j]!.length !== E[i]!.length) continue;
            let same = true;
            for (const x of A[j]!) if (mark[x] !== stamp) same = false;
            for (const x of E[j]!) if (mark[x] !== stamp) same = false;
            if (!same) continue;
            nv[i] += nv[j]!;
            deg[i] = Math.max(0, deg[i]! - nv[j]!);
            nv[j] = 0;
            status[j] = DEAD;
            svNext[svTail[i]!] = j;
            svTail[i] = svTail[j]!;
          }
        }
        s = t;
      }
      // The stamp was reused for the comparison: restore "in L_p" marks (not needed further).
    }
    const members: number[] = [];
    for (const v of remaining) {
      if (status[v] !== VAR) continue;
      members.push(v);
      insert(v, deg[v]!);
      if (deg[v]! < mindeg) mindeg = deg[v]!;
    }
    Le[p] = members;
  }
  for (const v of denseVars) order[pos++] = v;
  return order;
}

/** The symbolic Cholesky analysis of a symmetric pattern under an ordering. */
export interface SymbolicCholesky {
  /** Elimination tree: parent[k] of column k in the permuted order (−1 for a root). */
  readonly parent: Int32Array;
  /** Strictly-lower entries of each column of L (permuted order). */
  readonly counts: Int32Array;
  /** Entries of L including the diagonal. */
  readonly nnzL: number;
  /** Multiply–add operations of an LU factorisation with diagonal pivots (2 c² + c per column). */
  readonly flops: number;
}

/**
 * Elimination tree and column counts of the Cholesky factor of P (A + Aᵀ) Pᵀ, from the adjacency
 * (no diagonal) and perm (perm[k] = old index of new k), by walking each row's subtree: O(nnz(L)).
 *
 * @example
 * ```ts
 * const { nnzL, flops } = symbolicCholesky(adj, amdOrder(adj));
 * ```
 */
export function symbolicCholesky(adj: SparsePattern, perm: Int32Array): SymbolicCholesky {
  const n = adj.n;
  const pinv = new Int32Array(n);
  for (let k = 0; k < n; k++) pinv[perm[k]!] = k;
  const parent = new Int32Array(n).fill(-1);
  const flag = new Int32Array(n).fill(-1);
  const counts = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    flag[k] = k;
    const v = perm[k]!;
    for (let q = adj.ptr[v]!; q < adj.ptr[v + 1]!; q++) {
      let j = pinv[adj.idx[q]!]!;
      if (j >= k) continue;
      while (flag[j] !== k) {
        flag[j] = k;
        counts[j]!++;
        if (parent[j] === -1) parent[j] = k;
        j = parent[j]!;
      }
    }
  }
  let nnzL = n;
  let flops = 0;
  for (let j = 0; j < n; j++) {
    const c = counts[j]!;
    nnzL += c;
    flops += 2 * c * c + c;
  }
  return { parent, counts, nnzL, flops };
}

/**
 * Nested dissection ordering of a symmetric adjacency pattern (no diagonal): the graph is split by
 * a vertex separator (a breadth-first level from a pseudo-peripheral vertex, near the middle of the
 * level structure, thinned to the vertices that touch the far side), the two sides are ordered
 * recursively and the separator last; pieces of at most `leaf` vertices are ordered by approximate
 * minimum degree. On grid-like graphs it makes much less fill than minimum degree alone (for an
 * N × N grid O(N² log N) entries and O(N³) operations). Reference: A. George, "Nested dissection of
 * a regular finite element mesh", SIAM J. Numer. Anal. 10(2) (1973) 345–363; the level-structure
 * separator: A. George & J. W. H. Liu, *Computer Solution of Large Sparse Positive Definite
 * Systems*, Prentice-Hall (1981), ch. 8.
 *
 * @example
 * ```ts
 * const perm = nestedDissectionOrder(symmetricAdjacency(pattern));
 * ```
 */
export function nestedDissectionOrder(adj: SparsePattern, leaf = 256): Int32Array {
  const n = adj.n;
  const order = new Int32Array(n);
  let pos = n; // separators are placed from the end backwards; leaves fill from the front
  let front = 0;
  const inSet = new Int32Array(n).fill(-1); // stamp: vertex belongs to the current piece
  const level = new Int32Array(n);
  const queue = new Int32Array(n);
  let stamp = 0;
  // Work list of pieces (vertex lists); separators are emitted in reverse order of discovery.
  const sepOut: Int32Array[] = [];
  const pieces: Int32Array[] = [Int32Array.from({ length: n }, (_, i) => i)];
  const leaves: Int32Array[] = [];
  while (pieces.length > 0) {
    const V = pieces.pop()!;
    if (V.length <= leaf) {
      leaves.push(V);
      continue;
    }
    stamp++;
    for (let k = 0; k < V.length; k++) inSet[V[k]!] = stamp;
    // Connected components: split them first.
    const comps = components(V);
    if (comps.length > 1) {
      for (const c of comps) pieces.push(c);
      continue;
    }
    // Pseudo-peripheral start: repeat BFS from the farthest vertex while the depth grows.
    let start = V[0]!;
    let depth = bfs(start);
    for (let it = 0; it < 4; it++) {
      const far = queue[V.length - 1]!;
      const d = bfs(far);
      if (d <= depth) break;
      depth = d;
      start = far;
    }
    bfs(start);
    if (depth < 2) {
      leaves.push(V);
      continue;
    }
    // Level counts; the separator level splits the vertices most evenly.
    const cnt = new Int32Array(depth + 1);
    for (let k = 0; k < V.length; k++) cnt[level[V[k]!]!]!++;
    let below = 0;
    let best = 1;
    let bestScore = Infinity;
    for (let l = 1; l < depth; l++) {
      below += cnt[l - 1]!;
      const above = V.length - below - cnt[l]!;
      const score = Math.abs(above - below) + 2 * cnt[l]!;
      if (score < bestScore) {
        bestScore = score;
        best = l;
      }
    }
    const A: number[] = [];
    const B: number[] = [];
    const S: number[] = [];
    for (let k = 0; k < V.length; k++) {
      const v = V[k]!;
      const l = level[v]!;
      if (l < best) A.push(v);
      else if (l > best) B.push(v);
      else {
        // Keep v in the separator only if it touches the far side.
        let touches = false;
        for (let t = adj.ptr[v]!; t < adj.ptr[v + 1]! && !touches; t++) {
          const u = adj.idx[t]!;
          if (inSet[u] === stamp && level[u] === best + 1) touches = true;
        }
        (touches ? S : A).push(v);
      }
    }
    sepOut.push(Int32Array.from(S));
    pieces.push(Int32Array.from(A), Int32Array.from(B));
  }
  // Leaves first (each by minimum degree), then separators, the first-found (top) last.
  for (const V of leaves) {
    const sub = inducedAdjacency(V);
    const p = amdOrder(sub);
    for (let k = 0; k < V.length; k++) order[front++] = V[p[k]!]!;
  }
  for (const S of sepOut) {
    pos -= S.length;
    order.set(S, pos);
  }
  return order;

  function bfs(s: number): number {
    // Levels within the current piece (inSet === stamp); returns the depth. queue holds the order.
    const mark = stamp;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    level[s] = 0;
    inSet[s] = -mark - 2; // visited (temporarily)
    let depth = 0;
    while (head < tail) {
      const v = queue[head++]!;
      const l = level[v]!;
      if (l > depth) depth = l;
      for (let t = adj.ptr[v]!; t < adj.ptr[v + 1]!; t++) {
        const u = adj.idx[t]!;
        if (inSet[u] === mark) {
          inSet[u] = -mark - 2;
          level[u] = l + 1;
          queue[tail++] = u;
        }
      }
    }
    for (let k = 0; k < tail; k++) inSet[queue[k]!] = mark;
    return depth;
  }

  function components(V: Int32Array): Int32Array[] {
    const mark = stamp;
    const out: Int32Array[] = [];
    const seen = -mark - 2;
    for (let k = 0; k < V.length; k++) {
      const s = V[k]!;
      if (inSet[s] !== mark) continue;
      let head = 0;
      let tail = 0;
      queue[tail++] = s;
      inSet[s] = seen;
      while (head < tail) {
        const v = queue[head++]!;
        for (let t = adj.ptr[v]!; t < adj.ptr[v + 1]!; t++) {
          const u = adj.idx[t]!;
          if (inSet[u] === mark) {
            inSet[u] = seen;
            queue[tail++] = u;
          }
        }
      }
      out.push(queue.slice(0, tail));
    }
    for (let k = 0; k < V.length; k++) inSet[V[k]!] = mark;
    return out;
  }

  function inducedAdjacency(V: Int32Array): SparsePattern {
    const m = V.length;
    const loc = new Map<number, number>();
    for (let k = 0; k < m; k++) loc.set(V[k]!, k);
    const ptr = new Int32Array(m + 1);
    const idx: number[] = [];
    for (let k = 0; k < m; k++) {
      const v = V[k]!;
      for (let t = adj.ptr[v]!; t < adj.ptr[v + 1]!; t++) {
        const u = loc.get(adj.idx[t]!);
        if (u !== undefined) idx.push(u);
      }
      ptr[k + 1] = idx.length;
    }
    return { n: m, ptr, idx: Int32Array.from(idx) };
  }
}
