"""Finding a submission's files and importing the student's module, with messages for students.

The module is imported by name from its folder (put first on `sys.path`), so that processes started
with `spawn` or `forkserver` can import it again in the children.
"""
from __future__ import annotations

import importlib
import linecache
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType

from grader.messages import Message, msg, render

PROJECT_MARKERS = ("pyproject.toml", "README.md")


class SubmissionImportError(Exception):
    """The student's file could not be imported; `message` says why, for the student."""

    def __init__(self, message: Message):
        super().__init__(render(message))
        self.message = message


def find_exercises_dir(start: Path) -> Path | None:
    """The `exercises/` folder of the project containing `start`, searching upward."""
    for folder in (start, *start.parents):
        candidate = folder / "exercises"
        if candidate.is_dir() and any(folder.joinpath(m).exists() for m in PROJECT_MARKERS):
            return candidate
    return None


@dataclass(frozen=True)
class StudentFrame:
    """A place in the student's file."""

    line: int
    function: str
    code: str

    def describe(self) -> Message:
        """Where this is, as a message: the line, the function and the code on it."""
        code = msg("where.code", code=self.code) if self.code else ""
        if self.function == "<module>":
            return msg("where.line", line=self.line, code=code)
        return msg("where.line_in_function", line=self.line, function=self.function, code=code)


def frames_message(frames: list[StudentFrame]) -> Message | str:
    """A chain of places, outermost first (`line 3, in f: g() -> line 7, in g: ...`), or ''."""
    chain: Message | str = ""
    for frame in frames:
        chain = msg("where.called", outer=chain, inner=frame.describe()) if chain else frame.describe()
    return chain


def student_frames(tb: TracebackType | None, student_file: str) -> list[StudentFrame]:
    """The frames of a traceback that lie in the student's file, outermost first."""
    frames = []
    for summary in traceback.extract_tb(tb):
        if summary.filename == student_file:
            code = (summary.line or linecache.getline(summary.filename, summary.lineno or 0)).strip()
            frames.append(StudentFrame(summary.lineno or 0, summary.name, code))
    return frames


def describe_exception(exc: BaseException, limit: int = 500) -> str:
    """`ValueError: message`, or the bare type name when there is no message (or its `__str__` fails).

    The message is cut at `limit` characters: a student's exception may carry a whole data set."""
    try:
        message = str(exc).strip()
    except Exception:  # noqa: BLE001 - a student's exception whose __str__ itself raises
        message = ""
    if len(message) > limit:
        message = message[:limit] + " ..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _describe_import_failure(exc: BaseException, path: Path) -> Message:
    if isinstance(exc, SyntaxError) and exc.filename == str(path):
        code = (exc.text or "").strip()
        return msg("import.syntax_error", file=path.name, line=exc.lineno, error=exc.msg,
                   code=msg("import.code", code=code) if code else "")
    if isinstance(exc, SystemExit):
        return msg("import.sys_exit", file=path.name, code=repr(exc.code))
    where = student_frames(exc.__traceback__, str(path))
    return msg("import.raised", file=path.name, error=describe_exception(exc),
               where=msg("where.at", place=where[-1].describe()) if where else "")


def import_student_module(path: Path) -> ModuleType:
    """Import the student's file as a top-level module named after it."""
    folder, name = str(path.parent), path.stem
    if sys.path[:1] != [folder]:
        sys.path.insert(0, folder)
    sys.modules.pop(name, None)
    try:
        return importlib.import_module(name)
    except BaseException as exc:  # noqa: BLE001 - anything the student's top level raises is reported
        # Imported here: only a grading child imports a submission, and the command starts faster.
        import pytest

        if isinstance(exc, pytest.fail.Exception):  # the check's timeout, not the student's error
            raise
        raise SubmissionImportError(_describe_import_failure(exc, path)) from None
