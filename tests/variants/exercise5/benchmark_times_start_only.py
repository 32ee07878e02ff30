"""benchmark runs each call in a Process and times only start(). The grader's stand-ins for serial
and multiprocess time the call in that child, out of the grader's sight: the grader times the call
itself, at another moment, which it can compare with the student's time only when nothing runs
beside it."""
# expect-fail: test_benchmark_times_serial_and_each_process_count
# expect-open-beside: test_benchmark_times_serial_and_each_process_count
import multiprocessing
import time

import numpy as np


def cube(x):
    """Given: ``x`` cubed."""
    return x**3


def cubes(xs, processes=4, method="map"):
    """Return the cubes of ``xs``, in input order, computed by a ``multiprocessing.Pool``.

    Open a ``multiprocessing.Pool`` of ``processes`` worker processes and apply ``cube`` to every
    element of ``xs`` with the named pool method, as in the seed:

    - ``"apply"``: one blocking ``pool.apply(cube, args=(x,))`` per element;
    - ``"map"``: ``pool.map(cube, xs)``;
    - ``"apply_async"``: one ``pool.apply_async(cube, args=(x,))`` per element, then ``.get()`` on
      each result;
    - ``"map_async"``: ``pool.map_async(cube, xs)``, then ``.get()``.

    Any other ``method`` raises ``ValueError`` naming the method; ``processes`` below 1 raises
    ``ValueError`` naming ``processes``. Close and join the pool before returning (the seed never
    does: its pools are left running).
    """
    if method not in _POOL_METHODS:
        raise ValueError(f"method must be one of {', '.join(_POOL_METHODS)}, got {method!r}")
    _check_processes(processes)
    with multiprocessing.Pool(processes=processes) as pool:
        results = _POOL_METHODS[method](pool, list(xs))
        pool.close()
        pool.join()
    return results


def _cubes_apply(pool, xs):
    return [pool.apply(cube, args=(x,)) for x in xs]


def _cubes_map(pool, xs):
    return pool.map(cube, xs)


def _cubes_apply_async(pool, xs):
    pending = [pool.apply_async(cube, args=(x,)) for x in xs]
    return [p.get() for p in pending]


def _cubes_map_async(pool, xs):
    return pool.map_async(cube, xs).get()


_POOL_METHODS = {
    "apply": _cubes_apply,
    "map": _cubes_map,
    "apply_async": _cubes_apply_async,
    "map_async": _cubes_map_async,
}


def _check_processes(processes):
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes!r}")


def parzen_estimation(x_samples, point_x, h):
    """Given: the Parzen-window density at ``point_x`` with a hypercube kernel of width ``h``.

    ``x_samples`` is an ``n x d`` array of training samples, ``point_x`` a ``d x 1`` array. Returns
    ``(h, density)``: the window width as well, so results computed out of order can be sorted.
    """
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
    """Return ``[parzen_estimation(samples, x, w) for w in widths]``: one width at a time."""
    return [parzen_estimation(samples, x, w) for w in widths]


def multiprocess(processes, samples, x, widths):
    """Return the same results as ``serial``, computed by a pool of ``processes`` worker processes.

    "Написать многопоточный вариант, используя Pool.apply_async": open a ``multiprocessing.Pool`` of
    ``processes`` worker processes (not threads) and make one ``pool.apply_async(parzen_estimation,
    args=(samples, x, w))`` call per width. Submit EVERY width before awaiting any result (calling
    ``.get()`` right after each submission would compute one width at a time), then collect the
    results and return them sorted by width — equal to ``serial(samples, x, widths)`` for sorted
    ``widths``.

    Close and join the pool before returning. ``processes`` below 1 raises ``ValueError`` naming
    ``processes``.
    """
    _check_processes(processes)
    with multiprocessing.Pool(processes=processes) as pool:
        pending = [pool.apply_async(parzen_estimation, args=(samples, x, w)) for w in widths]
        results = [p.get() for p in pending]
        pool.close()
        pool.join()
    return sorted(results, key=lambda result: result[0])


def benchmark(samples, x, widths, process_counts=(2, 4)):
    """Time ``serial`` and ``multiprocess`` once each; return their wall-clock seconds.

    Measure with ``time.perf_counter`` (wall time, not CPU time). Return a dict with the key
    ``"serial"`` for ``serial(samples, x, widths)`` and one key per process count, the count as a
    string, for ``multiprocess(count, samples, x, widths)``: with the default counts the keys are
    ``"serial"``, ``"2"`` and ``"4"``.
    """
    timings = {"serial": _wall_seconds(serial, samples, x, widths)}
    for count in process_counts:
        timings[str(count)] = _wall_seconds(multiprocess, count, samples, x, widths)
    return timings


def _wall_seconds(function, *args):
    process = multiprocessing.Process(target=function, args=args)
    start = time.perf_counter()
    process.start()
    elapsed = time.perf_counter() - start
    process.join()
    return elapsed


def plot_benchmarks(benchmarks, path=None):
    """Draw the timings of ``benchmark`` as a bar chart ("отобразить benchmarks на графике").

    ``benchmarks`` is the dict ``benchmark`` returns. Draw one bar per key, in the dict's order, with
    labelled axes (what each bar is, and wall time in seconds). Return the matplotlib
    ``matplotlib.figure.Figure``; when ``path`` is given, also save the chart there as a PNG.

    matplotlib is an optional extra (``pip install .[plot]``): import it INSIDE this function, never
    at module level, so the module imports without it. Build the ``Figure`` directly
    (``from matplotlib.figure import Figure``) rather than with ``pyplot``, so no display is needed.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    labels = [key if key == "serial" else f"{key} processes" for key in benchmarks]
    axes.bar(labels, list(benchmarks.values()))
    axes.set_xlabel("implementation")
    axes.set_ylabel("wall time, s")
    axes.set_title("Parzen-window KDE: serial vs Pool.apply_async")
    if path is not None:
        figure.savefig(path, format="png")
    return figure
