"""SciPy peer of bench/stiff.bench.ts: solve_ivp with BDF, Radau and LSODA on the stiff problems.

Reads a JSON job on stdin ({tasks: [{problem, method, rtol, atol, t1}], minTime}); for each task
solves once (final state, counts), then times repeated solves with time.perf_counter and reports
the fastest call. Right-hand sides and Jacobians are written as a SciPy user would (plain floats,
analytic Jacobians given to the implicit methods, as odeflow's finite differences are not).
"""
import json
import sys
import time
import warnings

import numpy as np
from scipy.integrate import solve_ivp


def rober(t, y):
    y0, y1, y2 = y
    return [-0.04 * y0 + 1e4 * y1 * y2, 0.04 * y0 - 1e4 * y1 * y2 - 3e7 * y1 * y1, 3e7 * y1 * y1]


def rober_jac(t, y):
    y0, y1, y2 = y
    return np.array([[-0.04, 1e4 * y2, 1e4 * y1], [0.04, -1e4 * y2 - 6e7 * y1, -1e4 * y1], [0.0, 6e7 * y1, 0.0]])


def vdpol(t, y):
    return [y[1], ((1 - y[0] * y[0]) * y[1] - y[0]) / 1e-6]


def vdpol_jac(t, y):
    return np.array([[0.0, 1.0], [(-2 * y[0] * y[1] - 1) / 1e-6, (1 - y[0] * y[0]) / 1e-6]])


def hires(t, y):
    y1, y2, y3, y4, y5, y6, y7, y8 = y
    f7 = 280.0 * y6 * y8 - 1.81 * y7
    return [
        -1.71 * y1 + 0.43 * y2 + 8.32 * y3 + 0.0007,
        1.71 * y1 - 8.75 * y2,
        -10.03 * y3 + 0.43 * y4 + 0.035 * y5,
        8.32 * y2 + 1.71 * y3 - 1.12 * y4,
        -1.745 * y5 + 0.43 * y6 + 0.43 * y7,
        -280.0 * y6 * y8 + 0.69 * y4 + 1.71 * y5 - 0.43 * y6 + 0.69 * y7,
        f7,
        -f7,
    ]


BRUSS_N = 500


def bruss(t, y):
    """1-D Brusselator (Hairer & Wanner II, (10.10)), interleaved (u_i, v_i), vectorised with numpy."""
    n = BRUSS_N
    u = y[0::2]
    v = y[1::2]
    c = (1.0 / 50.0) * (n + 1) ** 2
    ul = np.concatenate(([1.0], u[:-1]))
    ur = np.concatenate((u[1:], [1.0]))
    vl = np.concatenate(([3.0], v[:-1]))
    vr = np.concatenate((v[1:], [3.0]))
    du = 1.0 + u * u * v - 4.0 * u + c * (ul - 2.0 * u + ur)
    dv = 3.0 * u - u * u * v + c * (vl - 2.0 * v + vr)
    out = np.empty_like(y)
    out[0::2] = du
    out[1::2] = dv
    return out


def bruss_y0():
    n = BRUSS_N
    x = np.arange(1, n + 1) / (n + 1)
    y = np.empty(2 * n)
    y[0::2] = 1.0 + np.sin(2 * np.pi * x)
    y[1::2] = 3.0
    return y


def bruss_sparsity():
    from scipy.sparse import diags
    n = 2 * BRUSS_N
    return diags([np.ones(n - abs(k)) for k in range(-2, 3)], list(range(-2, 3)), format="csc")


PROBLEMS = {
    "ROBER": (rober, rober_jac, [1.0, 0.0, 0.0]),
    "VDPOL": (vdpol, vdpol_jac, [2.0, 0.0]),
    "HIRES": (hires, None, [1.0, 0, 0, 0, 0, 0, 0, 0.0057]),
    "BRUSS": (bruss, None, None),
}


def main():
    job = json.load(sys.stdin)
    out = []
    warnings.simplefilter("ignore")
    for task in job["tasks"]:
        f, jac, y0 = PROBLEMS[task["problem"]]
        kw = dict(method=task["method"], rtol=task["rtol"], atol=task["atol"])
        if jac is not None:
            kw["jac"] = jac
        if task["problem"] == "BRUSS":
            y0 = bruss_y0()
            if task["method"] == "LSODA":
                kw["lband"] = 2
                kw["uband"] = 2
            else:
                kw["jac_sparsity"] = bruss_sparsity()

        def solve():
            return solve_ivp(f, (0.0, task["t1"]), y0, **kw)

        sol = solve()
        if not sol.success:
            out.append({**task, "ok": False, "reason": sol.message})
            continue
        best = float("inf")
        spent = 0.0
        calls = 0
        while calls < 2 or spent < job["minTime"]:
            a = time.perf_counter()
            solve()
            dt = time.perf_counter() - a
            spent += dt
            calls += 1
            best = min(best, dt)
            if dt > 3:
                break
        out.append({**task, "ok": True, "y": sol.y[:, -1].tolist(), "time": best, "fevals": int(sol.nfev), "steps": int(sol.t.size - 1)})
    json.dump({"results": out}, sys.stdout)


main()
