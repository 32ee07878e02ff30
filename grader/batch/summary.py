"""summary.md (printed at the end of a batch as well): how many were graded, the mean score per
exercise, the checks failed most often, the submissions in trouble, and how long it took; in the
batch's language (`--lang`), its sentences from grader/checks/messages/batch.<lang>.yaml."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from grader.batch.classresults import ClassResults, points
from grader.messages import Message, msg, render
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


def _duration(seconds: float, lang: str) -> str:
    minutes, rest = divmod(round(seconds), 60)
    if minutes:
        return render(msg("batch.summary.minutes", minutes=minutes, seconds=rest), lang)
    return render(msg("batch.summary.seconds", seconds=rest), lang)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows] + [""]


EXERCISE_HEADER = (msg("batch.column.exercise"), msg("batch.column.submitted"), msg("batch.column.mean"),
                   msg("batch.column.possible"))
FAILED_HEADER = (msg("batch.column.check"), msg("batch.column.exercise"), msg("batch.column.failed"),
                 msg("batch.column.error"), msg("batch.column.of"))
TROUBLE_HEADER = (msg("batch.column.student"), msg("batch.column.exercise"), msg("batch.column.status"))


def header(columns: tuple[Message, ...], lang: str) -> list[str]:
    """A table's column names in `lang`."""
    return [render(column, lang) for column in columns]


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


def headline(book: ClassResults, counts: Counts, lang: str) -> str:
    """One sentence: the class, what this run did, how long it took."""
    submitted = sum(1 for student in book.students if student.submitted)
    return render(msg("batch.summary.headline", students=len(book.students), submitted=submitted,
                      graded=counts.graded, reused=counts.reused, retried=counts.retried,
                      not_graded=counts.not_graded, took=_duration(counts.seconds, lang)), lang)


# The summary's tables, in order: title, columns, rows.
SECTIONS = (
    (msg("batch.summary.exercises"), EXERCISE_HEADER, exercise_rows),
    (msg("batch.summary.failed"), FAILED_HEADER, failed_rows),
    (msg("batch.summary.trouble"), TROUBLE_HEADER, trouble_rows),
)


def summary_markdown(book: ClassResults, counts: Counts, lang: str = "en") -> str:
    """The summary of the class as Markdown, in `lang`."""
    lines = [f"# {render(msg('batch.summary.title'), lang)}", "", headline(book, counts, lang), ""]
    for title, columns, rows_of in SECTIONS:
        rows = rows_of(book)
        lines += [f"## {render(title, lang)}", ""]
        lines += _table(header(columns, lang), rows) if rows else [render(msg("batch.summary.none"), lang), ""]
    return "\n".join(lines)
