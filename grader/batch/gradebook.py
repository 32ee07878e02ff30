"""gradebook.csv and checks.csv: the class's grades for a spreadsheet or an LMS import, and every
check of every student for a teacher's own analysis.

gradebook.csv has a header, then a row of the points possible (as otter-grader's final_grades.csv
and LMS gradebook exports do), then one row per student: id, name, a column per exercise, total,
percent and status. Both files are rewritten whole and atomically.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.batch.classresults import ClassResults, points
from grader.batch.files import write_atomically

POINTS_POSSIBLE = "Points Possible"


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _percent(score: float, possible: float) -> str:
    return f"{100 * score / possible:.1f}" if possible else "0"


def gradebook_rows(book: ClassResults) -> list[list[str]]:
    """The gradebook as rows of text, header first."""
    ids = [exercise.id for exercise in book.exercises]
    rows = [["id", "name", *ids, "total", "percent", "status"],
            [POINTS_POSSIBLE, "", *(points(book.possible(e)) for e in book.exercises),
             points(book.total_possible()), "100", ""]]
    for student in book.students:
        scores = [book.result(student, exercise) for exercise in book.exercises]
        total = book.total(student)
        rows.append([student.id, student.name, *(points(r.score) if r else "" for r in scores),
                     points(total), _percent(total, book.total_possible()), book.status(student)])
    return rows


def checks_rows(book: ClassResults) -> list[list[str]]:
    """One row per student and check, header first."""
    rows = [["student", "exercise", "check", "target", "status", "points", "max_points", "reason"]]
    for student in book.students:
        for result in book.results(student):
            rows += [[student.id, result.exercise, check.name, check.target, check.status,
                      points(check.points), points(check.max_points), check.reason] for check in result.checks]
    return rows


def write_gradebook(book: ClassResults, folder: Path) -> None:
    """Rewrite `folder`/gradebook.csv."""
    write_atomically(folder / "gradebook.csv", _csv(gradebook_rows(book)))


def write_checks(book: ClassResults, folder: Path) -> None:
    """Rewrite `folder`/checks.csv."""
    write_atomically(folder / "checks.csv", _csv(checks_rows(book)))
