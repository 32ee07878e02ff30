"""Turning what happened in a check (an exception, or none) into a status and the messages that explain it."""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import pytest
import pytest_timeout

from grader.feedback import DependencyMissing, Feedback, NotMeasurable
from grader.messages import Message, msg, render
from grader.probes.threads import crashes_seen
from grader.report import (DEPENDENCY_MISSING, ERROR, FAILED, GRADER_ERROR, IMPORT_ERROR, NOT_MEASURABLE,
                           OUT_OF_MEMORY, PASSED, SKIPPED, TIMED_OUT)
from grader.submission import SubmissionImportError, describe_exception, frames_message, student_frames


@dataclass
class Verdict:
    """A status, the messages that explain it, why (a reason field), and whether the check's
    catalog hint is about this failure."""

    status: str
    message: list[Message] = field(default_factory=list)
    reason: str = ""
    catalog_hint: bool = False

    @property
    def feedback(self) -> str:
        """The messages as English text."""
        return render(self.message)


class StudentInterrupt(Exception):
    """The student's code raised a BaseException that is not an Exception (KeyboardInterrupt, a
    subclass of BaseException): carried as an ordinary exception so that pytest does not stop the run."""

    def __init__(self, original: BaseException):
        super().__init__(describe_exception(original))
        self.original = original


# Errors the standard library raises when threads, processes or pools are misused, each with the
# cause a student should look for first. (exception type, start of its message, the cause's message)
KNOWN_CAUSES = (
    (RuntimeError, "cannot join thread before it is started", msg("cause.thread_joined_before_start")),
    (RuntimeError, "threads can only be started once", msg("cause.thread_started_twice")),
    (AssertionError, "can only join a started process", msg("cause.process_joined_before_start")),
    (AssertionError, "cannot start a process twice", msg("cause.process_started_twice")),
    (ValueError, "Pool not running", msg("cause.pool_not_running")),
)


def _known_cause(exc: BaseException) -> Message | None:
    for kind, message, cause in KNOWN_CAUSES:
        if isinstance(exc, kind) and describe_exception(exc).removeprefix(f"{kind.__name__}: ").startswith(message):
            return cause
    return None


def is_timeout(exc: BaseException) -> bool:
    """Whether `exc` is pytest-timeout stopping a check (raised from its signal handler)."""
    if not isinstance(exc, pytest.fail.Exception):
        return False
    return any(frame.filename == pytest_timeout.__file__ for frame in traceback.extract_tb(exc.__traceback__))


def _where(exc: BaseException, student_file: str) -> Message | str:
    frames = student_frames(exc.__traceback__, student_file)
    return msg("where.in_your_code", frames=frames_message(frames[-3:])) if frames else ""


def _student_raised(exc: BaseException, student_file: str) -> Verdict:
    original = exc.original if isinstance(exc, StudentInterrupt) else exc
    where = _where(original, student_file) or _where(exc, student_file)
    raised = msg("verdict.your_code_raised", error=describe_exception(original), where=where)
    if isinstance(original, MemoryError):
        return Verdict(FAILED, [msg("verdict.out_of_memory", error=describe_exception(original), where=where)],
                       OUT_OF_MEMORY)
    cause = _known_cause(original)
    return Verdict(FAILED, [cause, raised] if cause else [raised])


def _thread_died_meanwhile(student_file: str) -> list[Message]:
    """A thread of the student's that died of an exception during the check: often why it waited."""
    for name, error in crashes_seen():
        if error is not None and student_frames(error.__traceback__, student_file):
            return [msg("verdict.thread_died_meanwhile", thread=name, error=describe_exception(error),
                        where=_where(error, student_file))]
    return []


def _timed_out(exc: BaseException, student_file: str, timeout: float, after_hang: tuple[str, str] | None) -> Verdict:
    where = _where(exc, student_file)
    if after_hang is None:
        stopped = msg("verdict.timed_out", seconds=timeout, where=where)
    else:
        function, check = after_hang
        stopped = msg("verdict.timed_out_again", seconds=timeout, function=function, check=check, where=where)
    return Verdict(ERROR, [stopped, *_thread_died_meanwhile(student_file)], TIMED_OUT)


def classify(exc: BaseException | None, when: str, student_file: str, timeout: float,
             after_hang: tuple[str, str] | None = None) -> Verdict:
    """The verdict for a check phase (`setup`, `call`, `teardown`) that raised `exc`; `timeout` is
    how long the check was given, shortened when `after_hang` (function, check) hung before it."""
    if exc is None:
        return Verdict(PASSED)
    if isinstance(exc, Feedback):
        return Verdict(FAILED, exc.parts(), exc.reason, exc.catalog_hint)
    if isinstance(exc, NotMeasurable):
        return Verdict(SKIPPED, [msg("verdict.not_measurable", why=exc.message)], NOT_MEASURABLE)
    if isinstance(exc, DependencyMissing):
        return Verdict(SKIPPED, [exc.message], DEPENDENCY_MISSING)
    if isinstance(exc, pytest.skip.Exception):
        return Verdict(SKIPPED, [msg("verdict.dependency_missing", why=str(exc))], DEPENDENCY_MISSING)
    if isinstance(exc, SubmissionImportError):
        return Verdict(ERROR, [exc.message], IMPORT_ERROR)
    if is_timeout(exc):
        return _timed_out(exc, student_file, timeout, after_hang)
    if isinstance(exc, NotImplementedError) and student_frames(exc.__traceback__, student_file):
        frames = student_frames(exc.__traceback__, student_file)
        return Verdict(FAILED, [msg("verdict.not_implemented", function=frames[-1].function)])
    if isinstance(exc, SystemExit):
        return Verdict(FAILED, [msg("verdict.sys_exit", code=repr(exc.code), where=_where(exc, student_file))])
    if isinstance(exc, StudentInterrupt) or student_frames(exc.__traceback__, student_file):
        return _student_raised(exc, student_file)
    if when == "call" and isinstance(exc, AssertionError):
        return Verdict(FAILED, [msg("verdict.assertion", text=str(exc))])
    return Verdict(ERROR, [msg("verdict.grader_error", error=describe_exception(exc))], GRADER_ERROR)
