"""The text report a student reads in the terminal."""
from __future__ import annotations

import textwrap

from grader.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, ExerciseResult, Report

LABELS = {PASSED: "PASS", FAILED: "FAIL", ERROR: "ERROR", SKIPPED: "SKIP"}
HIDDEN_LABEL = "HIDDEN"


def _points(value: float) -> str:
    return f"{value:g}"


def _check_lines(check: CheckResult) -> list[str]:
    hidden_not_run = check.status == SKIPPED and check.visibility == "hidden"
    label = HIDDEN_LABEL if hidden_not_run else LABELS[check.status]
    points = "-" if check.status == SKIPPED else f"{_points(check.points)}/{_points(check.max_points)}"
    lines = [f"  {label:<6} {points:>7}  {check.name}"]
    if hidden_not_run:
        lines[0] += "  (graded after submission)"
    elif check.feedback:
        lines += [textwrap.indent(check.feedback, " " * 18)]
    return lines


def _exercise_lines(result: ExerciseResult) -> list[str]:
    lines = [f"{result.exercise}: {result.title}"]
    for check in result.checks:
        lines += _check_lines(check)
    lines.append(f"  {result.exercise} score: {_points(result.score)}/{_points(result.max_score)}")
    return lines


def write(report: Report) -> str:
    """The report as text: one line per check, feedback under it, totals."""
    lines: list[str] = []
    for result in report.exercises:
        lines += _exercise_lines(result) + [""]
    lines.append(f"Total: {_points(report.score)}/{_points(report.max_score)}")
    return "\n".join(lines) + "\n"
