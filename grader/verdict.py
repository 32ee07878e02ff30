"""Turning what happened in a check (an exception, or none) into a status and student feedback."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from grader.feedback import Feedback, NotMeasurable
from grader.report import (DEPENDENCY_MISSING, ERROR, FAILED, GRADER_ERROR, IMPORT_ERROR, NOT_MEASURABLE,
                           OUT_OF_MEMORY, PASSED, SKIPPED, TIMED_OUT)
from grader.submission import SubmissionImportError, describe_exception, student_frames


@dataclass
class Verdict:
    """A status, the feedback that explains it, why (a reason field), and whether the check's
    catalog hint is about this failure."""

    status: str
    feedback: str = ""
    reason: str = ""
    catalog_hint: bool = False


class StudentInterrupt(Exception):
    """The student's code raised a BaseException that is not an Exception (KeyboardInterrupt, a
    subclass of BaseException): carried as an ordinary exception so that pytest does not stop the run."""

    def __init__(self, original: BaseException):
        super().__init__(describe_exception(original))
        self.original = original


# Errors the standard library raises when threads, processes or pools are misused, each with the
# cause a student should look for first. (exception type, start of its message, explanation)
KNOWN_CAUSES = (
    (RuntimeError, "cannot join thread before it is started",
     "A thread was joined before it was started: a Thread object does nothing until its start() is "
     "called. Start every thread first, then join each one."),
    (RuntimeError, "threads can only be started once",
     "The same Thread object was started twice: create one Thread per worker."),
    (AssertionError, "can only join a started process",
     "A process was joined before it was started: a Process object does nothing until its start() is "
     "called. Start every process first, then join each one."),
    (AssertionError, "cannot start a process twice",
     "The same Process object was started twice: create one Process per child."),
    (ValueError, "Pool not running",
     "The pool was used after it was closed or after its `with` block ended: submit the work and "
     "collect every result while the pool is open, then close and join it."),
)


def _known_cause(exc: BaseException) -> str:
    for kind, message, explanation in KNOWN_CAUSES:
        if isinstance(exc, kind) and describe_exception(exc).removeprefix(f"{kind.__name__}: ").startswith(message):
            return explanation
    return ""


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, pytest.fail.Exception) and str(exc).startswith("Timeout")


def _where(exc: BaseException, student_file: str) -> str:
    frames = student_frames(exc.__traceback__, student_file)
    if not frames:
        return ""
    return "\nIn your code: " + " -> ".join(f.describe() for f in frames[-3:])


def _student_raised(exc: BaseException, student_file: str) -> Verdict:
    original = exc.original if isinstance(exc, StudentInterrupt) else exc
    cause = _known_cause(original)
    where = _where(original, student_file) or _where(exc, student_file)
    if cause:
        return Verdict(FAILED, f"{cause}\nYour code raised {describe_exception(original)}.{where}")
    if isinstance(original, MemoryError):
        return Verdict(FAILED, f"Your code raised {describe_exception(original)}: it went over the memory a "
                       f"grading process may use.{where}", OUT_OF_MEMORY)
    return Verdict(FAILED, f"Your code raised {describe_exception(original)}.{where}")


def classify(exc: BaseException | None, when: str, student_file: str, timeout: float) -> Verdict:
    """The verdict for a check phase (`setup`, `call`, `teardown`) that raised `exc`."""
    if exc is None:
        return Verdict(PASSED)
    if isinstance(exc, Feedback):
        return Verdict(FAILED, exc.text(), exc.reason, exc.catalog_hint)
    if isinstance(exc, NotMeasurable):
        return Verdict(SKIPPED, f"Not measurable on this machine right now: {exc}", NOT_MEASURABLE)
    if isinstance(exc, pytest.skip.Exception):
        return Verdict(SKIPPED, str(exc), DEPENDENCY_MISSING)
    if isinstance(exc, SubmissionImportError):
        return Verdict(ERROR, str(exc), IMPORT_ERROR)
    if _is_timeout(exc):
        return Verdict(ERROR, f"Timed out: the check was stopped after {timeout:g} s."
                       + _where(exc, student_file)
                       + "\nHint: look for a thread or process that is never started or never joined, a "
                         "queue that is never drained, or a lock that is never released.", TIMED_OUT)
    if isinstance(exc, NotImplementedError) and student_frames(exc.__traceback__, student_file):
        frames = student_frames(exc.__traceback__, student_file)
        return Verdict(FAILED, f"Not implemented yet: {frames[-1].function} still raises NotImplementedError.")
    if isinstance(exc, SystemExit):
        return Verdict(FAILED, f"Your code called sys.exit({exc.code!r}); a function must return its "
                       "result, not end the program." + _where(exc, student_file))
    if isinstance(exc, StudentInterrupt) or student_frames(exc.__traceback__, student_file):
        return _student_raised(exc, student_file)
    if when == "call" and isinstance(exc, AssertionError):
        return Verdict(FAILED, str(exc))
    return Verdict(ERROR, f"The grader could not run this check ({describe_exception(exc)}). "
                   "This is a problem in the grader, not in your code: please report it.", GRADER_ERROR)
