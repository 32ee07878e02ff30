"""Entry point of a grading child: runs one exercise's checks under pytest and exits.

Started by the runner's keeper (`python -c "from grader.worker import main; main()"`) with two
pipes inherited: the event pipe, and the pipe holding the run's secret, which it reads and closes
before anything of the student's is imported. It never returns to the caller: it ends with
`os._exit`, so threads the student left running cannot keep it alive once the checks are done.
"""
from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import sys

import pytest

from grader.catalog import CHECKS_DIR
from grader.events import EventChannel, EventWriter, read_secret

STACK_DUMP_SIGNAL = signal.SIGUSR1


def pytest_args(exercise_id: str, submission: str, checks: list[str], hung: str = "",
                beside: bool = False) -> list[str]:
    """The pytest command line for one run, isolated from any pytest configuration of the student."""
    return [
        str(CHECKS_DIR / f"{exercise_id}.py"),
        "-c", str(CHECKS_DIR.parent / "pytest.ini"),
        "--rootdir", str(CHECKS_DIR),
        "--noconftest",
        "-p", "no:cacheprovider",
        # Start-up time on every grading: the checks use no bare assert, doctests or unittest classes.
        "--assert=plain", "-p", "no:doctest", "-p", "no:unittest", "-p", "no:junitxml", "-p", "no:pastebin",
        "-p", "no:stepwise", "-p", "no:legacypath",
        "-p", "pytest_timeout",
        "-p", "grader.plugin",
        "-p", "grader.fixtures",
        "-q", "--no-header", "-rN", "--tb=no",
        "--grader-exercise", exercise_id,
        "--grader-submission", submission,
        "--grader-checks", ",".join(checks),
        "--grader-hung", hung,
        *(["--grader-beside"] if beside else []),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.worker")
    parser.add_argument("--exercise", required=True)
    parser.add_argument("--submission", required=True)
    parser.add_argument("--checks", default="")
    parser.add_argument("--hung", default="")
    parser.add_argument("--beside", action="store_true")
    parser.add_argument("--events-fd", type=int, required=True)
    parser.add_argument("--secret-fd", type=int, required=True)
    args = parser.parse_args(argv)
    channel = EventChannel(EventWriter(args.events_fd, read_secret(args.secret_fd)))
    # pytest's capture replaces fd 2 while a check runs: the dump goes to a copy of the real stderr,
    # which the runner reads after killing a hung child.
    dump_file = os.fdopen(os.dup(2), "w")
    faulthandler.register(STACK_DUMP_SIGNAL, file=dump_file, all_threads=True)
    checks = [name for name in args.checks.split(",") if name]
    code = pytest.main(pytest_args(args.exercise, args.submission, checks, args.hung, args.beside), plugins=[channel])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


if __name__ == "__main__":
    main()
