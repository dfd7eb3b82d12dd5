"""SciPy peer and reference of the large-systems benchmark (bench/large-systems.bench.ts).

The 2-D Brusselator of test/stiff/bruss2d.ts (same grid, stencil, forcing and initial values),
vectorised with numpy as a SciPy user would write it, and POLLU (Verwer 1994) replicated over
independent cells. Reads a JSON job on stdin:
  {"tasks": [{"problem": "BRUSS2D", "N": 32, "cells": 32, "method": "BDF", "rtol": 1e-6, "atol": 1e-6}, ...],
   "minTime": 0.3, "maxTime": 5}
(N is read for BRUSS2D, cells for POLLU); the peak resident memory of the process (KB) comes back
with each result.
For each task: one solve (final state, counts), then repeated timed solves (time.perf_counter, at
least 2 calls and minTime seconds, fastest kept). BDF and Radau get `jac_sparsity` (the exact
pattern, so SuperLU factors the sparse iteration matrix), LSODA a band. `"reference": true` in a
task skips the timing (a tight solve for the reference).

Run as a script with --reference N OUT to write the tight reference of the N × N Brusselator
(Radau and BDF at rtol = atol = 1e-12, difference reported) for test/reference/.
"""
import json
import resource
import sys
import time
import warnings

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import coo_matrix


def bruss2d(N):
    h = 1.0 / N
    c = (np.arange(N) + 0.5) * h
    X, Y = np.meshgrid(c, c)  # X[i, j] = x_j, Y[i, j] = y_i
    forcing = np.where((X - 0.3) ** 2 + (Y - 0.6) ** 2 <= 0.01, 5.0, 0.0)
    inv = 1.0 / (h * h)

    def lap(a):
        p = np.pad(a, 1, mode="edge")  # a neighbour outside the grid is the cell itself
        return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * a

    def f(t, y):
        u = y[0::2].reshape(N, N)
        v = y[1::2].reshape(N, N)
        uuv = u * u * v
        du = 1.0 + uuv - 4.4 * u + inv * lap(u)
        if t >= 1.1:
            du = du + forcing
        dv = 3.4 * u - uuv + inv * lap(v)
        out = np.empty(2 * N * N)
        out[0::2] = du.ravel()
        out[1::2] = dv.ravel()
        return out

    y0 = np.empty(2 * N * N)
    y0[0::2] = (22.0 * Y * (1.0 - Y) ** 1.5).ravel()
    y0[1::2] = (27.0 * X * (1.0 - X) ** 1.5).ravel()
    rows, cols = [], []
    for i in range(N):
        for j in range(N):
            cell = i * N + j
            for s in range(2):
                r = 2 * cell + s
                rows += [r, r]
                cols += [2 * cell, 2 * cell + 1]
                for ii, jj in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
                    if 0 <= ii < N and 0 <= jj < N:
                        rows.append(r)
                        cols.append(2 * (ii * N + jj) + s)
    n = 2 * N * N
    sparsity = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsc()
    return f, y0, 11.5, sparsity, 2 * N  # band half-width 2N


# POLLU: Verwer's air-pollution kinetics (20 species, 25 reactions); J. G. Verwer, "Gauss–Seidel
# iteration for stiff ODEs from chemical kinetics", SIAM J. Sci. Comput. 15(5) (1994) 1243–1259;
# Bari IVP test set (Mazzia & Iavernaro), problem POLLU. Replicated over `cells` independent cells,
# cell-major (y[20 c + s]) as in bench/lib/large_problems.ts and bench/c/cvode_large.c.
K = [0.35, 0.266e2, 0.123e5, 0.86e-3, 0.82e-3, 0.15e5, 0.13e-3, 0.24e5, 0.165e5, 0.9e4, 0.22e-1, 0.12e5, 0.188e1,
     0.163e5, 0.48e7, 0.35e-3, 0.175e-1, 0.1e9, 0.444e12, 0.124e4, 0.21e1, 0.578e1, 0.474e-1, 0.178e4, 0.312e1]
POLLU_Y0 = [0, 0.2, 0, 0.04, 0, 0, 0.1, 0.3, 0.01, 0, 0, 0, 0, 0, 0, 0, 0.007, 0, 0, 0]


def pollu_rhs(y):
    """y: array of shape (20, cells); returns dy of the same shape."""
    k = K
    r = [
        k[0] * y[0], k[1] * y[1] * y[3], k[2] * y[4] * y[1], k[3] * y[6], k[4] * y[6], k[5] * y[6] * y[5],
        k[6] * y[8], k[7] * y[8] * y[5], k[8] * y[10] * y[1], k[9] * y[10] * y[0], k[10] * y[12], k[11] * y[9] * y[1],
        k[12] * y[13], k[13] * y[0] * y[5], k[14] * y[2], k[15] * y[3], k[16] * y[3], k[17] * y[15], k[18] * y[15],
        k[19] * y[16] * y[5], k[20] * y[18], k[21] * y[18], k[22] * y[0] * y[3], k[23] * y[18] * y[0], k[24] * y[19],
    ]
    d = np.empty_like(y)
    d[0] = -r[0] - r[9] - r[13] - r[22] - r[23] + r[1] + r[2] + r[8] + r[10] + r[11] + r[21] + r[24]
    d[1] = -r[1] - r[2] - r[8] - r[11] + r[0] + r[20]
    d[2] = -r[14] + r[0] + r[16] + r[18] + r[21]
    d[3] = -r[1] - r[15] - r[16] - r[22] + r[14]
    d[4] = -r[2] + r[3] + r[3] + r[5] + r[6] + r[12] + r[19]
    d[5] = -r[5] - r[7] - r[13] - r[19] + r[2] + r[17] + r[17]
    d[6] = -r[3] - r[4] - r[5] + r[12]
    d[7] = r[3] + r[4] + r[5] + r[6]
    d[8] = -r[6] - r[7]
    d[9] = -r[11] + r[6] + r[8]
    d[10] = -r[8] - r[9] + r[7] + r[10]
    d[11] = r[8]
    d[12] = -r[10] + r[9]
    d[13] = -r[12] + r[11]
    d[14] = r[13]
    d[15] = -r[17] - r[18] + r[15]
    d[16] = -r[19]
    d[17] = r[19]
    d[18] = -r[20] - r[21] - r[23] + r[22] + r[24]
    d[19] = -r[24] + r[23]
    return d


def pollu(cells):
    def f(t, y):
        return pollu_rhs(y.reshape(cells, 20).T).T.ravel()

    y0 = np.tile(np.array(POLLU_Y0, dtype=float), cells)
    # Pattern of one cell by NaN probing of the rhs (each species column), replicated block-diagonally.
    base = np.array(POLLU_Y0, dtype=float).reshape(20, 1) + 0.1
    rows, cols = [], []
    for j in range(20):
        z = base.copy()
        z[j, 0] = np.nan
        with np.errstate(invalid="ignore"):
            d = pollu_rhs(z)[:, 0]
        for i in np.nonzero(np.isnan(d))[0]:
            rows.append(int(i))
            cols.append(j)
    R = [20 * c + i for c in range(cells) for i in rows]
    C = [20 * c + j for c in range(cells) for j in cols]
    n = 20 * cells
    sparsity = coo_matrix((np.ones(len(R)), (R, C)), shape=(n, n)).tocsc()
    return f, y0, 60.0, sparsity, 19


def problem(task):
    if task["problem"] == "BRUSS2D":
        return bruss2d(task["N"])
    return pollu(task["cells"])


def main():
    job = json.load(sys.stdin)
    out = []
    warnings.simplefilter("ignore")
    for task in job["tasks"]:
        f, y0, t1, sparsity, band = problem(task)
        kw = dict(method=task["method"], rtol=task["rtol"], atol=task["atol"])
        if task["method"] == "LSODA":
            kw["lband"] = band
            kw["uband"] = band
        else:
            kw["jac_sparsity"] = sparsity

        def solve():
            return solve_ivp(f, (0.0, t1), y0, **kw)

        a = time.perf_counter()
        sol = solve()
        first = time.perf_counter() - a
        if not sol.success:
            out.append({**task, "ok": False, "reason": sol.message})
            continue
        best = first
        if not task.get("reference") and first < job.get("maxTime", 600):
            spent = first
            calls = 1
            while calls < 2 or spent < job["minTime"]:
                a = time.perf_counter()
                solve()
                dt = time.perf_counter() - a
                spent += dt
                calls += 1
                best = min(best, dt)
                if dt > 3:
                    break
        out.append({
            **task, "ok": True, "y": sol.y[:, -1].tolist(), "time": best, "fevals": int(sol.nfev),
            "steps": int(sol.t.size - 1), "jevals": int(sol.njev), "lus": int(sol.nlu),
            "peakKB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        })
    json.dump({"results": out}, sys.stdout)


def reference(N, path):
    f, y0, t1, sparsity, _ = bruss2d(N)
    warnings.simplefilter("ignore")
    ys = {}
    for method in ("Radau", "BDF"):
        sol = solve_ivp(f, (0.0, t1), y0, method=method, rtol=1e-12, atol=1e-12, jac_sparsity=sparsity)
        assert sol.success, sol.message
        ys[method] = sol.y[:, -1]
    diff = float(np.max(np.abs(ys["Radau"] - ys["BDF"])))
    doc = {
        "problem": f"2-D Brusselator, N = {N} (test/stiff/bruss2d.ts), y(11.5)",
        "source": "SciPy solve_ivp Radau at rtol = atol = 1e-12 with jac_sparsity (bench/lib/bruss2d_scipy.py --reference); "
                  "SciPy BDF at the same tolerances differs by the max-norm given in crossCheckDiff.",
        "scipy": __import__("scipy").__version__,
        "crossCheckDiff": diff,
        "t": t1,
        "y": ys["Radau"].tolist(),
    }
    with open(path, "w") as fh:
        json.dump(doc, fh)
    print(f"N = {N}: Radau vs BDF at 1e-12 differ by {diff:.2e}; written to {path}")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--reference":
        reference(int(sys.argv[2]), sys.argv[3])
    else:
        main()
