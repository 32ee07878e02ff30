"""Writers turn a `Report` (plain data) into text for people or files for tools.

Each writer is a function `write(report) -> str`; `WRITERS` maps a `--format` name to it.
"""
from __future__ import annotations

from typing import Callable

from grader.report import Report
from grader.writers import classroom, gradescope, json_report, text

WRITERS: dict[str, Callable[[Report], str]] = {
    "text": text.write,
    "json": json_report.write,
    "gradescope": gradescope.write,
    "classroom": classroom.write,
}
