"""SciPy peer for bench/dde.bench.ts: MATLAB's dde23 example ddex1 by the method of steps.

SciPy has no delay solver, so this is the textbook method of steps around solve_ivp: the delays
(1 and 0.2) are multiples of d = 0.2, so on [k d, (k + 1) d] every delayed argument lies in an
earlier interval whose dense output (OdeSolution) is kept; each interval is one solve_ivp call
started from the end of the previous one (so the steps also land on every multiple of d, as the
discontinuity tracking of a DDE solver would make them).

    y1' = y1(t - 1),  y2' = y1(t - 1) + y2(t - 0.2),  y3' = y2(t),  y = 1 for t <= 0,  t in [0, 5].

Reads a JSON job on stdin ({ runs, minTime, tols, methods, ts }), prints JSON: per method and
tolerance the best time per solve (time.perf_counter), the solution at ts and the number of
vector-field calls.
"""
import json
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp

D = 0.2
K = 25


def solve(method, rtol, atol, ts):
    pieces = []
    counter = [0]

    def past(j, t):
        # y(t) on interval j (j < 0: the history).
        if j < 0:
            return np.ones(3)
        return pieces[j](t)

    y0 = np.ones(3)
    for k in range(K):
        def f(t, y, k=k):
            counter[0] += 1
            a = past(k - 5, t - 1.0)
            b = past(k - 1, t - 0.2)
            return [a[0], a[0] + b[1], y[1]]

        sol = solve_ivp(f, (k * D, (k + 1) * D), y0, method=method, rtol=rtol, atol=atol, dense_output=True)
        if not sol.success:
            raise RuntimeError(sol.message)
        pieces.append(sol.sol)
        y0 = sol.y[:, -1]
    out = []
    for t in ts:
        k = min(K - 1, int(np.floor(t / D + 1e-12)))
        out.append(list(pieces[k](t)))
    return out, counter[0]


def best_time(fn, runs, min_time):
    fn()
    t = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t, 1e-9)
    reps = max(1, int(min_time / runs / one) + 1)
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def main():
    job = json.load(sys.stdin)
    results = []
    for method in job["methods"]:
        for tol in job["tols"]:
            ys, nfev = solve(method, tol, tol, job["ts"])
            seconds = best_time(lambda: solve(method, tol, tol, job["ts"]), job["runs"], job["minTime"])
            results.append({"method": method, "tol": tol, "seconds": seconds, "ys": ys, "nfev": nfev})
    json.dump({"results": results, "scipy": __import__("scipy").__version__}, sys.stdout)


if __name__ == "__main__":
    main()
