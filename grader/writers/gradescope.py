"""Gradescope's `results.json` (its "Autograder Specifications"): one test per check.

Gradescope sums nothing itself when a top-level `score` is given, so the score is the grader's own,
check for check. A hidden check is shown to students only once the teacher publishes the grades
(`after_published`). A check that counts in neither score nor maximum (not measurable right now, a
dependency missing, a hidden check not run) gets a maximum of 0 and an output that says why, so that
the tests' maxima add up to the grader's maximum and a regrade can measure it again.
"""
from __future__ import annotations

import json
import math

from grader.catalog import load_catalog
from grader.report import ERROR, PASSED, SKIPPED, CheckResult, ExerciseResult, Report

# Gradescope's names for when a test is shown to students, by the catalog's visibility.
VISIBILITY = {"visible": "visible", "hidden": "after_published"}
# Why a check counted in neither score nor maximum, as the student reads it on Gradescope.
UNCOUNTED = {
    "not measurable": "Not measurable: the machine could not measure this check right now, so it counts in "
                      "neither your score nor the maximum. A regrade measures it again.",
    "dependency missing": "Not graded: a library this check needs is missing on the grading machine; it "
                          "counts in neither your score nor the maximum.",
    "hidden": "Not run: a hidden check, graded after submission.",
}


def _points(value: float) -> str:
    return f"{value:g}"


def _test_output(check: CheckResult) -> str:
    """What the student reads under the test: the verdict's reason first, then the feedback."""
    if check.status == SKIPPED:
        lead = UNCOUNTED.get(check.reason, f"Not graded: {check.reason or 'skipped'}.")
    elif check.status == ERROR:
        lead = f"Error ({check.reason}): the check could not finish." if check.reason else "Error."
    else:
        lead = ""
    return "\n".join(part for part in (lead, check.feedback) if part)


def _test(result: ExerciseResult, number: int, index: int, check: CheckResult) -> dict:
    counts = check.status != SKIPPED
    return {
        "name": f"{result.exercise}: {check.name}",
        "number": f"{number}.{index}",
        "score": float(check.points) if counts else 0.0,
        "max_score": float(check.max_points) if counts else 0.0,
        "status": "passed" if check.status == PASSED else "failed",
        "output": _test_output(check),
        "output_format": "text",
        "tags": [result.exercise, check.target],
        "visibility": VISIBILITY.get(check.visibility, "visible"),
    }


def _summary(report: Report) -> str:
    """The submission-level output: a table of the exercises' scores, in Markdown."""
    lines = [f"**Total: {_points(report.score)}/{_points(report.max_score)}**", "",
             "| Exercise | Score |", "|---|---|"]
    lines += [f"| {e.exercise}: {e.title} | {_points(e.score)}/{_points(e.max_score)} |" for e in report.exercises]
    return "\n".join(lines)


def to_results(report: Report) -> dict:
    """The report as Gradescope's results.json object."""
    numbers = {e.id: e.number for e in load_catalog().values()}
    tests = []
    for position, result in enumerate(report.exercises, start=1):
        number = numbers.get(result.exercise, position)
        tests += [_test(result, number, index, check) for index, check in enumerate(result.checks, start=1)]
    seconds = sum(c.duration_s for e in report.exercises for c in e.checks)
    return {
        "score": float(report.score),
        "execution_time": math.ceil(seconds),
        "output": _summary(report),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write(report: Report) -> str:
    """The report as Gradescope's results.json text."""
    return json.dumps(to_results(report), ensure_ascii=False, indent=2) + "\n"
