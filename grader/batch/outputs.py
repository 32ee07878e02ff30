"""The files a batch keeps up to date under RESULTS while it runs: feedback of each student as soon
as one of their exercises is graded; gradebook.csv, checks.csv and summary.md at most every few
seconds (each is rewritten whole, so a class of thousands is not rewritten after every job) and at
the end; summary.html (with its charts) at the end."""
from __future__ import annotations

import time
from pathlib import Path

from grader.batch.classresults import ClassResults
from grader.batch.feedback import write_feedback
from grader.batch.files import write_atomically
from grader.batch.gradebook import write_checks, write_gradebook
from grader.batch.summary import Counts, summary_markdown
from grader.batch.summary_html import summary_html

REWRITE_EVERY_S = 2.0


class Outputs:
    """Writes the outputs of `book` under `folder`."""

    def __init__(self, folder: Path, book: ClassResults, every_s: float = REWRITE_EVERY_S, lang: str = "en"):
        self.folder, self.book, self.every_s, self.lang = folder, book, every_s, lang
        self._students = {student.id: student for student in book.students}
        self._last = float("-inf")

    def student_changed(self, student_id: str, counts: Counts) -> None:
        """One of the student's results changed: their feedback now, the class files when due."""
        write_feedback(self.book, self._students[student_id], self.folder, self.lang)
        if time.monotonic() - self._last >= self.every_s:
            self.write_class(counts)

    def write_class(self, counts: Counts) -> str:
        """Rewrite gradebook.csv, checks.csv and summary.md; return the summary."""
        self._last = time.monotonic()
        write_gradebook(self.book, self.folder)
        write_checks(self.book, self.folder)
        summary = summary_markdown(self.book, counts, self.lang)
        write_atomically(self.folder / "summary.md", summary)
        return summary

    def write_all(self, counts: Counts) -> str:
        """Every output, every student's feedback and summary.html included; return the summary."""
        for student in self.book.students:
            write_feedback(self.book, student, self.folder, self.lang)
        write_atomically(self.folder / "summary.html", summary_html(self.book, counts, self.lang))
        return self.write_class(counts)
