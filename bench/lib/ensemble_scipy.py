"""SciPy peer of the ensemble benchmark: a Python loop of solve_ivp calls over Lorenz trajectories.

Job (JSON on stdin): {"rhos": [...], "t1": 1.0, "mode": "adaptive" | "fixed", "rtol", "atol", "dt"}.
Fixed steps are emulated with RK45 and first_step = max_step = dt and tolerances so loose that no
step is rejected (solve_ivp has no fixed-step mode). Prints {"seconds": total, "finals": [[x, y, z], ...]}.
"""
import json
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp


def lorenz(t, u, sigma, rho, beta):
    x, y, z = u
    return [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]


def main():
    job = json.load(sys.stdin)
    t1 = job["t1"]
    y0 = np.array([1.0, 0.0, 0.0])
    if job["mode"] == "adaptive":
        kw = dict(method="RK45", rtol=job["rtol"], atol=job["atol"])
    else:
        kw = dict(method="RK45", first_step=job["dt"], max_step=job["dt"], rtol=1e3, atol=1e3)
    # One warm-up call.
    solve_ivp(lorenz, (0.0, t1), y0, args=(10.0, 28.0, 8.0 / 3.0), **kw)
    finals = []
    a = time.perf_counter()
    for rho in job["rhos"]:
        sol = solve_ivp(lorenz, (0.0, t1), y0, args=(10.0, rho, 8.0 / 3.0), **kw)
        finals.append(sol.y[:, -1].tolist())
    seconds = time.perf_counter() - a
    print(json.dumps({"seconds": seconds, "finals": finals}))


main()
