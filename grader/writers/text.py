"""The text report a student reads in the terminal (plain; `grader.writers.terminal` adds colour)."""
from __future__ import annotations

import textwrap

from grader.phrases import say
from grader.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, ExerciseResult, Report
from grader.writers.import_failure import explanations, not_run
from grader.writers.speed import plain_table, speed_rows

LABELS = {PASSED: "PASS", FAILED: "FAIL", ERROR: "ERROR", SKIPPED: "SKIP"}
HIDDEN_LABEL = "HIDDEN"
FEEDBACK_INDENT = 18


def _points(value: float) -> str:
    return f"{value:g}"


def _check_lines(check: CheckResult, lang: str) -> list[str]:
    hidden_not_run = check.status == SKIPPED and check.visibility == "hidden"
    label = HIDDEN_LABEL if hidden_not_run else LABELS[check.status]
    points = "-" if check.status == SKIPPED else f"{_points(check.points)}/{_points(check.max_points)}"
    if not_run(check):
        # Said once at the top of the exercise: the check itself only says it did not run.
        return [f"  {say('report.not_run', lang):<7}{points:>7}  {check.name}"]
    lines = [f"  {label:<6} {points:>7}  {check.name}"]
    if hidden_not_run:
        lines[0] += "  (graded after submission)"
    elif check.feedback:
        lines += [textwrap.indent(check.feedback, " " * FEEDBACK_INDENT)]
    rows = speed_rows(check, lang)
    if rows:
        lines += plain_table(rows, lang, FEEDBACK_INDENT)
    return lines


def _exercise_lines(result: ExerciseResult, lang: str) -> list[str]:
    lines = [f"{result.exercise}: {result.title}"]
    failures = explanations(result)
    if failures:
        lines.append("  " + say("report.import_failed", lang))
        lines += [textwrap.indent(text, " " * 4) for text in failures]
    for check in result.checks:
        lines += _check_lines(check, lang)
    lines.append(f"  {result.exercise} score: {_points(result.score)}/{_points(result.max_score)}")
    return lines


def write(report: Report, lang: str = "en") -> str:
    """The report as text: one line per check, feedback under it, totals."""
    lines: list[str] = []
    for result in report.exercises:
        lines += _exercise_lines(result, lang) + [""]
    lines.append(f"Total: {_points(report.score)}/{_points(report.max_score)}")
    return "\n".join(lines) + "\n"
