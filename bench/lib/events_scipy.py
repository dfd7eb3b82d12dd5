"""SciPy peer for bench/events.bench.ts: solve_ivp (RK45) with and without events.

Reads a JSON job on stdin, prints JSON. Times with time.perf_counter: the best of `runs` batches.
- lorenz: Lorenz on [0, t1] with an event that never fires, against the same solve without it;
- sine: y' = cos t on [0, 10] with an event at each zero of sin t (3 roots), against no event:
  the difference divided by the number of events is SciPy's cost of locating one event.
"""
import json
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp


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
    runs, min_time = job["runs"], job["minTime"]
    rtol, atol = job["rtol"], job["atol"]

    def lorenz(t, y):
        return [10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1], y[0] * y[1] - (8.0 / 3.0) * y[2]]

    def never(t, y):
        return y[2] + 1000.0

    y0 = np.array([1.0, 1.0, 1.0])
    lz = lambda ev: solve_ivp(lorenz, (0.0, job["t1"]), y0, method="RK45", rtol=rtol, atol=atol, events=ev)
    sol = lz(None)
    t_plain = best_time(lambda: lz(None), runs, min_time)
    t_event = best_time(lambda: lz([never]), runs, min_time)

    def cosine(t, y):
        return [np.cos(t)]

    def zero(t, y):
        return y[0]

    sn = lambda ev: solve_ivp(cosine, (0.0, 10.0), np.array([0.0]), method="RK45", rtol=1e-10, atol=1e-12, events=ev)
    s_ev = sn([zero])
    roots = [float(x) for x in s_ev.t_events[0]]
    s_plain = best_time(lambda: sn(None), runs, min_time)
    s_event = best_time(lambda: sn([zero]), runs, min_time)
    print(json.dumps({
        "lorenz": {"plain": t_plain, "event": t_event, "steps": int(len(sol.t) - 1)},
        "sine": {"plain": s_plain, "event": s_event, "roots": roots},
    }))


main()
