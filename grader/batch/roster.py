"""The roster: a CSV of the class (`id,name`), so that names reach the gradebook and students who
submitted nothing still get a row."""
from __future__ import annotations

import csv
from pathlib import Path

from grader.usage import UsageError


def read_roster(path: Path) -> dict[str, str]:
    """Student id -> name, in the roster's order. The first row is a header naming `id` and `name`."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows, columns = list(reader), set(reader.fieldnames or ())
    except OSError as problem:
        raise UsageError(f"--roster {path}: {problem.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as problem:
        raise UsageError(f"--roster {path}: not a readable CSV file ({problem})") from None
    if not {"id", "name"} <= columns:
        raise UsageError(f"--roster {path}: the first row must name the columns id and name")
    roster: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        student = (row.get("id") or "").strip()
        if not student:
            raise UsageError(f"--roster {path}: row {number} has no id")
        roster[student] = (row.get("name") or "").strip()
    return roster
