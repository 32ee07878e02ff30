"""Exercise 5 — kernel density estimation with ``Pool.apply_async``.

Seed: the ``Pool`` section ("Класс Pool — удобный механизм распараллеливания выполнения функций":
``Pool.apply``, ``Pool.map``, ``Pool.apply_async``, ``Pool.map_async``) and the Parzen-window density
estimate ("Kernel Density Estimation. (Ядерная оценка плотности)").

The exercise: "Написать многопоточный вариант, используя Pool.apply_async" ("write a parallel version
using Pool.apply_async": with processes, not threads), time it against the serial version, and
"отобразить benchmarks на графике" ("show the benchmarks on a chart").

``cube`` and ``parzen_estimation`` are given (the seed's second version, which also returns the
window width). Implement the other functions.

Rules for every function: do no work at import time; a function handed to a process must be a
module-level function (so it works under the ``fork``, ``forkserver`` and ``spawn`` start methods);
when a function returns, every pool it opened is closed and joined. ``processes`` below 1 raises
``ValueError`` with a message that names ``processes``.
"""

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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


def benchmark(samples, x, widths, process_counts=(2, 4)):
    """Time ``serial`` and ``multiprocess`` once each; return their wall-clock seconds.

    Measure with ``time.perf_counter`` (wall time, not CPU time). Return a dict with the key
    ``"serial"`` for ``serial(samples, x, widths)`` and one key per process count, the count as a
    string, for ``multiprocess(count, samples, x, widths)``: with the default counts the keys are
    ``"serial"``, ``"2"`` and ``"4"``.
    """
    raise NotImplementedError


def plot_benchmarks(benchmarks, path=None):
    """Draw the timings of ``benchmark`` as a bar chart ("отобразить benchmarks на графике").

    ``benchmarks`` is the dict ``benchmark`` returns. Draw one bar per key, in the dict's order, with
    labelled axes (what each bar is, and wall time in seconds). Return the matplotlib
    ``matplotlib.figure.Figure``; when ``path`` is given, also save the chart there as a PNG.

    matplotlib is an optional extra (``pip install .[plot]``): import it INSIDE this function, never
    at module level, so the module imports without it. Build the ``Figure`` directly
    (``from matplotlib.figure import Figure``) rather than with ``pyplot``, so no display is needed.
    """
    raise NotImplementedError
