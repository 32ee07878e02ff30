"""feedback/<student>.md: the report a student gets back, every check in catalog order with its
status, points and feedback."""
from __future__ import annotations

import re
from pathlib import Path

from grader.batch.classresults import ClassResults, points
from grader.batch.discover import Student
from grader.batch.files import write_atomically
from grader.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, ExerciseResult

LABELS = {PASSED: "PASS", FAILED: "FAIL", ERROR: "ERROR", SKIPPED: "NOT COUNTED"}
NOTHING = "Nothing was handed in."


def file_name(student_id: str) -> str:
    """A file name for the student's feedback that cannot leave the feedback folder."""
    name = re.sub(r"[^\w.-]", "_", student_id)
    return f"{name if name.strip('.') else '_'}.md"


def _check_lines(check: CheckResult) -> list[str]:
    reason = f" ({check.reason})" if check.reason else ""
    lines = [f"- **{LABELS.get(check.status, check.status)}** {points(check.points)}/{points(check.max_points)}"
             f" `{check.name}`{reason}"]
    lines += [f"  > {line}" if line else "  >" for line in check.feedback.splitlines()]
    return lines


def _exercise_lines(result: ExerciseResult) -> list[str]:
    lines = [f"## {result.exercise}: {result.title} ({points(result.score)}/{points(result.max_score)})", ""]
    for check in result.checks:
        lines += _check_lines(check)
    return lines + [""]


def feedback_markdown(book: ClassResults, student: Student) -> str:
    """The student's whole report as Markdown."""
    who = f"{student.id} ({student.name})" if student.name else student.id
    lines = [f"# Feedback for {who}", "",
             f"Total: {points(book.total(student))}/{points(book.total_possible())}", ""]
    if not student.submitted:
        lines += [NOTHING, ""]
    for result in book.results(student):
        lines += _exercise_lines(result)
    return "\n".join(lines)


def write_feedback(book: ClassResults, student: Student, folder: Path) -> None:
    """Rewrite `folder`/feedback/<student>.md."""
    target = folder / "feedback"
    target.mkdir(exist_ok=True)
    write_atomically(target / file_name(student.id), feedback_markdown(book, student))
