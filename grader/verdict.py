"""Turning what happened in a check (an exception, or none) into a status and student feedback."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from grader.feedback import Feedback, NotMeasurable
from grader.report import ERROR, FAILED, PASSED, SKIPPED
from grader.submission import SubmissionImportError, describe_exception, student_frames


@dataclass
class Verdict:
    """A status and the feedback that explains it."""

    status: str
    feedback: str = ""


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, pytest.fail.Exception) and str(exc).startswith("Timeout")


def _where(exc: BaseException, student_file: str) -> str:
    frames = student_frames(exc.__traceback__, student_file)
    if not frames:
        return ""
    return "\nIn your code: " + " -> ".join(f.describe() for f in frames[-3:])


def classify(exc: BaseException | None, when: str, student_file: str, timeout: float) -> Verdict:
    """The verdict for a check phase (`setup`, `call`, `teardown`) that raised `exc`."""
    if exc is None:
        return Verdict(PASSED)
    if isinstance(exc, Feedback):
        return Verdict(FAILED, exc.text())
    if isinstance(exc, NotMeasurable):
        return Verdict(SKIPPED, f"Not measurable on this machine right now: {exc}")
    if isinstance(exc, pytest.skip.Exception):
        return Verdict(SKIPPED, str(exc))
    if isinstance(exc, SubmissionImportError):
        return Verdict(ERROR, str(exc))
    if _is_timeout(exc):
        return Verdict(ERROR, f"Timed out: the check was stopped after {timeout:g} s."
                       + _where(exc, student_file)
                       + "\nHint: look for a thread or process that is never joined, a queue that is "
                         "never drained, or a lock that is never released.")
    if isinstance(exc, NotImplementedError) and student_frames(exc.__traceback__, student_file):
        frames = student_frames(exc.__traceback__, student_file)
        return Verdict(FAILED, f"Not implemented yet: {frames[-1].function} still raises NotImplementedError.")
    if isinstance(exc, SystemExit):
        return Verdict(FAILED, f"Your code called sys.exit({exc.code!r}); a function must return its "
                       "result, not end the program." + _where(exc, student_file))
    if student_frames(exc.__traceback__, student_file):
        return Verdict(FAILED, f"Your code raised {describe_exception(exc)}." + _where(exc, student_file))
    if when == "call" and isinstance(exc, AssertionError):
        return Verdict(FAILED, str(exc))
    return Verdict(ERROR, f"The grader could not run this check ({describe_exception(exc)}). "
                   "This is a problem in the grader, not in your code: please report it.")
