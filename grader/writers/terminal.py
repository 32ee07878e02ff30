"""The text report on a terminal: status symbols and colours, feedback wrapped to the terminal's
width, the speed tables as tables (with `rich`). Plain text (`grader.writers.text`) is written instead
when standard output is not a terminal or when `NO_COLOR` is set, so that files and pipes get the same
bytes as always."""
from __future__ import annotations

from typing import TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from grader.interpreter import gil_note
from grader.messages import msg, render
from grader.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, ExerciseResult, Report
from grader.writers.import_failure import explanations, not_run
from grader.writers.speed import speed_rows
from grader.writers.text import HIDDEN_LABEL, LABELS, NOT_RUN_LABEL

# (symbol, style) per status; hidden and not-run checks are dim: nothing to act on in them.
MARKS = {PASSED: ("✔", "green"), FAILED: ("✘", "red"), ERROR: ("!", "bold red"), SKIPPED: ("–", "yellow")}
HIDDEN_MARK, NOT_RUN_MARK = ("·", "dim"), ("○", "dim")
POINTS_WIDTH = 7


def console_for(stream: TextIO) -> Console:
    """A console writing to `stream`; numbers and words are never coloured by guess."""
    return Console(file=stream, highlight=False, soft_wrap=False)


def _points(check: CheckResult) -> str:
    return "-" if check.status == SKIPPED else f"{check.points:g}/{check.max_points:g}"


def _label_width(lang: str) -> int:
    return max(len(render(label, lang)) for label in (*LABELS.values(), HIDDEN_LABEL, NOT_RUN_LABEL))


def _feedback_indent(lang: str) -> int:
    """Where a check's name starts: its feedback is written under it."""
    return len("  ✔ ") + _label_width(lang) + len(" ") + POINTS_WIDTH + len("  ")


def _check_line(check: CheckResult, lang: str) -> Table:
    """The check's status, points and name; a long name wraps under itself, not under the status."""
    hidden_not_run = check.status == SKIPPED and check.visibility == "hidden"
    if not_run(check):
        (symbol, style), label = NOT_RUN_MARK, render(NOT_RUN_LABEL, lang)
    elif hidden_not_run:
        (symbol, style), label = HIDDEN_MARK, render(HIDDEN_LABEL, lang)
    else:
        (symbol, style), label = MARKS[check.status], render(LABELS[check.status], lang)
    name = Text(check.name, style="dim" if hidden_not_run or not_run(check) else "", overflow="fold")
    if hidden_not_run:
        name.append("  " + render(msg("report.graded_after_submission"), lang))
    line = Table.grid()
    line.add_column(no_wrap=True)
    line.add_column(no_wrap=True)
    line.add_column(overflow="fold")
    line.add_row(Text(f"  {symbol} {label:<{_label_width(lang)}}", style=style),
                 f" {_points(check):>{POINTS_WIDTH}}  ", name)
    return line


def _speed_table(check: CheckResult, lang: str) -> RenderableType | None:
    rows = speed_rows(check, lang)
    if not rows:
        return None
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1))
    table.add_column("")
    table.add_column(render(msg("report.speed.time"), lang), justify="right")
    table.add_column(render(msg("report.speed.speedup"), lang), justify="right", style="bold")
    for row in rows:
        table.add_row(row.label, row.time, row.speedup)
    return Group(Text(render(msg("report.speed.heading"), lang), style="italic"), table)


def _check(check: CheckResult, lang: str) -> list[RenderableType]:
    parts: list[RenderableType] = [_check_line(check, lang)]
    if not (check.status == SKIPPED and check.visibility == "hidden") and not not_run(check):
        if check.feedback:
            parts.append(Padding(Text(check.feedback), (0, 0, 0, _feedback_indent(lang)), expand=False))
        table = _speed_table(check, lang)
        if table is not None:
            parts.append(Padding(table, (0, 0, 0, _feedback_indent(lang)), expand=False))
    return parts


def _exercise(result: ExerciseResult, lang: str, python: dict) -> list[RenderableType]:
    parts: list[RenderableType] = [Text(f"{result.exercise}: {result.title}", style="bold")]
    note = gil_note(python, result.exercise)
    if note is not None:
        parts.append(Padding(Text(render(note, lang), style="italic"), (0, 0, 0, 2), expand=False))
    failures = explanations(result)
    if failures:
        parts.append(Text("  " + render(msg("report.import_failed"), lang), style="bold red"))
        parts += [Padding(Text(text), (0, 0, 0, 4), expand=False) for text in failures]
    for check in result.checks:
        parts += _check(check, lang)
    style = "green" if result.score >= result.max_score else "yellow"
    score = msg("report.exercise_score", exercise=result.exercise, score=result.score, max_score=result.max_score)
    parts.append(Text("  " + render(score, lang), style=style))
    return parts


def show(report: Report, console: Console, lang: str = "en") -> None:
    """Print the report on `console`."""
    parts: list[RenderableType] = []
    for result in report.exercises:
        parts += _exercise(result, lang, report.python) + [Text("")]
    style = "bold green" if report.full_marks else "bold"
    total = msg("report.total", score=report.score, max_score=report.max_score)
    parts.append(Text(render(total, lang), style=style))
    console.print(Group(*parts))
