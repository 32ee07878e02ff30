"""The grader's own bytecode, written by the process that starts grading children.

Grading children run as an unprivileged user who cannot write into the grader's folder, so where
its bytecode is missing (an editable install, a checkout, `PYTHONDONTWRITEBYTECODE`) every child
compiles the grader's modules again: a batch of 20 students spent 30 s of CPU on it (255 s in
all), and a batch starts a child per exercise and share of checks.
`pip install .` writes it at install time; this covers the other ways the grader is run.
"""
from __future__ import annotations

import compileall
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@functools.cache
def ensure_compiled() -> None:
    """Write the bytecode of the grader's modules that lack it or are stale, once per process; where
    the folder is read-only (an installed copy, already compiled by pip) nothing is written."""
    # quiet=2: a read-only folder is not an error worth a word, and compiling is only a saving.
    compileall.compile_dir(PACKAGE, quiet=2)
