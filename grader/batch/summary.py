"""summary.md (printed at the end of a batch as well): how many were graded, the mean score per
exercise, the checks failed most often, the submissions in trouble, and how long it took."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from grader.batch.classresults import ClassResults, points
from grader.report import ERROR, FAILED, NOT_SUBMITTED, OK, UNREADABLE

MOST_FAILED = 10
_ABSENT = {NOT_SUBMITTED, UNREADABLE}


@dataclass
class Counts:
    """What this run of the batch did."""

    graded: int = 0  # whole gradings run now
    reused: int = 0  # results kept from results.jsonl (same files, grader and catalog)
    retried: int = 0  # retries of checks that were not measurable
    not_graded: int = 0  # nothing to grade: not submitted, unreadable
    seconds: float = 0.0


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


EXERCISE_HEADER = ["exercise", "submitted", "mean", "possible"]
FAILED_HEADER = ["check", "exercise", "failed", "error", "of"]
TROUBLE_HEADER = ["student", "exercise", "status"]


def submitted_results(book: ClassResults, exercise) -> list:
    """The results of the students who handed the exercise in (not missing, not unreadable)."""
    found = (book.result(student, exercise) for student in book.students)
    return [result for result in found if result and result.status not in _ABSENT]


def exercise_rows(book: ClassResults) -> list[list[str]]:
    """Per exercise: how many submitted it, their mean score, the points possible."""
    rows = []
    for exercise in book.exercises:
        results = submitted_results(book, exercise)
        mean = sum(r.score for r in results) / len(results) if results else 0.0
        rows.append([exercise.id, str(len(results)), f"{mean:.2f}", points(book.possible(exercise))])
    return rows


def failed_rows(book: ClassResults) -> list[list[str]]:
    """The checks failed (or ended in an error) most often, with how often and out of how many."""
    failed, errors, runs = Counter(), Counter(), Counter()
    for student in book.students:
        for result in book.results(student):
            if result.status in _ABSENT:
                continue
            for check in result.checks:
                key = (result.exercise, check.name)
                runs[key] += 1
                failed[key] += check.status == FAILED
                errors[key] += check.status == ERROR
    worst = sorted((key for key in runs if failed[key] + errors[key]),
                   key=lambda key: (-(failed[key] + errors[key]), key))[:MOST_FAILED]
    return [[f"`{name}`", exercise, str(failed[(exercise, name)]), str(errors[(exercise, name)]), str(runs[(exercise, name)])]
            for exercise, name in worst]


def trouble_rows(book: ClassResults) -> list[list[str]]:
    """The exercises of students that errored, timed out, were flagged or stay open."""
    return [[student.id, result.exercise, result.status] for student in book.students
            for result in book.results(student) if result.status not in (OK, NOT_SUBMITTED)]


def headline(book: ClassResults, counts: Counts) -> str:
    """One sentence: the class, what this run did, how long it took."""
    submitted = sum(1 for student in book.students if student.submitted)
    return (f"Students: {len(book.students)} ({submitted} with a submission). "
            f"This run: {counts.graded} graded, {counts.reused} unchanged and kept, "
            f"{counts.retried} retried (not measurable), {counts.not_graded} with nothing to grade; "
            f"took {_duration(counts.seconds)}.")


# The summary's tables, in order: title, header, rows.
SECTIONS = (
    ("Mean score per exercise (of the students who submitted it)", EXERCISE_HEADER, exercise_rows),
    ("Checks failed most often", FAILED_HEADER, failed_rows),
    ("Submissions that errored, timed out, were flagged or stay open", TROUBLE_HEADER, trouble_rows),
)


def summary_markdown(book: ClassResults, counts: Counts) -> str:
    """The summary of the class as Markdown."""
    lines = ["# Batch summary", "", headline(book, counts), ""]
    for title, header, rows_of in SECTIONS:
        rows = rows_of(book)
        lines += [f"## {title}", ""] + (_table(header, rows) if rows else ["None.", ""])
    return "\n".join(lines)
