/**
 * The direct linear solvers of the protocol in linear-solver.ts: dense LU, band LU and sparse LU
 * (each with its complex variant for RADAU5). They form W = α M − J from the stored J, factor it
 * and solve with the factors; the sparse one keeps a stale factorisation when its policy allows
 * (see linear-solver.ts) and shares one symbolic analysis between its real and complex factors.
 */
import { bandLuFactor, bandLuSolve, bandLuSolveTransposed, complexBandLuFactor, complexBandLuSolve } from "../../linalg/banded.js";
import { complexLuFactor, complexLuSolve, luFactor, luSolve, luSolveTransposed } from "../../linalg/lu.js";
import { SparseLU, sparseLuBytes, type SparseLuSymbolic } from "../../linalg/sparse-lu.js";
import type { SparsePattern } from "../../linalg/sparse-pattern.js";
import { BandStore, CompressedStore, DenseStore } from "./jacobian-stores.js";
import {
  type FactorCopy, formImaginaryPart, formIterationMatrix, keepStale, type LinearSolver, type LinearSolverCounters, type MassLayout,
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
  solveTransposed(b: Float64Array): number {
    luSolveTransposed(this.n, this.W, this.piv, b);
    return 0;
  }
  factorCopy(): FactorCopy {
    const n = this.n;
    const W = new Float64Array(this.W.length);
    const piv = new Int32Array(n);
    return {
      keep: () => {
        W.set(this.W);
        piv.set(this.piv);
      },
      solve: (b) => luSolve(n, W, piv, b),
      solveTransposed: (b) => luSolveTransposed(n, W, piv, b),
    };
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
  solveTransposed(b: Float64Array): number {
    bandLuSolveTransposed(this.n, this.ml, this.mu, this.W, this.piv, b);
    return 0;
  }
  factorCopy(): FactorCopy {
    const { n, ml, mu } = this;
    const W = new Float64Array(this.W.length);
    const piv = new Int32Array(n);
    return {
      keep: () => {
        W.set(this.W);
        piv.set(this.piv);
      },
      solve: (b) => bandLuSolve(n, ml, mu, W, piv, b),
      solveTransposed: (b) => bandLuSolveTransposed(n, ml, mu, W, piv, b),
    };
  }
  counters(out: LinearSolverCounters): void {
    out.numLUDecompositions += this.numFactorizations;
  }
}

/**
 * W is diagonally dominant enough to need no factorisation when α ≥ DIAGONAL_REGIME · ‖J‖∞
 * (identity mass): then W⁻¹ ≈ diag(α − J_ii)⁻¹, and a Newton iteration with it contracts by
 * ‖J − diag J‖∞ / (α − max |J_ii|) ≤ 1/19 per iteration. This is the regime of the first steps
 * of a stiff solve, whose size grows from ~1e-12 by a factor ≤ 10 a step: each would otherwise
 * cost a sparse factorisation.
 */
const DIAGONAL_REGIME = 20;

/**
 * Sparse LU of W on the pattern of J ∪ diagonal ∪ M (compressed by columns): fill-reducing order
 * and symbolic analysis once (given), numeric refactorisation after the first factorisation; for
 * solvers inside a Newton iteration (`staleOk`), a stale factorisation kept within the reuse rule
 * of linear-solver.ts, and the diagonal of W alone while α dwarfs J (see DIAGONAL_REGIME).
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
  /** Diagonal positions of the store, and 1/(α − J_ii) in the diagonal regime. */
  private readonly diagPos: Int32Array;
  private readonly dinv: Float64Array;
  /** α of the factorisation, and α the solves are for. */
  private alphaW = NaN;
  private alpha = NaN;
  /** The LU factors are of the current J (else only a refactorisation may serve). */
  private luCurrent = false;
  /** Solves use the diagonal of W (no factorisation). */
  private diagonal = false;
  /** ‖J‖∞ of the current J (NaN: not computed yet). */
  private jacNorm = NaN;
  private numFactorizations = 0;
  private numDiagonalSetups = 0;
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
    this.diagPos = this.massLayout.diag ?? new Int32Array(0);
    this.dinv = new Float64Array(this.massLayout.diag === null ? 0 : n);
    this.bytes = sparseBytes(nnz, sym, complex);
  }
  setup(alpha: number, jacChanged: boolean): number {
    this.alpha = alpha;
    if (jacChanged) {
      this.luCurrent = false;
      this.jacNorm = NaN;
    }
    this.diagonal = false;
    if (this.staleOk && this.massLayout.diag !== null) {
      if (!(this.jacNorm === this.jacNorm)) this.jacNorm = this.jac.normInf();
      if (alpha >= DIAGONAL_REGIME * this.jacNorm) {
        const J = this.jac.values;
        const { diagPos, dinv } = this;
        for (let i = 0; i < this.n; i++) dinv[i] = 1 / (alpha - J[diagPos[i]!]!);
        this.diagonal = true;
        this.numDiagonalSetups++;
        return 0;
      }
    }
    if (this.luCurrent && keepStale(this.staleOk, false, alpha, this.alphaW)) return 0;
    this.numFactorizations++;
    formIterationMatrix(this.Wx.length, this.Wx, this.jac.values, alpha, this.massLayout);
    const r = this.lu.factor(this.Wx);
    this.alphaW = r === 0 ? alpha : NaN;
    this.luCurrent = r === 0;
    return r === 0 ? 0 : STATUS_SINGULAR;
  }
  solve(b: Float64Array): number {
    const n = this.n;
    if (this.diagonal) {
      const dinv = this.dinv;
      for (let i = 0; i < n; i++) b[i] *= dinv[i]!;
      return 0;
    }
    this.lu.solve(b);
    const a = this.alpha;
    const aw = this.alphaW;
    if (a !== aw) {
      const c = (2 * aw) / (a + aw);
      for (let i = 0; i < n; i++) b[i] *= c;
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
    if (this.numDiagonalSetups > 0) out.numDiagonalSetups = this.numDiagonalSetups;
  }
}
