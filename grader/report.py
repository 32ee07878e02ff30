"""Grading results as plain data: what every writer (text, JSON, ...) and every batch reads.

A result is built once by the runner and never depends on how it will be shown.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import grader
from grader.messages import Message, render

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
NOT_SUBMITTED = "not submitted"  # error: the submission has no file for this exercise
UNREADABLE = "unreadable submission"  # error: the submission could not be opened (a broken zip)

# A submission's status: "ok", or the reason of its most telling check, in this order. An error
# reason not listed here (a newer one) comes after the listed errors and before "not submitted".
OK = "ok"
_ERROR_ORDER = (TAMPERED, UNREADABLE, IMPORT_ERROR, TIMED_OUT, CRASHED, OUT_OF_MEMORY, EXITED, GRADER_ERROR)
_LAST_ORDER = (NOT_SUBMITTED, NOT_MEASURABLE)


# Read from the package itself, not the installed metadata: the same in a source tree, and no
# importlib.metadata on every start.
VERSION = grader.__version__


def submission_status(checks: list["CheckResult"]) -> str:
    """The status of these checks as a whole: "ok", or the one reason that best says what went wrong."""
    reasons = {c.reason for c in checks if c.status == ERROR or c.reason == NOT_MEASURABLE}
    for reason in _ERROR_ORDER:
        if reason in reasons:
            return reason
    others = sorted(reasons - set(_LAST_ORDER))
    if others:
        return others[0]
    return next((reason for reason in _LAST_ORDER if reason in reasons), OK)


def _known_fields(cls, data: dict) -> dict:
    """The entries of `data` that are fields of the dataclass `cls` (derived keys are left out)."""
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


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

    def feedback_in(self, lang: str) -> str:
        """The feedback in `lang`, rendered from its messages (`feedback` where it has none)."""
        if not self.message:
            return self.feedback
        return render([Message.from_data(part) for part in self.message], lang)

    @classmethod
    def from_dict(cls, data: dict) -> "CheckResult":
        """The check as `asdict` (and so every JSON writer) wrote it."""
        return cls(**_known_fields(cls, data))


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

    @property
    def status(self) -> str:
        """The exercise's status: "ok", or what went wrong with it as a whole (see `submission_status`)."""
        return submission_status(self.checks)

    def to_dict(self) -> dict:
        return {
            "exercise": self.exercise,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "checks": [asdict(c) for c in self.checks],
        }

    @classmethod
    def from_dict(cls, data: dict, sandbox: dict | None = None) -> "ExerciseResult":
        """The exercise as `to_dict` wrote it; scores and status are derived again from the checks."""
        return cls(exercise=data["exercise"], title=data.get("title", ""),
                   checks=[CheckResult.from_dict(c) for c in data.get("checks", [])], sandbox=sandbox or {})


@dataclass
class Report:
    """One submission's grade over the exercises that were asked for."""

    exercises: list[ExerciseResult] = field(default_factory=list)
    lang: str = "en"  # the language the feedback was rendered in, and the text writer writes
    python: dict = field(default_factory=dict)  # the interpreter that graded (`grader.interpreter`)

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

    @property
    def status(self) -> str:
        """The submission's status: "ok", or what went wrong with it as a whole (see `submission_status`)."""
        return submission_status([c for e in self.exercises for c in e.checks])

    def to_dict(self) -> dict:
        return {
            "version": VERSION,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "sandbox": self.sandbox,
            "python": self.python,
            "exercises": [e.to_dict() for e in self.exercises],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        """The report as `to_dict` (the JSON writer) wrote it."""
        sandbox = data.get("sandbox") or {}
        return cls([ExerciseResult.from_dict(e, sandbox) for e in data.get("exercises", [])],
                    python=dict(data.get("python") or {}))
