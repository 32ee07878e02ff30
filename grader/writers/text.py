"""The text report a student reads in the terminal, in the language of the run (`Report.lang`);
`grader.writers.terminal` is the same report with colour."""
from __future__ import annotations

import textwrap

from grader.interpreter import gil_note
from grader.messages import msg, render
from grader.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, ExerciseResult, Report
from grader.writers.import_failure import explanations, not_run
from grader.writers.speed import plain_table, speed_rows

LABELS = {PASSED: msg("report.label.passed"), FAILED: msg("report.label.failed"),
          ERROR: msg("report.label.error"), SKIPPED: msg("report.label.skipped")}
HIDDEN_LABEL = msg("report.label.hidden")
NOT_RUN_LABEL = msg("report.label.not_run")


def _points(value: float) -> str:
    return f"{value:g}"


def _check_lines(check: CheckResult, lang: str, width: int) -> list[str]:
    hidden_not_run = check.status == SKIPPED and check.visibility == "hidden"
    label = render(HIDDEN_LABEL if hidden_not_run else LABELS[check.status], lang)
    points = "-" if check.status == SKIPPED else f"{_points(check.points)}/{_points(check.max_points)}"
    if not_run(check):
        # Said once at the top of the exercise: the check itself only says it did not run.
        return [f"  {render(NOT_RUN_LABEL, lang):<{width}} {points:>7}  {check.name}"]
    lines = [f"  {label:<{width}} {points:>7}  {check.name}"]
    feedback_indent = width + 12
    if hidden_not_run:
        lines[0] += "  " + render(msg("report.graded_after_submission"), lang)
    elif check.feedback:
        lines += [textwrap.indent(check.feedback, " " * feedback_indent)]
    rows = speed_rows(check, lang)
    if rows:
        lines += plain_table(rows, lang, feedback_indent)
    return lines


def _exercise_lines(result: ExerciseResult, lang: str, python: dict) -> list[str]:
    width = max(len(render(label, lang)) for label in [*LABELS.values(), HIDDEN_LABEL])
    lines = [f"{result.exercise}: {result.title}"]
    note = gil_note(python, result.exercise)
    if note is not None:
        lines += [textwrap.indent(render(note, lang), "  ")]
    failures = explanations(result)
    if failures:
        lines.append("  " + render(msg("report.import_failed"), lang))
        lines += [textwrap.indent(text, " " * 4) for text in failures]
    for check in result.checks:
        lines += _check_lines(check, lang, width)
    lines.append("  " + render(msg("report.exercise_score", exercise=result.exercise, score=result.score,
                                   max_score=result.max_score), lang))
    return lines


def write(report: Report) -> str:
    """The report as text: one line per check, feedback under it, totals."""
    lines: list[str] = []
    for result in report.exercises:
        lines += _exercise_lines(result, report.lang, report.python) + [""]
    lines.append(render(msg("report.total", score=report.score, max_score=report.max_score), report.lang))
    return "\n".join(lines) + "\n"
