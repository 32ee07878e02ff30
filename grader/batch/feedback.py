"""feedback/<student>.md: the report a student gets back, every check in catalog order with its
status, points and feedback, in the language the teacher chose (`grade batch --lang`)."""
from __future__ import annotations

import re
from pathlib import Path

from grader.batch.classresults import ClassResults, points
from grader.batch.discover import Student
from grader.batch.files import write_atomically
from grader.catalog import load_catalog
from grader.messages import msg, render
from grader.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, ExerciseResult

LABELS = {PASSED: msg("report.label.passed"), FAILED: msg("report.label.failed"), ERROR: msg("report.label.error"),
          SKIPPED: msg("batch.feedback.not_counted")}


def file_name(student_id: str) -> str:
    """A file name for the student's feedback that cannot leave the feedback folder."""
    name = re.sub(r"[^\w.-]", "_", student_id)
    return f"{name if name.strip('.') else '_'}.md"


def _check_lines(check: CheckResult, lang: str) -> list[str]:
    label = render(LABELS[check.status], lang) if check.status in LABELS else check.status
    reason = f" ({check.reason})" if check.reason else ""
    lines = [f"- **{label}** {points(check.points)}/{points(check.max_points)} `{check.name}`{reason}"]
    lines += [f"  > {line}" if line else "  >" for line in check.feedback_in(lang).splitlines()]
    return lines


def _exercise_lines(result: ExerciseResult, lang: str) -> list[str]:
    exercise = load_catalog().get(result.exercise)
    title = exercise.title.get(lang) if exercise else result.title
    lines = [f"## {result.exercise}: {title} ({points(result.score)}/{points(result.max_score)})", ""]
    for check in result.checks:
        lines += _check_lines(check, lang)
    return lines + [""]


def feedback_markdown(book: ClassResults, student: Student, lang: str = "en") -> str:
    """The student's whole report as Markdown, in `lang`."""
    who = f"{student.id} ({student.name})" if student.name else student.id
    lines = [render(msg("batch.feedback.title", who=who), lang), "",
             render(msg("report.total", score=book.total(student), max_score=book.total_possible()), lang), ""]
    if not student.submitted:
        lines += [render(msg("batch.feedback.nothing_handed_in"), lang), ""]
    for result in book.results(student):
        lines += _exercise_lines(result, lang)
    return "\n".join(lines)


def write_feedback(book: ClassResults, student: Student, folder: Path, lang: str = "en") -> None:
    """Rewrite `folder`/feedback/<student>.md, in `lang`."""
    target = folder / "feedback"
    target.mkdir(exist_ok=True)
    write_atomically(target / file_name(student.id), feedback_markdown(book, student, lang))
