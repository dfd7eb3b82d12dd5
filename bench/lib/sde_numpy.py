"""Vectorised NumPy Euler-Maruyama peer for bench/sde.bench.ts.

Reads a JSON job {paths, steps, repeats} on stdin; for geometric Brownian motion
(dy = 1.01 y dt + 0.87 y dW, y0 = 0.5) and Ornstein-Uhlenbeck (dy = (1.2 - y) dt + 0.3 dW, y0 = 2)
on [0, 1] it runs the textbook vectorised loop (one step for all paths at a time, normals drawn
per step from numpy's default generator) and prints the fastest time and the sample mean at t1.
"""
import json
import sys
import time

import numpy as np


def em(kind, paths, steps, rng):
    dt = 1.0 / steps
    sq = np.sqrt(dt)
    if kind == "gbm":
        y = np.full(paths, 0.5)
        for _ in range(steps):
            dw = rng.standard_normal(paths) * sq
            y = y + 1.01 * y * dt + 0.87 * y * dw
    else:
        y = np.full(paths, 2.0)
        for _ in range(steps):
            dw = rng.standard_normal(paths) * sq
            y = y + (1.2 - y) * dt + 0.3 * dw
    return y


def main():
    job = json.load(sys.stdin)
    rng = np.random.default_rng(12345)
    out = {"numpy": np.__version__}
    for kind in ("gbm", "ou"):
        best = float("inf")
        mean = 0.0
        for _ in range(job["repeats"]):
            a = time.perf_counter()
            y = em(kind, job["paths"], job["steps"], rng)
            best = min(best, time.perf_counter() - a)
            mean = float(np.mean(y))
        out[kind] = {"seconds": best, "paths": job["paths"], "steps": job["steps"], "mean": mean}
    print(json.dumps(out))


main()
