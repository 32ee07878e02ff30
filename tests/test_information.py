"""What the student reads beyond pass or fail: information given with a passing check."""
from __future__ import annotations

from conftest import ROOT, run_grade


def test_exercise2_shows_the_gil_timing_as_information():
    graded = run_grade("exercise2", "--path", str(ROOT / "solutions"), "--format", "json")
    note = graded.check("test_sum_counts_every_element_exactly_once")["feedback"]
    assert "with 1 thread" in note and "with 4 threads" in note
