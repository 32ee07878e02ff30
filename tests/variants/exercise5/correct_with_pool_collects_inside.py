"""Correct, in another style: `with Pool(...)` blocks that collect inside (the pool is terminated on
exit), a dispatch on the method name, pyplot-free plotting with horizontal bars."""
# expect-fail:
import multiprocessing as mp
from time import perf_counter

import numpy as np


def cube(x):
    return x**3


def cubes(xs, processes=4, method="map"):
    if method not in ("apply", "map", "apply_async", "map_async"):
        raise ValueError(f"unknown method {method}")
    if processes < 1:
        raise ValueError("processes must be positive")
    xs = list(xs)
    with mp.Pool(processes) as pool:
        if method == "apply":
            return [pool.apply(cube, (x,)) for x in xs]
        if method == "map":
            return pool.map(cube, xs)
        if method == "apply_async":
            handles = [pool.apply_async(cube, (x,)) for x in xs]
            return [h.get() for h in handles]
        return pool.map_async(cube, xs).get()


def parzen_estimation(x_samples, point_x, h):
    k_n = 0
    for row in x_samples:
        x_i = (point_x - row[:, np.newaxis]) / (h)
        for row in x_i:
            if np.abs(row) > (1 / 2):
                break
        else:
            k_n += 1
    return (h, (k_n / len(x_samples)) / (h ** point_x.shape[1]))


def serial(samples, x, widths):
    return [parzen_estimation(samples, x, w) for w in widths]


def multiprocess(processes, samples, x, widths):
    if processes < 1:
        raise ValueError("processes must be >= 1")
    with mp.Pool(processes=processes) as pool:
        handles = [pool.apply_async(parzen_estimation, (samples, x, w)) for w in widths]
        results = [h.get() for h in handles]
    results.sort()
    return results


def benchmark(samples, x, widths, process_counts=(2, 4)):
    t0 = perf_counter()
    serial(samples, x, widths)
    timings = {"serial": perf_counter() - t0}
    for n in process_counts:
        t0 = perf_counter()
        multiprocess(n, samples, x, widths)
        timings[str(n)] = perf_counter() - t0
    return timings


def plot_benchmarks(benchmarks, path=None):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.barh(list(benchmarks), list(benchmarks.values()))
    ax.set_ylabel("version")
    ax.set_xlabel("seconds")
    if path:
        fig.savefig(path, format="png")
    return fig
