"""After a function hung in one check, later checks that call it wait only briefly."""
from __future__ import annotations

from grader.catalog import AFTER_HANG_TIMEOUT_S, load_catalog
from grader.hangs import Hangs
from grader.report import PASSED, TIMED_OUT, CheckResult, ExerciseResult

EXERCISE5 = load_catalog()["exercise5"]
EQUALS = EXERCISE5.check("test_multiprocess_equals_serial_sorted_by_width")
SPEEDUP = EXERCISE5.check("test_multiprocess_is_faster_than_serial")
BENCHMARK = EXERCISE5.check("test_benchmark_times_serial_and_each_process_count")
CUBES = EXERCISE5.check("test_cubes_returns_the_cubes_in_order_with_each_method")


def test_a_check_waits_its_full_timeout_until_a_function_it_calls_has_hung():
    hangs = Hangs()
    assert hangs.earlier(SPEEDUP) is None
    assert hangs.timeout(SPEEDUP) == SPEEDUP.timeout


def test_after_a_hang_the_checks_of_that_function_wait_briefly_and_the_others_do_not():
    hangs = Hangs()
    hangs.record(EQUALS)
    assert hangs.earlier(SPEEDUP) == ("multiprocess", EQUALS.name)
    assert hangs.timeout(SPEEDUP) == AFTER_HANG_TIMEOUT_S < SPEEDUP.timeout
    assert hangs.timeout(CUBES) == CUBES.timeout


def test_a_check_that_calls_the_hung_function_through_another_waits_briefly_too():
    hangs = Hangs()
    hangs.record(EQUALS)
    assert "multiprocess" in BENCHMARK.calls
    assert hangs.earlier(BENCHMARK) == ("multiprocess", EQUALS.name)


def test_the_first_check_a_function_hung_in_is_the_one_named():
    hangs = Hangs()
    hangs.record(EQUALS)
    hangs.record(SPEEDUP)
    assert hangs.first_in == {"multiprocess": EQUALS.name}


def test_hangs_reach_a_fresh_grading_child_intact():
    hangs = Hangs()
    hangs.record(EQUALS)
    hangs.record(CUBES)
    assert Hangs.from_arg(hangs.to_arg()) == hangs
    assert Hangs.from_arg("") == Hangs()


def test_the_hangs_of_a_finished_grading_are_its_checks_that_timed_out():
    def check(spec, reason=""):
        return CheckResult(spec.name, spec.target, "error" if reason else PASSED, 0.0, spec.points, "visible",
                           reason=reason)

    result = ExerciseResult("exercise5", "KDE", [check(CUBES), check(EQUALS, TIMED_OUT), check(SPEEDUP, TIMED_OUT)])
    assert Hangs.seen_in(EXERCISE5, result).first_in == {"multiprocess": EQUALS.name}
