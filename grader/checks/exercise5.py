"""Checks of exercise5, KDE with Pool.apply_async. Each test is one catalog entry of exercise5.yaml.

Results are checked under the `fork` and `spawn` start methods; how the pool is used (which methods,
in what order, how many workers, closed and joined) is recorded by grader.probes.pools. The speedup is
measured under `fork`: a spawned worker re-imports numpy and the student's module, a fixed cost that
has nothing to do with whether the work runs in parallel. The grader's clocks are taken when this
module is imported, at collection, before the student's module is imported.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pytest

from grader.feedback import check, fail, info, not_measurable
from grader.probes.cpu import children_cpu_seconds, pool_seconds, usable_cores
from grader.probes.pools import COMPUTE_METHODS
from grader.validation import check_rejects

_perf = time.perf_counter
_sleep = time.sleep

CUBE_INPUT = [3, -2, 0, 7, 5, 1, 10]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THREADS_NOT_PROCESSES = (
    "multiprocessing.pool.ThreadPool (or multiprocessing.dummy.Pool) runs its workers as threads of "
    "this process: the GIL lets only one of them run Python code at a time, so nothing runs in "
    "parallel. Use multiprocessing.Pool: threads, not processes, is the mistake.")


def _parzen(samples, point, h):
    """The exercise's given parzen_estimation, the grader's own copy: the expected results."""
    k_n = 0
    for row in samples:
        x_i = (point - row[:, np.newaxis]) / h
        for value in x_i:
            if np.abs(value) > (1 / 2):
                break
        else:
            k_n += 1
    return (h, (k_n / len(samples)) / (h ** point.shape[1]))


def workload(n_samples: int, n_widths: int, seed: int = 5):
    """Samples of a 2-D standard normal, the point (0, 0) and widths spread over [1.0, 1.2]."""
    samples = np.random.default_rng(seed).standard_normal((n_samples, 2))
    return samples, np.array([[0.0], [0.0]]), list(np.linspace(1.0, 1.2, n_widths))


def _only_process_pool(call) -> object:
    """The one process pool the call opened, or a failure saying what it did instead."""
    __tracebackhide__ = True
    pools = call.pools.pools
    if any(p.uses_threads for p in pools):
        fail(f"{call.description} computed in a ThreadPool.", "a multiprocessing.Pool of worker processes",
             THREADS_NOT_PROCESSES)
    check(len(pools) == 1, f"{call.description} opened {len(pools)} multiprocessing pools.",
          "exactly one multiprocessing.Pool, used for every element",
          "Open one pool (`with multiprocessing.Pool(processes) as pool:`) and use it for all the work.")
    return pools[0]


def _check_pool_finished(call) -> None:
    __tracebackhide__ = True
    for record in call.pools.pools:
        check(record.closed,
              f"{call.description} returned with its pool still open: close() and terminate() were never "
              "called, so its worker processes kept running.",
              "the pool closed and joined before returning",
              "Use `with multiprocessing.Pool(...) as pool:` and collect the results inside, or call "
              "pool.close() then pool.join().")
        check(record.joined,
              f"{call.description} closed its pool but never joined it: the workers may still be exiting "
              "when the function returns.", "pool.join() after pool.close()")
    left = call.leftover_lines
    check(not left, f"When {call.description} returned, these child processes were still there: "
          f"{'; '.join(left[:4])}.", "no child process left running or unjoined")


def test_cubes_returns_the_cubes_in_order_with_each_method(target, start_method, watched):
    expected = [x ** 3 for x in CUBE_INPUT]
    for method in ("apply", "map", "apply_async", "map_async"):
        description = f"cubes({CUBE_INPUT}, processes=2, method={method!r})"
        got = watched(description, target, list(CUBE_INPUT), 2, method).result
        check(list(got) == expected if isinstance(got, (list, tuple)) else False,
              f"{description} returned {got!r} under the `{start_method}` start method.",
              f"{expected}, in input order")


def test_cubes_uses_the_named_pool_method(target, fork, watched):
    xs = list(CUBE_INPUT)
    for method in ("apply", "map", "apply_async", "map_async"):
        call = watched(f"cubes({xs}, processes=2, method={method!r})", target, xs, 2, method)
        record = _only_process_pool(call)
        used = {name: record.count(name) for name in COMPUTE_METHODS if record.count(name)}
        wanted = len(xs) if method in ("apply", "apply_async") else 1
        check(set(used) == {method} and used[method] == wanted,
              f"{call.description} called the pool methods {used or 'none'}.",
              f"pool.{method} called {'once per element' if wanted > 1 else 'once'} ({wanted}x), and no other "
              "pool method computing the cubes",
              f"method={method!r} means the work goes through Pool.{method}; the four methods are what "
              "the exercise compares.")


def test_cubes_rejects_an_unknown_method(target):
    try:
        target([1, 2], 1, "starmap_chunks")
    except ValueError:
        return
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any other exception is the student's to fix
        fail(f"cubes([1, 2], 1, 'starmap_chunks') raised {type(error).__name__}: {error}.",
             "ValueError naming the unknown method")
    fail("cubes([1, 2], 1, 'starmap_chunks') returned normally.", "ValueError naming the unknown method")


def test_cubes_closes_and_joins_its_pool(target, fork, watched):
    for method in ("map", "apply_async"):
        _check_pool_finished(watched(f"cubes([1, 2, 3], processes=2, method={method!r})", target,
                                     [1, 2, 3], 2, method))


def test_serial_returns_one_estimate_per_width(target, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    got = target(samples, point, widths)
    expected = [_parzen(samples, point, w) for w in widths]
    check(list(got) == expected if isinstance(got, (list, tuple)) else False,
          f"serial(...) with {len(widths)} widths returned {str(got)[:200]}.",
          f"{len(widths)} (width, density) pairs, parzen_estimation(samples, x, w) for each width in order")


def test_multiprocess_equals_serial_sorted_by_width(target, start_method, watched, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    expected = [_parzen(samples, point, w) for w in widths]
    shuffled = [widths[i] for i in np.random.default_rng(1).permutation(len(widths))]
    for given, label in ((widths, "sorted"), (shuffled, "shuffled")):
        got = watched(f"multiprocess(2, ...) with {label} widths", target, 2, samples, point, given).result
        check(isinstance(got, (list, tuple)) and list(got) == expected,
              f"multiprocess(2, samples, x, widths) with {label} widths under the `{start_method}` start "
              f"method returned {str(got)[:200]}.",
              f"exactly serial's {len(widths)} (width, density) pairs, sorted by width",
              "apply_async results may be collected in any order: sort them by width (the first element "
              "of each pair) before returning.")


def test_multiprocess_submits_every_width_with_apply_async_before_any_get(target, fork, watched,
                                                                          thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    call = watched(f"multiprocess(2, ...) with {len(widths)} widths", target, 2, samples, point, widths)
    record = _only_process_pool(call)
    others = {name: record.count(name) for name in COMPUTE_METHODS if name != "apply_async" and record.count(name)}
    check(not others, f"{call.description} used {others}.",
          f"one pool.apply_async call per width ({len(widths)}), and no other pool method",
          "The exercise is Pool.apply_async: submit every width with it, then collect the results.")
    check(record.submissions == len(widths),
          f"{call.description} called apply_async {record.submissions} times.", f"{len(widths)}: once per width")
    early = record.submitted_before_first_await()
    check(early == len(widths),
          f"{call.description} waited for a result (.get() or .wait()) after submitting only {early} of "
          f"{len(widths)} widths: the pool computes one width at a time, no faster than serial.",
          "every width submitted with apply_async before the first .get()",
          "First `pending = [pool.apply_async(...) for w in widths]`, then `[p.get() for p in pending]`.")


def test_multiprocess_uses_a_pool_of_exactly_processes_workers(target, fork, watched, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    for processes in thresholds["process_counts"]:
        call = watched(f"multiprocess({processes}, ...)", target, processes, samples, point, widths)
        record = _only_process_pool(call)
        check(record.workers == processes,
              f"{call.description} opened a pool of {record.workers} worker processes.",
              f"{processes}: multiprocessing.Pool(processes=processes)",
              "Pass `processes` to the pool; without it the pool starts one worker per CPU.")


def test_multiprocess_closes_and_joins_its_pool(target, fork, watched, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    _check_pool_finished(watched("multiprocess(2, ...)", target, 2, samples, point, widths))


def test_multiprocess_rejects_processes_below_one(target, thresholds):
    samples, point, widths = workload(20, 2)
    check_rejects(target, "processes", processes=0, samples=samples, x=point, widths=widths)


def _required(minimum: float, available: float) -> float:
    """Scale a speedup expected of 2 cores to the cores available: (min - 1) per core beyond one."""
    return 1 + (minimum - 1) * (min(available, 2.0) - 1)


def _time_serial(parzen, samples, point, widths) -> float:
    started = _perf()
    for w in widths:
        parzen(samples, point, w)
    return _perf() - started


@dataclass
class SpeedupMeasurement:
    """Interleaved rounds, each timing serial (the grader's loop over the widths), the student's
    multiprocess(2, ...), and the yardstick: a pool of 2 of the grader's own doing the same work,
    which shows what two processes can gain on this machine at this moment."""

    cores: int
    serial: list[float] = field(default_factory=list)
    parallel: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    yardstick: list[float] = field(default_factory=list)

    # Best of the rounds for every signal: load on the machine only ever makes them look worse.
    @property
    def speedup(self) -> float:
        return min(self.serial) / min(self.parallel)

    @property
    def cpu_parallelism(self) -> float:
        return max(self.cpu)

    @property
    def available(self) -> float:
        """The yardstick's speedup: how many cores' worth of this work two processes get here."""
        return min(self.cores, min(self.serial) / min(self.yardstick))

    def details(self) -> dict:
        """The measured numbers, rounded, for the report's details."""
        numbers = {"speedup": self.speedup, "yardstick_speedup": self.available, "serial_s": self.serial,
                   "multiprocess_s": self.parallel, "yardstick_s": self.yardstick, "worker_cores": self.cpu}
        return {key: [round(v, 3) for v in value] if isinstance(value, list) else round(value, 3)
                for key, value in numbers.items()}

    def describe(self) -> str:
        """The measured numbers, for the student."""
        if not self.serial:
            return f"this process may use {self.cores} core(s), so no two processes run at the same time"
        return (f"serial best of {len(self.serial)}: {min(self.serial):.2f} s; multiprocess(2) best: "
                f"{min(self.parallel):.2f} s; speedup {self.speedup:.2f}x; the pool workers' CPU time over "
                f"multiprocess's wall time (best round): {self.cpu_parallelism:.2f} cores; the grader's own "
                f"pool of 2 did the same work in {min(self.yardstick):.2f} s, a speedup of "
                f"{self.available:.2f}x: what this machine allowed")


@dataclass(frozen=True)
class SpeedupRule:
    """What a pass needs, scaled to the speedup the yardstick got, and what a failure is."""

    speedup: float
    cpu: float
    fail_speedup: float
    fail_cpu: float

    @classmethod
    def scaled(cls, t: dict, available: float) -> "SpeedupRule":
        return cls(max(_required(t["min_speedup"], available), t["fail_below_speedup"]),
                   max(_required(t["min_cpu_parallelism"], available), t["fail_below_cpu_parallelism"]),
                   t["fail_below_speedup"], t["fail_below_cpu_parallelism"])

    def judge(self, speedup: float, cpu: float) -> str:
        """'pass', 'fail' or 'undecided'. Both signals must say serial to fail: a busy host can
        stretch the wall time of real parallel work (workers busy, no speedup), and that is never the
        student's fault."""
        if speedup >= self.speedup and cpu >= self.cpu:
            return "pass"
        if speedup < self.fail_speedup and cpu < self.fail_cpu:
            return "fail"
        return "undecided"


def verdict(m: SpeedupMeasurement, t: dict) -> str:
    """'busy' when even the yardstick could not show parallelism (one core, or a machine too loaded
    to tell parallel from serial), else the rule's verdict on the measurement."""
    if not m.serial or m.available < t["min_available_parallelism"]:
        return "busy"
    return SpeedupRule.scaled(t, m.available).judge(m.speedup, m.cpu_parallelism)


def measure_speedup(t: dict, timed_round) -> SpeedupMeasurement:
    """At least `rounds` rounds; more while the verdict is open, until `max_seconds` have gone.
    More rounds only ever move a parallel solution and the yardstick up, towards what the machine
    allows when it is quiet; a serial solution stays near 1x however often it is timed."""
    m = SpeedupMeasurement(usable_cores())
    if m.cores < 2:
        return m
    started = _perf()
    while len(m.serial) < t["rounds"] or (verdict(m, t) in ("busy", "undecided")
                                          and _perf() - started < t["max_seconds"]):
        timed_round(m)
    return m


def test_multiprocess_is_faster_than_serial(target, submission, fork, watched, thresholds, request):
    t = thresholds
    samples, point, widths = workload(t["samples"], t["widths"])
    parzen = getattr(submission, "parzen_estimation", _parzen)
    # A speedup of a function that does not work is meaningless: it must work before it is timed.
    small = workload(50, 4)
    check(watched("multiprocess(2, ...)", target, 2, *small).result == [_parzen(*small[:2], w) for w in small[2]],
          "multiprocess(2, ...) does not return serial's results, so its speed cannot be compared.",
          "serial's results, sorted by width")

    def timed_round(m: SpeedupMeasurement) -> None:
        m.serial.append(_time_serial(parzen, samples, point, widths))
        cpu_start = children_cpu_seconds()
        call = watched("multiprocess(2, ...)", target, 2, samples, point, widths)
        m.cpu.append((children_cpu_seconds() - cpu_start) / call.wall_seconds)
        m.parallel.append(call.wall_seconds)
        m.yardstick.append(pool_seconds(parzen, [(samples, point, w) for w in widths], 2))

    m = measure_speedup(t, timed_round)
    result = verdict(m, t)
    numbers = m.describe()
    if m.serial:
        request.node.user_properties += [("details", item) for item in m.details().items()]
    if result == "pass":
        info(request, f"Measured: {numbers}.")
    elif result == "fail":
        fail(f"multiprocess(2, ...) did not run the widths in parallel. {numbers}.",
             f"a speedup of at least {need.speedup:.2f}x with the workers keeping at least {need.cpu:.2f} "
             "cores busy",
             "Use a multiprocessing.Pool (processes, not threads), submit every width with apply_async "
             "before calling .get() on any result, and keep the per-task data small.")
    elif result == "busy":
        not_measurable(f"the machine was too busy: {numbers}; telling parallel from serial needs a "
                       f"yardstick speedup of at least {t['min_available_parallelism']}x.")
    else:
        need = SpeedupRule.scaled(t, m.available)
        not_measurable(f"the numbers fall between a clear pass and a clear failure. {numbers}; a pass "
                       f"needs {need.speedup:.2f}x and {need.cpu:.2f} cores.")


class _Timed:
    """A stand-in for one of the student's functions that times each call with the grader's clock.

    A call lasts at least `at_least` seconds: the rest is waited out after the function returns."""

    def __init__(self, function, key, at_least: float = 0.0):
        self.function, self.key, self.at_least, self.seconds = function, key, at_least, {}

    def __call__(self, *args, **kwargs):
        started = _perf()
        try:
            return self.function(*args, **kwargs)
        finally:
            _sleep(max(0.0, started + self.at_least - _perf()))
            self.seconds[self.key(args, kwargs)] = _perf() - started


def _grader_timings(submission, monkeypatch, samples, point, widths, counts, serial_at_least):
    """Run the student's benchmark with serial and multiprocess timed by the grader, call by call.

    Serial is made to last over a second, so that a benchmark that reads timedelta.microseconds
    (which drops whole seconds) shows its mistake without a second of real work."""
    serial = _Timed(submission.serial, lambda args, kwargs: "serial", serial_at_least)
    parallel = _Timed(submission.multiprocess, lambda args, kwargs: str(args[0] if args else kwargs["processes"]))
    monkeypatch.setattr(submission, "serial", serial)
    monkeypatch.setattr(submission, "multiprocess", parallel)
    reported = submission.benchmark(samples, point, widths, counts)
    monkeypatch.undo()
    return reported, {**serial.seconds, **parallel.seconds}


def test_benchmark_times_serial_and_each_process_count(target, submission, fork, monkeypatch, thresholds,
                                                       request):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    counts = tuple(thresholds["process_counts"])
    reported, measured = _grader_timings(submission, monkeypatch, samples, point, widths, counts,
                                         thresholds["serial_at_least_s"])
    keys = ["serial", *map(str, counts)]
    check(isinstance(reported, dict) and sorted(reported) == sorted(keys),
          f"benchmark(..., process_counts={counts}) returned {str(reported)[:200]}.",
          f"a dict with the keys {keys}")
    serial_padded = "serial" in measured  # timed by the grader's stand-in, which pads the call
    for key in keys:
        if key not in measured:  # not called in this process: time the same call ourselves
            function = submission.serial if key == "serial" else submission.multiprocess
            args = (samples, point, widths) if key == "serial" else (int(key), samples, point, widths)
            started = _perf()
            function(*args)
            measured[key] = _perf() - started
    factor = thresholds["max_factor"]
    for key in keys:
        value = reported[key]
        ok = isinstance(value, (int, float)) and measured[key] / factor <= value <= measured[key] * factor
        padded = " (the grader made the serial call last that long, so that whole seconds count)" \
            if key == "serial" and serial_padded else ""
        check(ok, f"benchmark reported {key!r}: {value!r} s, but the grader measured that same call at "
              f"{measured[key]:.3f} s{padded}.",
              f"wall-clock seconds within a factor {factor:g} of the grader's measurement",
              "Take time.perf_counter() right before the call and right after it returns (after the "
              "pool is joined), and subtract. timedelta.microseconds drops whole seconds (use "
              "total_seconds()), time.process_time() misses the workers' time, and two different clocks "
              "cannot be subtracted.")
    info(request, "Measured by the grader: " + ", ".join(f"{k}: {measured[k]:.2f} s" for k in keys))


def test_plot_benchmarks_draws_the_timings(target, tmp_path):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        pytest.skip("matplotlib is not installed, so the chart cannot be checked: "
                    "pip install 'concurrency-grader[plot]'")
    timings = {"serial": 1.5, "2": 0.9, "4": 0.7}
    path = tmp_path / "benchmarks.png"
    figure = target(dict(timings), str(path))
    check(isinstance(figure, Figure), f"plot_benchmarks returned {type(figure).__name__}.",
          "a matplotlib.figure.Figure")
    axes = [a for a in figure.axes if a.patches]
    check(len(axes) == 1, f"the figure has {len(axes)} axes with bars.", "one bar chart")
    bars = axes[0].patches
    heights = [b.get_height() for b in bars]
    widths = [b.get_width() for b in bars]
    expected = list(timings.values())
    check(np.allclose(heights, expected) or np.allclose(widths, expected) if len(bars) == 3 else False,
          f"the bars have heights {[round(h, 3) for h in heights]}.",
          f"one bar per timing, in the dict's order: {expected}")
    check(bool(axes[0].get_xlabel().strip()) and bool(axes[0].get_ylabel().strip()),
          f"the axes are labelled x: {axes[0].get_xlabel()!r}, y: {axes[0].get_ylabel()!r}.",
          "both axes labelled (what each bar is; wall time in seconds)")
    check(path.exists() and path.read_bytes()[:8] == PNG_SIGNATURE,
          "plot_benchmarks(benchmarks, path) did not write a PNG file at path.",
          "the chart saved as PNG at the given path (figure.savefig(path, format='png'))")
