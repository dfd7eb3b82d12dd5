/**
 * The direct linear solvers of the protocol in linear-solver.ts: dense LU, band LU and sparse LU
 * (each with its complex variant for RADAU5). They form W = α M − J from the stored J, factor it
 * and solve with the factors; the sparse one keeps a stale factorisation when its policy allows
 * (see linear-solver.ts) and shares one symbolic analysis between its real and complex factors.
 */
import { bandLuFactor, bandLuSolve, complexBandLuFactor, complexBandLuSolve } from "../../linalg/banded.js";
import { complexLuFactor, complexLuSolve, luFactor, luSolve } from "../../linalg/lu.js";
import { SparseLU, sparseLuBytes, type SparseLuSymbolic } from "../../linalg/sparse-lu.js";
import type { SparsePattern } from "../../linalg/sparse-pattern.js";
import { BandStore, CompressedStore, DenseStore } from "./jacobian-stores.js";
import {
  formImaginaryPart, formIterationMatrix, keepStale, type LinearSolver, type LinearSolverCounters, type MassLayout,
  STATUS_SINGULAR,
} from "./linear-solver.js";

/** Bytes of the dense solver for order n (J, W, and the complex pair for RADAU5). */
export function denseBytes(n: number, complex: boolean): number {
  return 8 * n * n * (complex ? 4 : 2) + 8 * n;
}

/** Bytes of the banded solver. */
export function bandedBytes(n: number, ml: number, mu: number, complex: boolean): number {
  return 8 * n * (2 * ml + mu + 1) * (complex ? 4 : 2) + 8 * n;
}

/** Bytes of the sparse solver for a pattern with `nnz` entries and its symbolic analysis. */
export function sparseBytes(nnz: number, sym: SparseLuSymbolic, complex: boolean): number {
  return nnz * (complex ? 32 : 16) + sparseLuBytes(sym, false) + (complex ? sparseLuBytes(sym, true) : 0);
}

/** Dense LU (LAPACK's getrf/getrs) of W and, for RADAU5, of the complex matrix. */
export class DenseSolver implements LinearSolver {
  readonly kind = "dense";
  readonly jac: DenseStore;
  readonly bytes: number;
  private readonly W: Float64Array;
  private readonly piv: Int32Array;
  private readonly cre: Float64Array;
  private readonly cim: Float64Array;
  private readonly cpiv: Int32Array;
  private readonly massLayout: MassLayout;
  private numFactorizations = 0;
  constructor(readonly n: number, mass: (store: DenseStore) => MassLayout, complex: boolean) {
    this.jac = new DenseStore(n);
    this.W = new Float64Array(n * n);
    this.piv = new Int32Array(n);
    const empty = new Float64Array(0);
    this.cre = complex ? new Float64Array(n * n) : empty;
    this.cim = complex ? new Float64Array(n * n) : empty;
    this.cpiv = new Int32Array(complex ? n : 0);
    this.bytes = denseBytes(n, complex);
    this.massLayout = mass(this.jac);
  }
  setup(alpha: number): number {
    this.numFactorizations++;
    const n = this.n;
    formIterationMatrix(n * n, this.W, this.jac.values, alpha, this.massLayout);
    return luFactor(n, this.W, this.piv) === 0 ? 0 : STATUS_SINGULAR;
  }
  solve(b: Float64Array): number {
    luSolve(this.n, this.W, this.piv, b);
    return 0;
  }
  setupComplex(ar: number, ai: number): number {
    const n = this.n;
    formIterationMatrix(n * n, this.cre, this.jac.values, ar, this.massLayout);
    formImaginaryPart(n * n, this.cim, ai, this.massLayout);
    return complexLuFactor(n, this.cre, this.cim, this.cpiv) === 0 ? 0 : STATUS_SINGULAR;
  }
  solveComplex(br: Float64Array, bi: Float64Array): number {
    complexLuSolve(this.n, this.cre, this.cim, this.cpiv, br, bi);
    return 0;
  }
  counters(out: LinearSolverCounters): void {
    out.numLUDecompositions += this.numFactorizations;
  }
}

/** Band LU (LAPACK's gbtrf/gbtrs layout) with ml sub- and mu super-diagonals. */
export class BandedSolver implements LinearSolver {
  readonly kind = "banded";
  readonly jac: BandStore;
  readonly bytes: number;
  private readonly W: Float64Array;
  private readonly piv: Int32Array;
  private readonly cre: Float64Array;
  private readonly cim: Float64Array;
  private readonly cpiv: Int32Array;
  private readonly massLayout: MassLayout;
  private numFactorizations = 0;
  constructor(readonly n: number, readonly ml: number, readonly mu: number, mass: (store: BandStore) => MassLayout, complex: boolean) {
    this.jac = new BandStore(n, ml, mu);
    const len = this.jac.values.length;
    this.W = new Float64Array(len);
    this.piv = new Int32Array(n);
    const empty = new Float64Array(0);
    this.cre = complex ? new Float64Array(len) : empty;
    this.cim = complex ? new Float64Array(len) : empty;
    this.cpiv = new Int32Array(complex ? n : 0);
    this.bytes = bandedBytes(n, ml, mu, complex);
    this.massLayout = mass(this.jac);
  }
  setup(alpha: number): number {
    this.numFactorizations++;
    formIterationMatrix(this.W.length, this.W, this.jac.values, alpha, this.massLayout);
    return bandLuFactor(this.n, this.ml, this.mu, this.W, this.piv) === 0 ? 0 : STATUS_SINGULAR;
  }
  solve(b: Float64Array): number {
    bandLuSolve(this.n, this.ml, this.mu, this.W, this.piv, b);
    return 0;
  }
  setupComplex(ar: number, ai: number): number {
    const len = this.W.length;
    formIterationMatrix(len, this.cre, this.jac.values, ar, this.massLayout);
    formImaginaryPart(len, this.cim, ai, this.massLayout);
    return complexBandLuFactor(this.n, this.ml, this.mu, this.cre, this.cim, this.cpiv) === 0 ? 0 : STATUS_SINGULAR;
  }
  solveComplex(br: Float64Array, bi: Float64Array): number {
    complexBandLuSolve(this.n, this.ml, this.mu, this.cre, this.cim, this.cpiv, br, bi);
    return 0;
  }
  counters(out: LinearSolverCounters): void {
    out.numLUDecompositions += this.numFactorizations;
  }
}

/**
 * Sparse LU of W on the pattern of J ∪ diagonal ∪ M (compressed by columns): fill-reducing order
 * and symbolic analysis once (given), numeric refactorisation after the first factorisation, a
 * stale factorisation kept within the reuse rule when `staleOk`.
 */
export class SparseSolver implements LinearSolver {
  readonly kind = "sparse";
  readonly jac: CompressedStore;
  readonly bytes: number;
  private readonly Wx: Float64Array;
  private readonly Wi: Float64Array;
  private readonly lu: SparseLU;
  private readonly luc: SparseLU | null;
  private readonly massLayout: MassLayout;
  /** α of the factorisation, and α the solves are for. */
  private alphaW = NaN;
  private alpha = NaN;
  private numFactorizations = 0;
  constructor(
    readonly n: number, pattern: SparsePattern, sym: SparseLuSymbolic, mass: (store: CompressedStore) => MassLayout,
    complex: boolean, private readonly staleOk: boolean, pivotThreshold: number,
  ) {
    this.jac = new CompressedStore(pattern, false);
    const nnz = pattern.idx.length;
    this.Wx = new Float64Array(nnz);
    this.Wi = new Float64Array(complex ? nnz : 0);
    this.lu = new SparseLU(pattern.ptr, pattern.idx, sym, false, pivotThreshold);
    this.luc = complex ? new SparseLU(pattern.ptr, pattern.idx, sym, true, pivotThreshold) : null;
    this.massLayout = mass(this.jac);
    this.bytes = sparseBytes(nnz, sym, complex);
  }
  setup(alpha: number, jacChanged: boolean): number {
    this.alpha = alpha;
    if (keepStale(this.staleOk, jacChanged, alpha, this.alphaW)) return 0;
    this.numFactorizations++;
    formIterationMatrix(this.Wx.length, this.Wx, this.jac.values, alpha, this.massLayout);
    const r = this.lu.factor(this.Wx);
    this.alphaW = r === 0 ? alpha : NaN;
    return r === 0 ? 0 : STATUS_SINGULAR;
  }
  solve(b: Float64Array): number {
    this.lu.solve(b);
    const a = this.alpha;
    const aw = this.alphaW;
    if (a !== aw) {
      const c = (2 * aw) / (a + aw);
      for (let i = 0, n = this.n; i < n; i++) b[i] *= c;
    }
    return 0;
  }
  setupComplex(ar: number, ai: number): number {
    const len = this.Wx.length;
    formIterationMatrix(len, this.Wx, this.jac.values, ar, this.massLayout);
    formImaginaryPart(len, this.Wi, ai, this.massLayout);
    return this.luc!.factor(this.Wx, this.Wi) === 0 ? 0 : STATUS_SINGULAR;
  }
  solveComplex(br: Float64Array, bi: Float64Array): number {
    this.luc!.solveComplex(br, bi);
    return 0;
  }
  counters(out: LinearSolverCounters): void {
    out.numLUDecompositions += this.numFactorizations;
    out.numPivotingFactorizations = (out.numPivotingFactorizations ?? 0) + this.lu.numPivotingFactorizations + (this.luc?.numPivotingFactorizations ?? 0);
    out.luNonzeros = this.lu.nnz;
  }
}
