"""results.jsonl: one whole line per grading, appended as it finishes, read back to resume.

A line is the exercise object of `grade --format json` plus who and what was graded (`student`,
`content_hash`, `catalog_hash`, `version`), when (`graded_at`) and how (`grading`: a whole
grading, a retry of its open checks, or a submission with nothing to grade). The last line of a
student and exercise is the one in force. A line is written with one `write` on a file opened for
appending and synced, so a killed batch leaves whole lines; a torn last line (a power cut) is
ignored when reading and cut off before a batch appends again.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader.report import VERSION, ExerciseResult
from grader.usage import UsageError

GRADED, RETRIED, NOT_GRADED = "graded", "retried", "not graded"


@dataclass
class Record:
    """One line of results.jsonl: a result and what it is the result of."""

    student: str
    result: ExerciseResult
    content_hash: str
    catalog_hash: str
    grading: str = GRADED
    version: str = VERSION
    graded_at: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.student, self.result.exercise

    def to_line(self) -> str:
        data = self.result.to_dict() | {"student": self.student, "content_hash": self.content_hash,
                                        "catalog_hash": self.catalog_hash, "version": self.version,
                                        "graded_at": self.graded_at or _now(), "grading": self.grading}
        return json.dumps(data, ensure_ascii=False) + "\n"

    @classmethod
    def from_line(cls, line: str) -> "Record":
        data = json.loads(line)
        return cls(student=data["student"], result=ExerciseResult.from_dict(data),
                   content_hash=data["content_hash"], catalog_hash=data["catalog_hash"],
                   grading=data.get("grading", GRADED), version=data["version"], graded_at=data["graded_at"])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """The results.jsonl of one batch folder."""

    def __init__(self, path: Path):
        self.path = path

    def _whole_lines(self) -> bytes:
        data = self.path.read_bytes() if self.path.exists() else b""
        return data[:data.rfind(b"\n") + 1]

    def repair(self) -> None:
        """Cut a torn last line (a power cut while writing) off the file, before appending to it."""
        if self.path.exists() and self.path.stat().st_size != len(whole := self._whole_lines()):
            with self.path.open("r+b") as handle:
                handle.truncate(len(whole))

    def load(self) -> list[Record]:
        """Every whole line, in the order written (a torn last line is left out)."""
        whole = self._whole_lines()
        records = []
        for number, line in enumerate(whole.decode("utf-8", errors="replace").splitlines(), start=1):
            try:
                records.append(Record.from_line(line))
            except (ValueError, KeyError, TypeError) as problem:
                raise UsageError(f"{self.path}: line {number} is not a result line ({problem}); "
                                 "move the file away to start the batch afresh") from None
        return records

    def append(self, record: Record) -> None:
        """Write `record` as one whole line, synced to disk before returning."""
        line = record.to_line().encode("utf-8")
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = 0
            while written < len(line):
                written += os.write(descriptor, line[written:])
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def latest(records: list[Record]) -> dict[tuple[str, str], Record]:
    """The record in force for each student and exercise: the last one written."""
    return {record.key: record for record in records}
