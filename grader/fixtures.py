"""pytest fixtures shared by the check modules of the multiprocessing exercises.

Loaded into every grading run beside the plugin (`-p grader.fixtures`).
"""
from __future__ import annotations

import multiprocessing
from contextlib import contextmanager
from typing import Iterator

import pytest

from grader.probes.mpcall import call_watched

START_METHODS = ("fork", "spawn")


@contextmanager
def using_start_method(method: str) -> Iterator[str]:
    """Make `method` the multiprocessing start method for the block, then restore the previous one."""
    previous = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method(method, force=True)
    try:
        yield method
    finally:
        multiprocessing.set_start_method(previous, force=True)


@pytest.fixture(params=START_METHODS)
def start_method(request) -> Iterator[str]:
    """Run the check once per start method: what works only because a forked child inherits the
    parent's memory fails under spawn."""
    with using_start_method(request.param) as method:
        yield method


@pytest.fixture
def fork() -> Iterator[str]:
    """Run the check's calls under `fork`, for checks about pool use, which no start method changes."""
    with using_start_method("fork") as method:
        yield method


@pytest.fixture
def watched(request, student_file):
    """Call a student's function under the process and pool probes: `watched("f(3)", f, 3)`."""
    def run(description, function, *args, **kwargs):
        return call_watched(request, str(student_file), description, function, *args, **kwargs)
    return run
