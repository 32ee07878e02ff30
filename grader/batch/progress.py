"""Progress of a batch: a live bar on a terminal (rich), plain lines otherwise (a log, CI).

Both say done / total, the student just finished, the failures so far and, on the terminal, the
time left."""
from __future__ import annotations

import sys
from typing import Protocol, TextIO

from grader.report import OK


class Progress(Protocol):
    def finished(self, student: str, exercise: str, status: str) -> None:
        """One job is done."""

    def close(self) -> None:
        """The batch is done: leave the terminal clean."""


class PlainProgress:
    """One line per finished job."""

    def __init__(self, total: int, stream: TextIO):
        self.total, self.done, self.failures, self.stream = total, 0, 0, stream

    def finished(self, student: str, exercise: str, status: str) -> None:
        self.done += 1
        self.failures += status != OK
        print(f"[{self.done}/{self.total}] {student} {exercise}: {status} "
              f"({self.failures} not ok so far)", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    """A progress bar with the time left, redrawn in place."""

    def __init__(self, total: int, stream: TextIO):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.failures = 0
        self.bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            TextColumn("{task.fields[last]}"), console=Console(file=stream), transient=False)
        self.task = self.bar.add_task("grading", total=total, last="")
        self.bar.start()

    def finished(self, student: str, exercise: str, status: str) -> None:
        self.failures += status != OK
        self.bar.update(self.task, advance=1,
                        last=f"{student} {exercise}: {status} · {self.failures} not ok so far")

    def close(self) -> None:
        self.bar.stop()


def progress_for(total: int, stream: TextIO = sys.stderr) -> Progress:
    """A bar when `stream` is a terminal, plain lines otherwise."""
    return RichProgress(total, stream) if stream.isatty() else PlainProgress(total, stream)
