"""The work of a batch: one job per student and exercise, carrying the files the grader will see.

A job holds the bytes of the submission's files (the same selection a grading workspace copies), so
that it can be graded in another process or on another machine, and so that its content hash says
exactly what was graded: a job is graded again only when that hash, the grader's version or the
exercise's catalog hash changed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader.batch.discover import Student, find_exercise_file
from grader.catalog import Exercise
from grader.messages import Message, msg
from grader.report import NOT_SUBMITTED, UNREADABLE
from grader.sandbox import SUBMISSION_FILE_MAX_BYTES, SUBMISSION_FILE_SUFFIXES


@dataclass(frozen=True)
class Job:
    """Grade one exercise of one student; or, with `reason`, record it as not gradable.

    With `open_checks`, only those checks are graded again (a retry of checks that were not
    measurable), and their verdicts replace those of `previous`."""

    student: str
    exercise: str
    content_hash: str
    catalog_hash: str
    files: tuple[tuple[str, bytes], ...] = ()
    reason: str = ""  # NOT_SUBMITTED or UNREADABLE: nothing to grade
    message: Message | None = None  # for the student, with `reason`
    timing: bool = False  # it runs a check that measures time: nothing may run beside it
    open_checks: tuple[str, ...] = ()
    previous: dict | None = None  # with `open_checks`: the result they are retried in
    only: tuple[str, ...] = ()  # grade just these checks: one part of a job split around its timing checks
    hung: str = ""  # the functions that hung in the job's other part (`Hangs.to_arg`)

    @property
    def key(self) -> tuple[str, str]:
        return self.student, self.exercise

    @property
    def gradable(self) -> bool:
        return not self.reason


def _digest(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def catalog_hash(exercise: Exercise) -> str:
    """A hash of what grades the exercise: its catalog entry and its check module."""
    yaml_file = exercise.check_module.with_suffix(".yaml")
    return _digest([yaml_file.read_bytes(), exercise.check_module.read_bytes()])


def submission_files(folder: Path) -> tuple[tuple[str, bytes], ...]:
    """The files of `folder` a grading workspace copies (its top level, the grader's suffixes and
    size cap), by name."""
    return tuple((path.name, path.read_bytes()) for path in sorted(folder.iterdir())
                 if path.is_file() and path.suffix in SUBMISSION_FILE_SUFFIXES
                 and path.stat().st_size <= SUBMISSION_FILE_MAX_BYTES)


def job_for(student: Student, exercise: Exercise, exercise_hash: str) -> Job:
    """The job of one student's exercise: its files, or the reason there is nothing to grade."""
    def not_gradable(reason: str, message: Message, content: bytes) -> Job:
        return Job(student.id, exercise.id, _digest([reason.encode(), content]), exercise_hash,
                   reason=reason, message=message)

    if student.problem:
        return not_gradable(UNREADABLE, msg("ungraded.unreadable", problem=student.problem), student.problem.encode())
    if student.root is None:
        return not_gradable(NOT_SUBMITTED, msg("ungraded.no_submission"), b"")
    found = find_exercise_file(student.root, exercise.module)
    if found is None:
        return not_gradable(NOT_SUBMITTED, msg("ungraded.no_file", module=exercise.module), b"")
    files = submission_files(found.parent)
    content = _digest([part for name, data in files for part in (name.encode(), data)])
    return Job(student.id, exercise.id, content, exercise_hash, files=files, timing=exercise.has_timing)


def plan(students: list[Student], exercises: list[Exercise]) -> list[Job]:
    """Every student's job for every exercise, student by student, in catalog order."""
    hashes = {exercise.id: catalog_hash(exercise) for exercise in exercises}
    return [job_for(student, exercise, hashes[exercise.id]) for student in students for exercise in exercises]
