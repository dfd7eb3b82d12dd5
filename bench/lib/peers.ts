/**
 * The JavaScript peers, wrapped to one shape: solve a {@link BenchProblem} at (rtol, atol) and
 * return y(t1) with whatever counts the library reports. Each is loaded lazily; a missing package
 * gives a reason instead of an exception.
 *
 * How each is driven (documented in bench/README.md):
 * - odex (Hairer's ODEX, Gragg–Bulirsch–Stoer extrapolation): `new Solver(n)` with
 *   relativeTolerance = rtol, absoluteTolerance = atol, maxSteps raised.
 * - numeric.dopri (Dormand–Prince 5(4)): one absolute tolerance on the max-norm; given rtol.
 * - mathjs solveODE (RK45, Dormand–Prince): one absolute tolerance `tol`; given rtol.
 */
import { createRequire } from "node:module";
import type { BenchProblem } from "./problems.js";
import type { SolveOutcome } from "./workprecision.js";

const require = createRequire(import.meta.url);

export type PeerSolve = (p: BenchProblem, rtol: number, atol: number) => SolveOutcome;
export interface Peer {
  name: string;
  /** Package and version. */
  version: string;
  solve: PeerSolve;
}
export type PeerLoad = { ok: true; peer: Peer } | { ok: false; name: string; reason: string };

function version(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return "?";
  }
}

interface OdexSolver {
  relativeTolerance: number;
  absoluteTolerance: number;
  maxSteps: number;
  solve(f: (x: number, y: number[]) => number[], x0: number, y0: number[], x1: number): { y: number[]; outcome: number; nStep: number; nEval: number };
}

export function loadOdex(): PeerLoad {
  try {
    const odex = require("odex") as { Solver: new (n: number) => OdexSolver };
    return {
      ok: true,
      peer: {
        name: "odex",
        version: `odex ${version("odex")}`,
        solve: (p, rtol, atol) => {
          const s = new odex.Solver(p.n);
          s.relativeTolerance = rtol;
          s.absoluteTolerance = atol;
          s.maxSteps = 1e6;
          const r = s.solve(p.fr as (x: number, y: number[]) => number[], p.t0, p.y0.slice(), p.t1);
          if (r.outcome !== 0) throw new Error(`odex outcome ${r.outcome}`);
          return { y: r.y, steps: r.nStep, fevals: r.nEval };
        },
      },
    };
  } catch (e) {
    return { ok: false, name: "odex", reason: `cannot load odex: ${(e as Error).message}` };
  }
}

interface NumericDopri {
  x: number[];
  y: number[][];
  msg?: string;
}

export function loadNumeric(): PeerLoad {
  try {
    const numeric = require("numeric") as { dopri: (x0: number, x1: number, y0: number[], f: (t: number, y: number[]) => number[], tol: number, maxit: number) => NumericDopri };
    return {
      ok: true,
      peer: {
        name: "numeric.dopri",
        version: `numeric ${version("numeric")}`,
        solve: (p, rtol) => {
          const r = numeric.dopri(p.t0, p.t1, p.y0.slice(), p.fr as (t: number, y: number[]) => number[], rtol, 1e6);
          if (r.x[r.x.length - 1] !== p.t1) throw new Error(`numeric.dopri stopped at t = ${r.x[r.x.length - 1]}: ${r.msg ?? ""}`);
          return { y: r.y[r.y.length - 1]!, steps: r.x.length - 1 };
        },
      },
    };
  } catch (e) {
    return { ok: false, name: "numeric.dopri", reason: `cannot load numeric: ${(e as Error).message}` };
  }
}

type SolveODE = (f: (t: number, y: number[]) => number[], tspan: number[], y0: number[], options: Record<string, unknown>) => { t: number[]; y: number[][] };

export async function loadMathjs(): Promise<PeerLoad> {
  try {
    const m = (await import("mathjs")) as unknown as { solveODE: SolveODE };
    return {
      ok: true,
      peer: {
        name: "mathjs solveODE",
        version: `mathjs ${version("mathjs")}`,
        solve: (p, rtol) => {
          const r = m.solveODE(p.fr as (t: number, y: number[]) => number[], [p.t0, p.t1], p.y0.slice(), { tol: rtol, maxIter: 1e5 });
          return { y: r.y[r.y.length - 1]!, steps: r.t.length - 1 };
        },
      },
    };
  } catch (e) {
    return { ok: false, name: "mathjs solveODE", reason: `cannot load mathjs: ${(e as Error).message}` };
  }
}
