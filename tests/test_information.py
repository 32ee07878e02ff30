"""What the student reads beyond pass or fail: information given with a passing check."""
from __future__ import annotations

from conftest import ROOT, run_grade


def test_exercise2_shows_the_gil_timing_as_information():
    graded = run_grade("exercise2", "--path", str(ROOT / "solutions"), "--format", "json")
    timed = graded.check("test_sum_counts_every_element_exactly_once")
    assert "For your information" in timed["feedback"] and "ANSWER_GIL" in timed["feedback"]
    # The times themselves are the speed table's, not repeated in the sentence.
    assert [row["count"] for row in timed["details"]["speed"]] == [1, 4]
    assert " ms" not in timed["feedback"]
