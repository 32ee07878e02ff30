"""The result object of GitHub Classroom's command grader, base64-encoded as that action emits it.

GitHub Classroom's reporter (`autograding-grading-reporter`) reads each step's result from an
environment variable `<STEP ID>_RESULTS`, decodes it from base64, adds the tests' `score`s and the
object's `max_score` over all steps, and fails the run when a step's `status` is `fail` or `error`.
The command grader itself scores all or nothing from an exit code; this object carries every
check's points instead, so the total in Classroom is the grader's own. Checks that count in neither
score nor maximum (not measurable right now) appear with status `error`, 0 points and a message.
"""
from __future__ import annotations

import base64
import json

from grader.report import ERROR, HIDDEN, PASSED, SKIPPED, CheckResult, Report

FORMAT_VERSION = 1
STATUS = {PASSED: "pass", ERROR: "error"}  # every other counted status is "fail"


def _message(check: CheckResult) -> str:
    if check.status == SKIPPED:
        return f"Not graded in this run ({check.reason}): it counts in neither the score nor the maximum. " \
               + check.feedback
    return check.feedback


def _test(exercise: str, check: CheckResult) -> dict:
    status = "error" if check.status == SKIPPED else STATUS.get(check.status, "fail")
    return {
        "name": f"{exercise}: {check.name}",
        "status": status,
        "score": float(check.points) if check.counts else 0.0,
        "message": _message(check),
        "test_code": "",
        "filename": "",
        "line_no": 0,
        "duration": round(check.duration_s * 1000),
    }


def to_result(report: Report) -> dict:
    """The report as the command grader's result object (duration in milliseconds, as that action's)."""
    tests = [_test(e.exercise, c) for e in report.exercises for c in e.checks
             if not (c.status == SKIPPED and c.reason == HIDDEN)]
    return {
        "version": FORMAT_VERSION,
        "status": "pass" if report.full_marks else "fail",
        "max_score": float(report.max_score),
        "tests": tests,
    }


def encode(result: dict) -> str:
    """A result object as the single base64 line a step hands to the reporter."""
    return base64.b64encode(json.dumps(result, ensure_ascii=False).encode("utf-8")).decode("ascii")


def write(report: Report) -> str:
    """The report as one base64 line."""
    return encode(to_result(report)) + "\n"
