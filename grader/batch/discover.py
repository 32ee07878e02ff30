"""Finding the class under SUBMISSIONS: one folder or `.zip` per student, named by the student's id.

An exercise file may sit at the top of a student's folder or one or two folders down, as GitHub
Classroom clones and LMS exports (Moodle's `Name_12345_assignsubmission_file_/`) leave them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.batch.archive import ArchiveError, extract
from grader.messages import msg
from grader.usage import UsageError

MAX_DEPTH = 2
IGNORED_FOLDERS = {"__MACOSX", "__pycache__", ".git", ".venv", "venv", "node_modules"}


@dataclass(frozen=True)
class Student:
    """One student of the class: where their files are, or why there are none."""

    id: str
    name: str = ""
    root: Path | None = None  # None: on the roster, nothing submitted
    problem: str = ""  # why the submission could not be opened (a broken zip), for the teacher

    @property
    def submitted(self) -> bool:
        return self.root is not None or bool(self.problem)


def _ignored(path: Path) -> bool:
    return path.name.startswith(".") or path.name in IGNORED_FOLDERS


def find_exercise_file(root: Path, module: str) -> Path | None:
    """The file named `module` at the top of `root` or at most MAX_DEPTH folders down; the
    shallowest wins, then the first by path."""
    level = [root]
    for _ in range(MAX_DEPTH + 1):
        found = sorted(folder / module for folder in level if (folder / module).is_file())
        if found:
            return found[0]
        level = sorted(child for folder in level for child in folder.iterdir()
                       if child.is_dir() and not child.is_symlink() and not _ignored(child))
    return None


def _open_zip(archive: Path, unpack_to: Path) -> Student:
    folder = unpack_to / archive.name
    folder.mkdir(parents=True)
    try:
        extract(archive, folder)
    except ArchiveError as problem:
        return Student(archive.stem, problem=f"{archive.name} could not be opened: {problem}")
    return Student(archive.stem, root=folder)


def discover(submissions: Path, unpack_to: Path, roster: dict[str, str] | None = None) -> list[Student]:
    """Every student under `submissions` (zips unpacked under `unpack_to`) and every student of the
    roster, sorted by id."""
    if not submissions.is_dir():
        raise UsageError(msg("usage.batch.no_submissions", path=submissions))
    found: dict[str, Student] = {}
    for entry in sorted(submissions.iterdir()):
        if _ignored(entry) or entry.is_symlink():
            continue
        if entry.is_dir():
            student = Student(entry.name, root=entry)
        elif entry.suffix.lower() == ".zip":
            student = _open_zip(entry, unpack_to)
        else:
            continue
        if student.id in found:
            raise UsageError(msg("usage.batch.two_submissions", path=submissions, student=student.id))
        found[student.id] = student
    roster = roster or {}
    for student_id, name in roster.items():
        known = found.get(student_id, Student(student_id))
        found[student_id] = Student(student_id, name, known.root, known.problem)
    return [found[key] for key in sorted(found)]
