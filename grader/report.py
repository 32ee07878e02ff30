"""Grading results as plain data: what every writer (text, JSON, ...) and every batch reads.

A result is built once by the runner and never depends on how it will be shown.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"

# Why a check ended as it did, beyond its status; "" when the status says it all. Decisions (a retry
# of a not-measurable check, a test that tells a student's mistake from a grader bug) read these
# fields, never the feedback text.
NO_CONCURRENT_WORK = "no concurrent work"  # failed: the function did not do the exercise's concurrent work
TIMED_OUT, CRASHED, EXITED = "timed out", "crashed", "exited"
IMPORT_ERROR, GRADER_ERROR = "import error", "grader error"
TAMPERED = "tampered"  # error: the submission tried to forge a verdict or switch off the grader
HIDDEN, NOT_MEASURABLE, DEPENDENCY_MISSING = "hidden", "not measurable", "dependency missing"
OUT_OF_MEMORY = "out of memory"  # the memory limit stopped the student's code (MemoryError, or killed)


@dataclass
class CheckResult:
    """The verdict on one check. Skipped checks count in neither score nor max score."""

    name: str
    target: str
    status: str
    points: float
    max_points: float
    visibility: str
    feedback: str = ""
    reason: str = ""
    duration_s: float = 0.0
    details: dict = field(default_factory=dict)
    # The feedback as data: a list of messages ({"key": ..., "values": {...}}, see grader.messages),
    # for a reader that renders its own text; `feedback` is their text in the language of the run.
    message: list = field(default_factory=list)

    @property
    def counts(self) -> bool:
        return self.status != SKIPPED


@dataclass
class ExerciseResult:
    """All the verdicts on one exercise of one submission."""

    exercise: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    sandbox: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks if c.counts)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks if c.counts)

    def to_dict(self) -> dict:
        return {
            "exercise": self.exercise,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "checks": [asdict(c) for c in self.checks],
        }


@dataclass
class Report:
    """One submission's grade over the exercises that were asked for."""

    exercises: list[ExerciseResult] = field(default_factory=list)
    lang: str = "en"  # the language the feedback was rendered in, and the text writer writes

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    @property
    def full_marks(self) -> bool:
        return self.score >= self.max_score

    @property
    def sandbox(self) -> dict:
        """The confinement layers that were active ({name: what}) and those skipped ({name: why})."""
        return next((e.sandbox for e in self.exercises if e.sandbox), {})

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "sandbox": self.sandbox,
            "exercises": [e.to_dict() for e in self.exercises],
        }
