"""The student's progress between runs: the last verdicts of each exercise and the hint levels
reached, kept in `.grade-cache.json` in the exercises folder.

Every `grade` run records its verdicts here, so that `grade list` and `grade hint` answer at once,
without grading again. The file is only a convenience: a missing, unreadable or malformed one reads
as "nothing graded yet", and it is replaced atomically so that an interrupted write never leaves half
a file behind.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader.report import Report

CACHE_NAME = ".grade-cache.json"
VERSION = 1


@dataclass
class LastRun:
    """One exercise's verdicts in its last run: each check's status and reason, in catalog order."""

    score: float
    max_score: float
    graded_at: str
    checks: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def full_marks(self) -> bool:
        return self.score >= self.max_score


@dataclass
class HintLevel:
    """The check whose hints a student asked for, and the last level shown."""

    check: str
    level: int


@dataclass
class Progress:
    """Everything remembered for one exercises folder."""

    runs: dict[str, LastRun] = field(default_factory=dict)
    hints: dict[str, HintLevel] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"version": VERSION,
                "runs": {k: asdict(v) for k, v in self.runs.items()},
                "hints": {k: asdict(v) for k, v in self.hints.items()}}

    @classmethod
    def from_dict(cls, raw: dict) -> "Progress":
        if raw.get("version") != VERSION:
            return cls()
        return cls(runs={k: LastRun(**v) for k, v in raw.get("runs", {}).items()},
                   hints={k: HintLevel(**v) for k, v in raw.get("hints", {}).items()})


def cache_path(submission_dir: Path) -> Path:
    return submission_dir / CACHE_NAME


def load(submission_dir: Path) -> Progress:
    """What was remembered for `submission_dir`; nothing when there is no readable cache."""
    try:
        return Progress.from_dict(json.loads(cache_path(submission_dir).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError):
        return Progress()


def save(submission_dir: Path, progress: Progress) -> None:
    """Write the cache atomically; a folder that cannot be written is left as it is."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=".grade-cache-", dir=submission_dir)
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(progress.to_dict(), stream, ensure_ascii=False, indent=1)
        os.replace(temporary, cache_path(submission_dir))
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def record(submission_dir: Path, report: Report) -> None:
    """Remember the verdicts of every exercise in `report` as its last run."""
    progress = load(submission_dir)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for result in report.exercises:
        progress.runs[result.exercise] = LastRun(
            score=result.score, max_score=result.max_score, graded_at=now,
            checks={c.name: {"status": c.status, "reason": c.reason} for c in result.checks})
    save(submission_dir, progress)
