"""exercise3 graded through the real `grade` command: each realistic submission fails exactly the
checks it declares (`# expect-fail:`), the correct ones (a semaphore, a worker pool on a queue,
ThreadPoolExecutor with map or submit) earn full marks, and so does the reference solution; the stub
earns nothing."""
from __future__ import annotations

import pytest

from conftest import ROOT, VARIANTS, expected_failures, run_grade, variants

EXERCISE, MODULE = "exercise3", "exercise3_url_fetcher.py"


@pytest.mark.parametrize("variant", variants(EXERCISE), ids=lambda p: p.stem)
def test_variant_fails_exactly_the_checks_it_should(variant, grade_variant):
    graded = grade_variant(EXERCISE, MODULE, variant)
    failing = {name for name, status in graded.statuses().items() if status != "passed"}
    assert failing == expected_failures(variant), graded.stdout
    assert graded.exit_code == (1 if failing else 0)


def test_secretly_sequential_feedback_names_what_the_server_saw(grade_variant):
    graded = grade_variant(EXERCISE, MODULE, VARIANTS / EXERCISE / "wrong_start_and_join_in_one_loop.py")
    feedback = graded.check("test_fetch_concurrent_has_every_request_in_flight_at_once")["feedback"]
    assert "peak 1 request in flight of 8 expected" in feedback


def test_reference_solution_earns_full_marks():
    graded = run_grade(EXERCISE, "--path", str(ROOT / "solutions"), "--format", "json",
                       "--include-hidden")
    assert graded.exit_code == 0, graded.stdout
    assert set(graded.statuses().values()) == {"passed"}


def test_stub_earns_nothing():
    graded = run_grade(EXERCISE, "--path", str(ROOT / "exercises"), "--format", "json",
                       "--include-hidden")
    assert graded.exit_code == 1
    assert graded.report["exercises"][0]["score"] == 0
    assert set(graded.statuses().values()) == {"failed"}
