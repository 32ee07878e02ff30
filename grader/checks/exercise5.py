"""Checks of exercise5, KDE with Pool.apply_async. Each test is one catalog entry of exercise5.yaml.

Results are checked under the `fork` and `spawn` start methods; how the pool is used (which methods,
in what order, how many workers, closed and joined) is recorded by grader.probes.pools. The speedup is
measured under `fork` (grader.probes.speedup, judged by grader.speedup): a spawned worker re-imports
numpy and the student's module, a fixed cost that has nothing to do with whether the work runs in
parallel. The grader's clocks are taken when this module is imported, at collection, before the
student's module is imported.

The checks of kind `concurrency` judge how the pool is used; they earn nothing until the function
computed its results in a multiprocessing.Pool of worker processes (`_pool_work`).
"""
from __future__ import annotations

import time
from multiprocessing import pool as mp_pool

import numpy as np

from grader.feedback import (CHECK_HINT, check, dependency_missing, fail, fail_without_concurrency, info, not_measurable,
                             shown)
from grader.messages import Message, msg
from grader.probes.processes import joined
from grader.probes.cpu import pool_seconds
from grader.probes.pools import COMPUTE_METHODS, PoolRecord
from grader.probes.speedup import measure, time_round
from grader.speedup import OPEN, SpeedupRule, judge
from grader.submission import describe_exception
from grader.validation import check_rejects

_perf = time.perf_counter
_sleep = time.sleep

CUBE_INPUT = [3, -2, 0, 7, 5, 1, 10]
UNKNOWN_METHOD_CALL = "cubes([1, 2], 1, 'starmap_chunks')"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NUMBERS = (int, float, np.integer, np.floating)
THREADS_NOT_PROCESSES = msg("kde.hint.threads_not_processes")
CUBES_WORK = msg("kde.cubes_work")
MULTIPROCESS_WORK = msg("kde.multiprocess_work")


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


def _same(got, expected) -> bool:
    """`got == expected` for a student's value and an expected number or tuple of numbers, without
    ever calling a comparison the student's value defines (an array, an object whose __eq__ raises)."""
    if isinstance(expected, tuple):
        return (isinstance(got, tuple) and len(got) == len(expected)
                and all(_same(g, e) for g, e in zip(got, expected)))
    return isinstance(got, NUMBERS) and bool(got == expected)


def _same_list(got, expected: list) -> bool:
    """A list or tuple whose elements are `expected`'s, in order."""
    return (isinstance(got, (list, tuple)) and len(got) == len(expected)
            and all(_same(g, e) for g, e in zip(got, expected)))


def _expected_elements_only(got, expected: list) -> bool:
    """A list or tuple of expected elements, but some missing or out of order."""
    return isinstance(got, (list, tuple)) and all(any(_same(g, e) for e in expected) for g in got)


def _pool_work(call, expected: Message) -> list[PoolRecord]:
    """The process pools that computed for the call; a failure for no concurrent work when there is
    none, because how a pool is used means nothing before one does the work."""
    __tracebackhide__ = True
    working = [p for p in call.pools.process_pools() if any(p.count(m) for m in COMPUTE_METHODS)]
    if working:
        return working
    if any(p.uses_threads for p in call.pools.pools):
        fail_without_concurrency("kde.thread_pool", call=call.description, why=THREADS_NOT_PROCESSES,
                                 expected=expected)
    if call.pools.process_pools():
        fail_without_concurrency("kde.pool_idle", call=call.description, expected=expected)
    fail_without_concurrency("kde.no_pool", call=call.description, expected=expected)


def _only_process_pool(call, expected: Message) -> PoolRecord:
    """The one process pool the call computed in, or a failure saying what it did instead."""
    __tracebackhide__ = True
    _pool_work(call, expected)
    pools = call.pools.pools
    check(not any(p.uses_threads for p in pools), "kde.thread_pool_too", call=call.description,
          hint=THREADS_NOT_PROCESSES)
    check(len(pools) == 1, "kde.several_pools", call=call.description, pools=len(pools))
    return pools[0]


def _left_running(call) -> bool:
    return any(not record.joined for record in call.pools.pools)


def _check_pool_finished(call, expected: Message) -> None:
    __tracebackhide__ = True
    _pool_work(call, expected)
    for record in call.pools.pools:
        check(record.closed, "kde.pool_not_closed", call=call.description, hint=CHECK_HINT)
        check(record.joined, "kde.pool_not_joined", call=call.description, hint=CHECK_HINT)
    left = call.leftover_lines
    check(not left, "kde.children_left", call=call.description, processes=joined(left[:4]))


def _same_in_any_order(got, expected: list) -> bool:
    """A list or tuple holding exactly `expected`'s elements, in whatever order."""
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return False
    left = list(expected)
    for element in got:
        match = next((i for i, wanted in enumerate(left) if _same(element, wanted)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def _returned_results(call, expected: list, start_method: str, any_order: bool = False) -> None:
    """Fail unless the call returned `expected`, the (width, density) pairs sorted by width (or, with
    `any_order`, those pairs in any order: where another check judges the order), with the cause the
    result shows."""
    __tracebackhide__ = True
    got = call.result
    if _same_list(got, expected) or (any_order and _same_in_any_order(got, expected)):
        return
    if _left_running(call) and not (isinstance(got, (list, tuple)) and len(got) == len(expected)):
        fail("kde.returned_while_running", call=call.description, got=shown(got), method=start_method,
             pairs=len(expected))
    fail("kde.wrong_results", call=call.description, got=shown(got), method=start_method, pairs=len(expected),
         hint=CHECK_HINT if _expected_elements_only(got, expected) else None)


def _get_forgotten(got) -> bool:
    """Whether the student returned AsyncResult objects where values belong."""
    items = got if isinstance(got, (list, tuple)) else [got]
    return any(isinstance(item, mp_pool.ApplyResult) for item in items)


def test_cubes_returns_the_cubes_in_order_with_each_method(target, start_method, watched):
    expected = [x ** 3 for x in CUBE_INPUT]
    for method in ("apply", "map", "apply_async", "map_async"):
        description = f"cubes({CUBE_INPUT}, processes=2, method={method!r})"
        got = watched(description, target, list(CUBE_INPUT), 2, method).result
        about_order_or_get = _get_forgotten(got) or _expected_elements_only(got, expected)
        check(_same_list(got, expected), "kde.wrong_cubes", call=description, got=shown(got), method=start_method,
              expected=str(expected), hint=CHECK_HINT if about_order_or_get else None)


def test_cubes_uses_the_named_pool_method(target, fork, watched):
    xs = list(CUBE_INPUT)
    for method in ("apply", "map", "apply_async", "map_async"):
        call = watched(f"cubes({xs}, processes=2, method={method!r})", target, xs, 2, method)
        record = _only_process_pool(call, CUBES_WORK)
        used = {name: record.count(name) for name in COMPUTE_METHODS if record.count(name)}
        wanted = len(xs) if method in ("apply", "apply_async") else 1
        check(set(used) == {method} and used[method] == wanted, "kde.wrong_methods", call=call.description,
              used=str(used), method=method, wanted=wanted,
              how=msg("kde.once_per_element") if wanted > 1 else msg("kde.once"), hint=CHECK_HINT)


def test_cubes_uses_a_pool_of_exactly_processes_workers(target, fork, watched, thresholds):
    for processes in thresholds["process_counts"]:
        call = watched(f"cubes([1, 2, 3], processes={processes}, method='map')", target, [1, 2, 3], processes,
                       "map")
        record = _only_process_pool(call, CUBES_WORK)
        check(record.workers == processes, "kde.pool_size", call=call.description, workers=record.workers,
              processes=processes, hint=CHECK_HINT)


def test_cubes_rejects_an_unknown_method(target):
    try:
        target([1, 2], 1, "starmap_chunks")
    except ValueError:
        return
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - any other exception is the student's to fix
        fail("kde.unknown_method_other_error", call=UNKNOWN_METHOD_CALL, error=describe_exception(error))
    fail("kde.unknown_method_accepted", call=UNKNOWN_METHOD_CALL, hint=CHECK_HINT)


def test_cubes_rejects_processes_below_one(target):
    check_rejects(target, "processes", xs=[1, 2], processes=0, method="map")


def test_cubes_closes_and_joins_its_pool(target, fork, watched):
    for method in ("map", "apply_async"):
        _check_pool_finished(watched(f"cubes([1, 2, 3], processes=2, method={method!r})", target,
                                     [1, 2, 3], 2, method), CUBES_WORK)


def test_serial_returns_one_estimate_per_width(target, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    got = target(samples, point, widths)
    expected = [_parzen(samples, point, w) for w in widths]
    check(_same_list(got, expected), "kde.wrong_serial", widths=len(widths), got=shown(got),
          hint=CHECK_HINT if _expected_elements_only(got, expected) else None)


def test_multiprocess_equals_serial_sorted_by_width(target, start_method, watched, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    expected = [_parzen(samples, point, w) for w in widths]
    shuffled = [widths[i] for i in np.random.default_rng(1).permutation(len(widths))]
    # The sorted widths as the seed makes them (np.linspace, an array), the shuffled ones as a list.
    for given, description in ((np.array(widths), msg("kde.call.sorted_widths")),
                               (shuffled, msg("kde.call.shuffled_widths"))):
        call = watched(description, target, 2, samples, point, given)
        _returned_results(call, expected, start_method)


def test_multiprocess_submits_every_width_with_apply_async_before_any_get(target, fork, watched,
                                                                          thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    call = watched(msg("kde.call.n_widths", widths=len(widths)), target, 2, samples, point, widths)
    record = _only_process_pool(call, MULTIPROCESS_WORK)
    others = {name: record.count(name) for name in COMPUTE_METHODS if name != "apply_async" and record.count(name)}
    check(not others, "kde.other_methods", call=call.description, others=str(others), widths=len(widths),
          hint=CHECK_HINT)
    check(record.submissions == len(widths), "kde.submissions", call=call.description,
          submissions=record.submissions, widths=len(widths), hint=CHECK_HINT)
    early = record.submitted_before_first_await()
    check(early == len(widths), "kde.waited_early", call=call.description, early=early, widths=len(widths),
          hint=CHECK_HINT)


def test_multiprocess_uses_a_pool_of_exactly_processes_workers(target, fork, watched, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    for processes in thresholds["process_counts"]:
        call = watched(f"multiprocess({processes}, ...)", target, processes, samples, point, widths)
        record = _only_process_pool(call, MULTIPROCESS_WORK)
        check(record.workers == processes, "kde.pool_size", call=call.description, workers=record.workers,
              processes=processes, hint=CHECK_HINT)


def test_multiprocess_closes_and_joins_its_pool(target, fork, watched, thresholds):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    _check_pool_finished(watched("multiprocess(2, ...)", target, 2, samples, point, widths), MULTIPROCESS_WORK)


def test_multiprocess_rejects_processes_below_one(target, thresholds):
    samples, point, widths = workload(20, 2)
    check_rejects(target, "processes", processes=0, samples=samples, x=point, widths=widths)


def _one_width_at_a_time(call, n_widths: int) -> bool:
    """Whether every width went to one pool that never had two of them at once: a serial loop,
    observed, whatever a clock would say."""
    pools = call.pools.process_pools()
    if len(pools) != 1:
        return False
    record = pools[0]
    return record.one_task_at_a_time() and record.submissions + record.count("apply") >= n_widths


def test_multiprocess_is_faster_than_serial(target, submission, fork, watched, thresholds, request):
    t = thresholds
    rule = SpeedupRule.of(t)
    # Decided without a clock first: no pool at work, or one width at a time, is never parallel.
    small = workload(50, 4)
    call = watched("multiprocess(2, ...)", target, 2, *small)
    _pool_work(call, MULTIPROCESS_WORK)
    check(not _one_width_at_a_time(call, len(small[2])), "kde.one_width_at_a_time", call=call.description,
          hint=CHECK_HINT)
    # A speedup of a function that does not work is meaningless: it must compute every result
    # before it is timed. Their order is test_multiprocess_equals_serial_sorted_by_width's to judge.
    _returned_results(call, [_parzen(*small[:2], w) for w in small[2]], "fork", any_order=True)

    samples, point, widths = workload(t["samples"], t["widths"])
    parzen = getattr(submission, "parzen_estimation", _parzen)
    in_share = slice(t["serial_every"] // 2, None, t["serial_every"])
    share = widths[in_share]
    # What the timed calls must have returned: the serial work's results for its share of the
    # widths, the yardstick's (the same function in the grader's own pool) for the rest. A
    # parzen_estimation that answers otherwise in a worker than in this process shows as wrong.
    expected: list = []
    serial_results: list = []
    timed_calls: list = []

    def serial() -> None:
        serial_results[:] = [parzen(samples, point, w) for w in share]

    def parallel() -> float:
        timed_calls.append(watched(msg("kde.call.n_widths", widths=len(widths)), target, 2, samples, point, widths))
        return timed_calls[-1].wall_seconds

    def yardstick() -> float:
        return pool_seconds(parzen, [(samples, point, w) for w in widths], 2, results=expected)

    def answered_otherwise() -> bool:
        # Wrong results decide the check whatever the clocks say: no further round can change that.
        if not timed_calls:
            return False
        expected[in_share] = serial_results
        got = timed_calls[-1].result
        return not (_same_list(got, expected) or _same_in_any_order(got, expected))

    m = measure(lambda: time_round(serial, parallel, yardstick, len(share) / len(widths)),
                lambda m: answered_otherwise() or rule.verdict(m) not in OPEN,
                t["rounds"], t["max_seconds"], t["budget_seconds"])
    expected[in_share] = serial_results
    for timed in timed_calls:
        _returned_results(timed, expected, "fork", any_order=True)
    if m.rounds:
        request.node.user_properties += [("details", item) for item in m.details().items()]
        request.node.user_properties.append(("details", ("speed", [
            {"what": "serial", "seconds": round(m.serial, 4)},
            {"what": "processes", "count": 2, "seconds": round(min(r.parallel for r in m.rounds), 4)},
            {"what": "yardstick", "count": 2, "seconds": round(min(r.yardstick for r in m.rounds), 4)}])))
    info(request, "kde.measured", numbers=judge(m, rule, "multiprocess(2, ...)", CHECK_HINT))


class _Timed:
    """A stand-in for one of the student's functions that times each call with the grader's clock.

    A call lasts at least `at_least` seconds: the rest is waited out after the function returns."""

    def __init__(self, function, key, at_least: float = 0.0):
        self.function, self.key, self.at_least = function, key, at_least
        self.seconds: dict[str, list[float]] = {}

    def __call__(self, *args, **kwargs):
        started = _perf()
        try:
            return self.function(*args, **kwargs)
        finally:
            _sleep(max(0.0, started + self.at_least - _perf()))
            self.seconds.setdefault(self.key(args, kwargs), []).append(_perf() - started)


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
                                                       request, alone):
    samples, point, widths = workload(thresholds["samples"], thresholds["widths"])
    counts = tuple(thresholds["process_counts"])
    reported, measured = _grader_timings(submission, monkeypatch, samples, point, widths, counts,
                                         thresholds["serial_at_least_s"])
    keys = ["serial", *map(str, counts)]
    check(isinstance(reported, dict) and set(reported) == set(keys), "kde.benchmark_keys", counts=str(counts),
          got=shown(reported), keys=str(keys))
    called = [key for key in keys[1:] if key in measured]
    missing = [key for key in keys[1:] if key not in measured]
    check(not called or not missing, "kde.benchmark_count_not_timed", called=", ".join(called),
          missing=", ".join(missing))
    serial_padded = "serial" in measured  # timed by the grader's stand-in, which pads the call
    apart = [key for key in keys if key not in measured]
    if apart and not alone:
        # Timed at another moment than the student's call, a time says as much about what ran beside
        # each as about the benchmark: the check is graded again with nothing beside it.
        not_measurable("kde.benchmark_timed_apart", timings=", ".join(map(repr, apart)))
    for key in apart:  # not called in this process: time the same call ourselves
        function = submission.serial if key == "serial" else submission.multiprocess
        args = (samples, point, widths) if key == "serial" else (int(key), samples, point, widths)
        started = _perf()
        function(*args)
        measured[key] = [_perf() - started]
    factor = thresholds["max_factor"]
    for key in keys:
        value, fastest, slowest = reported[key], min(measured[key]), max(measured[key])
        # Called more than once, any of the calls or a summary of them (the best, a mean) is right.
        ok = isinstance(value, (int, float)) and fastest / factor <= value <= slowest * factor
        padded = msg("kde.serial_padded") if key == "serial" and serial_padded else ""
        check(ok, "kde.benchmark_time", timing=repr(key), value=shown(value), padded=padded, factor=factor,
              measured=_measured(fastest, slowest, len(measured[key])))
    info(request, "kde.benchmark_measured", timings=", ".join(
        f"{k}: {min(measured[k]):.2f}" + (f"-{max(measured[k]):.2f}" if len(measured[k]) > 1 else "") for k in keys))


def _measured(fastest: float, slowest: float, calls: int) -> Message:
    """The grader's time of a call, or of the several calls of one timing."""
    if calls == 1:
        return msg("kde.benchmark_one_call", seconds=fastest)
    return msg("kde.benchmark_calls", calls=calls, fastest=fastest, slowest=slowest)


def test_plot_benchmarks_draws_the_timings(target, tmp_path, monkeypatch):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        dependency_missing("kde.matplotlib_missing", install="pip install 'concurrency-grader[plot]'")
    timings = {"serial": 1.5, "2": 0.9, "4": 0.7}
    path = tmp_path / "benchmarks.png"
    figure = target(dict(timings), str(path))
    check(isinstance(figure, Figure), "kde.plot_not_a_figure", type=type(figure).__name__)
    axes = [a for a in figure.axes if a.patches]
    check(len(axes) == 1, "kde.plot_axes", axes=len(axes))
    bars = axes[0].patches
    heights = [b.get_height() for b in bars]
    widths = [b.get_width() for b in bars]
    expected = list(timings.values())
    check(np.allclose(heights, expected) or np.allclose(widths, expected) if len(bars) == 3 else False,
          "kde.plot_bars", heights=str([round(h, 3) for h in heights]), expected=str(expected), hint=CHECK_HINT)
    check(bool(axes[0].get_xlabel().strip()) and bool(axes[0].get_ylabel().strip()), "kde.plot_labels",
          x=repr(axes[0].get_xlabel()), y=repr(axes[0].get_ylabel()), hint=CHECK_HINT)
    check(path.exists() and path.read_bytes()[:8] == PNG_SIGNATURE, "kde.plot_no_png", hint=CHECK_HINT)
    # Without a path nothing is saved: the figure is only returned.
    unasked = tmp_path / "no_path"
    unasked.mkdir()
    monkeypatch.chdir(unasked)
    figure = target(dict(timings))
    check(isinstance(figure, Figure), "kde.plot_not_a_figure", type=type(figure).__name__)
    written = sorted(p.name for p in unasked.iterdir())
    check(not written, "kde.plot_saved_without_path", files=", ".join(written[:3]), hint=CHECK_HINT)
