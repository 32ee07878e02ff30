"""exercise2 graded through the real `grade` command: each realistic submission fails exactly the
checks it declares (`# expect-fail:`), the correct ones (other partitions, a Thread subclass, a worker
pool) earn full marks, and so do the reference solution; the stub earns nothing."""
from __future__ import annotations

import pytest

from conftest import ROOT, VARIANTS, expected_failures, run_grade, variants

EXERCISE, MODULE = "exercise2", "exercise2_thread_sum.py"


@pytest.mark.parametrize("variant", variants(EXERCISE), ids=lambda p: p.stem)
def test_variant_fails_exactly_the_checks_it_should(variant, grade_variant):
    graded = grade_variant(EXERCISE, MODULE, variant)
    failing = {name for name, status in graded.statuses().items() if status != "passed"}
    assert failing == expected_failures(variant), graded.stdout
    assert graded.exit_code == (1 if failing else 0)


def test_target_mistake_feedback_says_target_takes_the_function(grade_variant):
    graded = grade_variant(EXERCISE, MODULE, VARIANTS / EXERCISE / "wrong_target_called.py")
    feedback = graded.check("test_each_partial_sum_is_computed_in_a_started_thread")["feedback"]
    assert "Pass the function itself" in feedback


def test_reference_solution_earns_full_marks_and_sees_its_timing():
    graded = run_grade(EXERCISE, "--path", str(ROOT / "solutions"), "--format", "json",
                       "--include-hidden")
    assert graded.exit_code == 0, graded.stdout
    assert set(graded.statuses().values()) == {"passed"}
    note = graded.check("test_sum_counts_every_element_exactly_once")["feedback"]
    assert "with 1 thread" in note and "with 4 threads" in note


def test_stub_earns_nothing():
    graded = run_grade(EXERCISE, "--path", str(ROOT / "exercises"), "--format", "json",
                       "--include-hidden")
    assert graded.exit_code == 1
    assert graded.report["exercises"][0]["score"] == 0
    assert set(graded.statuses().values()) == {"failed"}
