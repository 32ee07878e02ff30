"""Which Python grades: its version, whether it has a GIL, its default multiprocessing start method.

Every check is meant to decide the same on each supported Python (3.10 to 3.14). Two differences
are the course's business and are stated in the report instead of hidden:

- A free-threaded build (3.13t, 3.14t: `sys._is_gil_enabled()` is false) runs CPU-bound threads in
  parallel. The course is written for the standard build: exercise2's question asks why 4 threads are
  no faster than 1 there, and its answer stays the GIL. The grader grades as usual (races are real
  without the GIL, and the race checks hold), and the report says, at exercise2, that on this build
  the student's own times show threads running in parallel.
- The default start method (`fork` up to 3.13 on Linux, `forkserver` from 3.14): the multiprocessing
  checks run under each method the exercise names, whichever is the default.
"""
from __future__ import annotations

import multiprocessing
import platform
import sys
from dataclasses import asdict, dataclass

from grader.messages import Message, msg

# The exercises whose lesson depends on the GIL: on a build without it, their report carries a note.
GIL_LESSONS = ("exercise2",)


def _gil_enabled() -> bool:
    # Absent before 3.13, where every build has the GIL.
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def _default_start_method() -> str:
    # The first method listed is the platform's default; asking the default context instead would fix
    # the start method of this process as a side effect.
    return multiprocessing.get_all_start_methods()[0]


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs the checks (the grading child runs the grader's own interpreter)."""

    version: str
    implementation: str
    gil: bool
    start_method: str

    @classmethod
    def current(cls) -> "Interpreter":
        """This process's interpreter."""
        return cls(version=platform.python_version(), implementation=platform.python_implementation(),
                   gil=_gil_enabled(), start_method=_default_start_method())

    @classmethod
    def from_dict(cls, data: dict) -> "Interpreter | None":
        """The interpreter a report names, or None when the report names none."""
        try:
            return cls(str(data["version"]), str(data["implementation"]), bool(data["gil"]), str(data["start_method"]))
        except (KeyError, TypeError):
            return None

    def has_gil_note(self, exercise: str) -> bool:
        """Whether `exercise`'s report must say that this build runs threads without the GIL."""
        return not self.gil and exercise in GIL_LESSONS

    def to_dict(self) -> dict:
        return asdict(self)


def gil_note(python: dict, exercise: str) -> Message | None:
    """What an exercise's report must say about the interpreter that graded it (`Report.python`)."""
    interpreter = Interpreter.from_dict(python)
    if interpreter is None or not interpreter.has_gil_note(exercise):
        return None
    return msg("python.no_gil", exercise=exercise, version=interpreter.version)
