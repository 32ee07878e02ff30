"""The result model: reading back what the JSON writer wrote, and the status of a submission."""
from __future__ import annotations

import json

import pytest

from conftest import run_grade
from grader.report import (CRASHED, ERROR, FAILED, HIDDEN, IMPORT_ERROR, NOT_MEASURABLE, NOT_SUBMITTED, PASSED,
                           SKIPPED, TAMPERED, TIMED_OUT, VERSION, CheckResult, ExerciseResult, Report)
from grader.writers import json_report


def _check(name: str, status: str = PASSED, reason: str = "", points: float = 1.0) -> CheckResult:
    earned = points if status == PASSED else 0.0
    return CheckResult(name=name, target="f", status=status, points=earned, max_points=points,
                       visibility="hidden" if reason == HIDDEN else "visible", feedback=f"about {name}",
                       reason=reason, duration_s=0.25, details={"rounds": [1.5, 2.0]})


def _report() -> Report:
    first = ExerciseResult("exercise1", "Counter race", [_check("a"), _check("b", FAILED, points=2.0),
                                                         _check("c", SKIPPED, HIDDEN)],
                           sandbox={"active": {"reaper": "kills leftovers"}, "skipped": {}})
    second = ExerciseResult("exercise2", "Sum", [_check("d", ERROR, TIMED_OUT), _check("e", SKIPPED, NOT_MEASURABLE)])
    return Report([first, second])


def test_json_writer_output_reads_back_into_the_same_report():
    report = _report()
    written = json_report.write(report)
    read = Report.from_dict(json.loads(written))
    assert read.to_dict() == report.to_dict()
    assert read.exercises[0].checks == report.exercises[0].checks
    assert (read.score, read.max_score) == (1.0, 4.0)


def test_report_carries_the_grader_version_and_derived_statuses():
    written = _report().to_dict()
    assert written["version"] == VERSION != ""
    assert [e["status"] for e in written["exercises"]] == ["ok", TIMED_OUT]
    assert written["status"] == TIMED_OUT


def test_derived_keys_in_the_input_are_recomputed_not_trusted():
    data = _report().exercises[0].to_dict() | {"score": 99, "status": "ok", "max_score": 0}
    read = ExerciseResult.from_dict(data)
    assert (read.score, read.max_score) == (1.0, 3.0)


@pytest.mark.parametrize("reasons, expected", [
    ([("passed", "")], "ok"),
    ([("failed", ""), ("skipped", HIDDEN)], "ok"),
    ([("error", NOT_SUBMITTED)] * 3, NOT_SUBMITTED),
    ([("error", IMPORT_ERROR)] * 3, IMPORT_ERROR),
    ([("passed", ""), ("skipped", NOT_MEASURABLE)], NOT_MEASURABLE),
    ([("error", TIMED_OUT), ("error", CRASHED), ("skipped", NOT_MEASURABLE)], TIMED_OUT),
    ([("error", CRASHED), ("error", TAMPERED)], TAMPERED),
    ([("error", "out of memory"), ("skipped", NOT_MEASURABLE)], "out of memory"),
])
def test_submission_status_names_the_most_telling_reason(reasons, expected):
    checks = [_check(f"c{i}", status, reason) for i, (status, reason) in enumerate(reasons)]
    assert ExerciseResult("exercise1", "t", checks).status == expected


def test_a_file_that_does_not_import_is_one_import_error_status(tmp_path):
    (tmp_path / "exercise2_thread_sum.py").write_text("def sum_using_threads(arr, n:\n", encoding="utf-8")
    graded = run_grade("2", "--path", str(tmp_path), "--format", "json", "--include-hidden")
    report = Report.from_dict(graded.report)
    assert report.status == IMPORT_ERROR == graded.report["exercises"][0]["status"]
    assert report.to_dict() == graded.report
