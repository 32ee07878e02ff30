"""Points for work not done: a function that checks its arguments and returns the right value
without any concurrency earns the points of its result and argument checks, and nothing of the checks
that judge how its concurrent work is done (catalog kind `concurrency`), which fail saying that the
function did not do that work. Every other function of the file is the reference's, and keeps its
points.

Each case is the reference solution with one function replaced by its do-nothing version (where the
contract makes one possible: a function that is not itself concurrent, such as `read_url` or
`serial`, has none). The checks that measure time are graded in a test of their own, marked `timing`
(run with nothing beside it), and only those that call the do-nothing function: the others are the
reference's timing verdicts, which tests/test_variants.py grades.
"""
from __future__ import annotations

import textwrap

import pytest

from conftest import NOT_MEASURABLE, ONE_CHILD, ROOT, grade_here, judged_by_time
from grader.catalog import load_catalog

CATALOG = load_catalog()
NO_CONCURRENT_WORK = "no concurrent work"

DO_NOTHING = {
    ("exercise1", "count_with_lock"): """
        def count_with_lock(n_threads=10, increments=1):
            if n_threads < 1:
                raise ValueError("n_threads must be at least 1")
            counter = 0
            for _ in range(n_threads * increments):
                counter += 1
            return counter
    """,
    ("exercise1", "count_with_queue"): """
        def count_with_queue(n_threads=10):
            if n_threads < 1:
                raise ValueError("n_threads must be at least 1")
            for value in range(1, n_threads + 1):
                print(value)
            return n_threads
    """,
    ("exercise2", "sum_using_threads"): """
        def sum_using_threads(arr, thread_count):
            if thread_count < 1:
                raise ValueError("thread_count must be at least 1")
            return sum(arr)
    """,
    ("exercise3", "fetch_concurrent"): """
        def fetch_concurrent(urls, max_workers=None):
            if max_workers is not None and max_workers < 1:
                raise ValueError("max_workers must be at least 1")
            return [read_url(url) for url in urls]
    """,
    ("exercise4", "collect_items"): """
        def collect_items(n_processes=5):
            if n_processes < 1:
                raise ValueError("n_processes must be at least 1")
            return ["item"] * n_processes
    """,
    ("exercise4", "rand_strings"): """
        def rand_strings(count=4, length=5):
            import random as _random
            import string as _string
            if count < 1:
                raise ValueError("count must be at least 1")
            if length < 0:
                raise ValueError("length must not be negative")
            letters = _string.ascii_letters + _string.digits
            return ["".join(_random.choices(letters, k=length)) for _ in range(count)]
    """,
    ("exercise5", "cubes"): """
        def cubes(xs, processes=4, method="map"):
            if processes < 1:
                raise ValueError("processes must be at least 1")
            if method not in ("apply", "map", "apply_async", "map_async"):
                raise ValueError(f"unknown method {method!r}")
            return [cube(x) for x in xs]
    """,
    ("exercise5", "multiprocess"): """
        def multiprocess(processes, samples, x, widths):
            if processes < 1:
                raise ValueError("processes must be at least 1")
            return sorted(serial(samples, x, widths))
    """,
}


def test_every_concurrent_function_has_a_do_nothing_case():
    concurrent = {(e.id, spec.target) for e in CATALOG.values() for spec in e.checks if spec.kind == "concurrency"}
    assert concurrent == set(DO_NOTHING)


CASES = list(DO_NOTHING)
TIMED_CASES = [(e, f) for e, f in CASES
               if any(judged_by_time(spec) and f in spec.calls for spec in CATALOG[e].checks)]


def _assert_only_result_and_argument_points(exercise_id: str, function: str, folder, checks: list[str]) -> None:
    exercise = CATALOG[exercise_id]
    graded = grade_here(exercise.id, "--path", str(folder), "--format", "json", "--include-hidden", *ONE_CHILD,
                        "--check", ",".join(checks))
    assert [check["name"] for check in graded.report["exercises"][0]["checks"]] == checks
    wrong = []
    for check in graded.report["exercises"][0]["checks"]:
        spec = exercise.check(check["name"])
        said = f"{check['name']}: {check['status']} ({check['reason']}): {check['feedback'][:300]}"
        if spec.target == function and spec.kind == "concurrency":
            if (check["status"], check["reason"]) != ("failed", NO_CONCURRENT_WORK):
                wrong.append(f"expected a failure for no concurrent work, got {said}")
        elif check["status"] != "passed" and check["reason"] != NOT_MEASURABLE:
            wrong.append(f"expected a pass, got {said}")
    assert not wrong, "\n".join(wrong)


def _do_nothing_submission(exercise_id: str, function: str, tmp_path):
    exercise = CATALOG[exercise_id]
    source = (ROOT / "solutions" / exercise.module).read_text(encoding="utf-8")
    source += "\n\n" + textwrap.dedent(DO_NOTHING[exercise_id, function])
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / exercise.module).write_text(source, encoding="utf-8")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id, function", CASES, ids=[f"{e}-{f}" for e, f in CASES])
def test_a_do_nothing_function_earns_only_its_result_and_argument_points(exercise_id, function, tmp_path):
    checks = [spec.name for spec in CATALOG[exercise_id].checks if not judged_by_time(spec)]
    folder = _do_nothing_submission(exercise_id, function, tmp_path)
    _assert_only_result_and_argument_points(exercise_id, function, folder, checks)


@pytest.mark.timing
@pytest.mark.parametrize("exercise_id, function", TIMED_CASES, ids=[f"{e}-{f}" for e, f in TIMED_CASES])
def test_a_do_nothing_function_earns_only_its_result_points_on_the_timing_checks(exercise_id, function, tmp_path):
    checks = [spec.name for spec in CATALOG[exercise_id].checks if judged_by_time(spec) and function in spec.calls]
    folder = _do_nothing_submission(exercise_id, function, tmp_path)
    _assert_only_result_and_argument_points(exercise_id, function, folder, checks)
