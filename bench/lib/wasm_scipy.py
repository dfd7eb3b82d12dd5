"""SciPy peers of bench/wasm.bench.ts: solve_ivp RK45 and DOP853 on the large method-of-lines
problems (1-D heat equation, 2-D wave equation) with NumPy-vectorised vector fields, timed inside
Python (time.perf_counter and time.process_time; one warm-up solve, then repeats for at least
minTime seconds).

Reads a JSON job on stdin: {"tasks": [{"id", "problem", "n", "y0file", "t0", "t1", "method",
"rtol", "atol"}], "minTime"}; y0file holds n little-endian doubles. Prints JSON results.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp


def heat1d(n):
    h = 1.0 / (n + 1)
    c = 1.0 / (h * h)

    def f(t, u):
        du = np.empty_like(u)
        du[1:-1] = c * (u[:-2] - 2 * u[1:-1] + u[2:])
        du[0] = c * (-2 * u[0] + u[1])
        du[-1] = c * (u[-2] - 2 * u[-1])
        return du

    return f


def wave2d(n):
    m = int(round((n / 2) ** 0.5))
    h = 1.0 / (m + 1)
    c = 1.0 / (h * h)

    def f(t, y):
        u = y[: m * m].reshape(m, m)
        v = y[m * m:]
        lap = -4 * u
        lap[1:, :] += u[:-1, :]
        lap[:-1, :] += u[1:, :]
        lap[:, 1:] += u[:, :-1]
        lap[:, :-1] += u[:, 1:]
        return np.concatenate([v, c * lap.ravel()])

    return f


PROBLEMS = {"heat1d": heat1d, "wave2d": wave2d}


def run(task, min_time):
    n = task["n"]
    y0 = np.fromfile(task["y0file"], dtype="<f8", count=n)
    f = PROBLEMS[task["problem"]](n)
    kw = dict(method=task["method"], rtol=task["rtol"], atol=task["atol"])
    sol = solve_ivp(f, (task["t0"], task["t1"]), y0, **kw)
    times = []
    cpu = []
    spent = 0.0
    while len(times) < 2 or spent < min_time:
        c = time.process_time()
        a = time.perf_counter()
        solve_ivp(f, (task["t0"], task["t1"]), y0, **kw)
        d = time.perf_counter() - a
        cpu.append(time.process_time() - c)
        times.append(d)
        spent += d
        if d > 20:
            break
    y = sol.y[:, -1]
    return {
        "id": task["id"], "ok": bool(sol.success), "steps": int(sol.t.size - 1), "fevals": int(sol.nfev),
        "time": min(times), "timeMedian": float(np.median(times)), "cpu": min(cpu), "repeats": len(times),
        "y0": float(y[0]), "yMid": float(y[n // 2]), "yMax": float(np.max(np.abs(y))), "ySum": float(np.sum(y)),
    }


def main():
    job = json.load(sys.stdin)
    out = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__, "results": []}
    for task in job["tasks"]:
        out["results"].append(run(task, job["minTime"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
