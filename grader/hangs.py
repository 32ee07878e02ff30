"""The student's functions that have hung in this grading, and how long later checks wait for them.

A function that hung once usually hangs again: an exercise whose queue is never drained would
otherwise cost every later check of that function its whole timeout (over a minute for one
exercise). Later checks still run, since a function may hang on one input and work on others, but
each waits only a short time for a function it calls that already hung, and says so when it stops.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from grader.catalog import CheckSpec, Exercise
from grader.report import TIMED_OUT, ExerciseResult


@dataclass
class Hangs:
    """Each student function that hung, with the check it first hung in."""

    first_in: dict[str, str] = field(default_factory=dict)

    def record(self, spec: CheckSpec) -> None:
        """`spec` timed out: the function it is about hung."""
        self.first_in.setdefault(spec.target, spec.name)

    def earlier(self, spec: CheckSpec) -> tuple[str, str] | None:
        """(function, check) when a function `spec` calls already hung in another check, else None."""
        for function in spec.calls:
            check = self.first_in.get(function)
            if check is not None:
                return function, check
        return None

    def timeout(self, spec: CheckSpec) -> float:
        """How long `spec` may run: its catalog timeout, or its short one after a hang."""
        return spec.timeout_after_hang if self.earlier(spec) else spec.timeout

    def to_arg(self) -> str:
        """The hangs as a command-line value (`function=check,...`), for a fresh grading child."""
        return ",".join(f"{function}={check}" for function, check in self.first_in.items())

    @classmethod
    def seen_in(cls, exercise: Exercise, result: ExerciseResult) -> "Hangs":
        """The hangs a finished grading of `exercise` met: its checks that timed out."""
        hangs = cls()
        for check in result.checks:
            if check.reason == TIMED_OUT:
                hangs.record(exercise.check(check.name))
        return hangs

    @classmethod
    def from_arg(cls, value: str) -> "Hangs":
        pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
        return cls({function: check for function, check in pairs})
