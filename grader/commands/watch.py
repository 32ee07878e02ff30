"""`grade watch EXERCISE`: grade the exercise, then again each time its file is saved, clearing the
screen between runs; Ctrl-C stops.

The file is polled: its bytes are read a few times a second and compared with the bytes that were
last graded. A poll sees every kind of save (in place, or a new file renamed over the old one, as
many editors do), never regrades a file whose content did not change, and cannot miss a save made
while a grading runs, since the comparison is with what was graded, not with the previous poll.
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path

from grader import forkserver, progress
from grader.catalog import Exercise
from grader.commands import options
from grader.interpreter import Interpreter
from grader.messages import msg, render
from grader.report import Report
from grader.runner import grade_exercise
from grader.writers import colour, terminal, text

POLL_SECONDS = 0.3


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def wait_for_change(path: Path, graded: bytes | None, stop: threading.Event,
                    interval: float = POLL_SECONDS) -> bytes | None:
    """Wait until `path` holds other bytes than `graded` (or `stop` is set); return them.

    New bytes count once two polls in a row read them: an editor saving truncates the file first, and
    a poll in the middle of a save must not grade a half-written (or empty) file."""
    candidate = None
    while not stop.wait(interval):
        now = _content(path)
        if now is not None and now != graded and now == candidate:
            return now
        candidate = now
    return None


def _show(report: Report, lang: str) -> None:
    if colour.wanted(sys.stdout):
        console = terminal.console_for(sys.stdout)
        console.clear()
        terminal.show(report, console, lang)
    else:
        sys.stdout.write(text.write(report))


def grade_once(exercise: Exercise, folder: Path, lang: str) -> None:
    """Grade the exercise, remember its verdicts, show the report."""
    report = Report([grade_exercise(exercise, folder, lang=lang)], lang, Interpreter.current().to_dict())
    progress.record(folder, report)
    _show(report, lang)


def run(argv: list[str]) -> int:
    """Grade on every save until Ctrl-C."""
    lang = options.lang_of(argv)
    args = options.parser("grade watch", msg("help.watch.description"), exercise=True, lang=lang).parse_args(argv)
    folder = options.submission_dir(args.path, lang)
    exercise = options.exercise(args.exercise, folder, lang)
    path = folder / exercise.module
    stop = threading.Event()  # never set here: Ctrl-C ends the watch
    forkserver.expect_many_gradings()
    graded = _content(path)
    try:
        while not stop.is_set():
            grade_once(exercise, folder, lang)
            print("\n" + render(msg("watch.watching", file=path.name), lang), flush=True)
            graded = wait_for_change(path, graded, stop)
    except KeyboardInterrupt:
        pass
    print(render(msg("watch.stopped"), lang), flush=True)
    return 0
