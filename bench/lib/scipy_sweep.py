"""SciPy peer of the odeflow benchmarks: one run for a whole work-precision sweep.

Reads a JSON job on stdin, writes JSON on stdout. For each task (problem, method, list of rtols)
it solves once to get y(t1) and the solver's counts, then times the solve with time.perf_counter:
one warm-up call, then repeats until at least `minTime` seconds and `minRepeats` calls; it reports
the fastest and the median call, and the fastest by CPU time of the process (time.process_time). Tasks with "time": false are solved once (reference checks).

The vector fields are the same formulas as bench/lib/problems.ts and bench/c/dopri5.c, written
the way a SciPy user would: plain floats for small systems, numpy for the 7-body problem.
"""
import json
import math
import sys
import time
import warnings

import numpy as np
import scipy
from scipy.integrate import solve_ivp

MU = 0.012277471
MU1 = 1.0 - MU


def arenstorf(t, y):
    y0, y1, y2, y3 = y
    a = y0 + MU
    b = y0 - MU1
    q = y1 * y1
    d1s = a * a + q
    d2s = b * b + q
    d1 = d1s * math.sqrt(d1s)
    d2 = d2s * math.sqrt(d2s)
    return [y2, y3, y0 + 2 * y3 - MU1 * a / d1 - MU * b / d2, y1 - 2 * y2 - MU1 * y1 / d1 - MU * y1 / d2]


MASS = np.arange(1.0, 8.0)


def pleiades(t, y):
    x = y[0:7]
    yy = y[7:14]
    dx = x[None, :] - x[:, None]  # dx[i, j] = x_j - x_i
    dyy = yy[None, :] - yy[:, None]
    r2 = dx * dx + dyy * dyy
    np.fill_diagonal(r2, 1.0)
    r3 = r2 * np.sqrt(r2)
    w = MASS[None, :] / r3
    np.fill_diagonal(w, 0.0)
    return np.concatenate((y[14:28], (w * dx).sum(axis=1), (w * dyy).sum(axis=1)))


SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0


def lorenz(t, y):
    x, u, z = y
    return [SIGMA * (u - x), x * (RHO - z) - u, x * u - BETA * z]


PROBLEMS = {"arenstorf": arenstorf, "pleiades": pleiades, "lorenz": lorenz}


def solve(task, rtol, atol):
    f = PROBLEMS[task["problem"]]
    return solve_ivp(f, (task["t0"], task["t1"]), np.array(task["y0"], dtype=float), method=task["method"], rtol=rtol, atol=atol)


def main():
    job = json.load(sys.stdin)
    min_time = job.get("minTime", 0.2)
    min_repeats = job.get("minRepeats", 3)
    max_solve = job.get("maxSolveSeconds", 2.0)
    out = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__, "results": []}
    for task in job["tasks"]:
        res = {"id": task["id"], "problem": task["problem"], "method": task["method"], "points": [], "notes": []}
        rtols = task["rtols"]
        for i, rtol in enumerate(rtols):
            atol = task["atols"][i]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t_a = time.perf_counter()
                sol = solve(task, rtol, atol)
                first = time.perf_counter() - t_a
            for w in caught:
                res["notes"].append(f"rtol {rtol}: {w.message}")
            if sol.status != 0:
                res["notes"].append(f"rtol {rtol}: failed ({sol.message})")
                continue
            point = {"rtol": rtol, "atol": atol, "y": sol.y[:, -1].tolist(), "fevals": int(sol.nfev), "steps": int(len(sol.t) - 1)}
            if task.get("time", True):
                times = []
                cpus = []
                spent = 0.0
                while len(times) < min_repeats or spent < min_time:
                    c_a = time.process_time()
                    t_a = time.perf_counter()
                    solve(task, rtol, atol)
                    dt = time.perf_counter() - t_a
                    cpus.append(time.process_time() - c_a)
                    times.append(dt)
                    spent += dt
                    if dt > max_solve:
                        break
                times.sort()
                point["time"] = times[0]
                point["cpu"] = min(cpus)
                point["timeMedian"] = times[len(times) // 2]
                point["repeats"] = len(times)
            res["points"].append(point)
            if task.get("time", True) and max(first, point.get("time", 0)) > max_solve and i + 1 < len(rtols):
                res["notes"].append(f"rtol <= {rtols[i + 1]} skipped: one solve at rtol {rtol} took {max(first, point['time']):.2f} s (budget {max_solve} s)")
                break
        out["results"].append(res)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
