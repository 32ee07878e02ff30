"""Shared helpers for the project's tests: running the real `grade` command on a submission."""
from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """A test process grades many times, in process (`grade_here`), as a batch's worker does: what
    every grading of an exercise imports is imported once, by its fork server. A `grade` command
    run as a program (`run_grade`) grades as a student's single run does."""
    from grader import forkserver

    forkserver.expect_many_gradings()


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what will not run
def pytest_collection_modifyitems(items):
    """The tests marked `slow` dealt out to the front of each worker's share, so that a parallel run
    starts them all at once instead of ending with one worker busy on them alone.

    `--dist worksteal` (README's test command) gives each of its N workers one contiguous N-th of
    the list at the start, and a worker that runs out takes the end of another's share: a slow test
    at the front of every share starts early, wherever it is. Each group keeps its own order."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    rest = [item for item in items if item.get_closest_marker("slow") is None]
    ordered, left = [], len(items)
    for worker in range(workers):
        size = left // (workers - worker)  # the size of the share worksteal hands this worker
        dealt = slow[worker::workers]
        filled = max(0, size - len(dealt))
        ordered += dealt + rest[:filled]
        del rest[:filled]
        left -= size
    items[:] = ordered + rest


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name`, filled by `build` once per test run and shared by pytest-xdist's workers.

    A module-scoped fixture runs once per worker, and `--dist worksteal` spreads a module's tests
    over the workers: an expensive one (a whole batch) would be computed by each of them. The first
    worker to need the folder builds it under a lock; the others wait for it and read it. `build`
    must leave in the folder only what every test may read and none changes."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is a folder of the run's own; outside it, the run's base is.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def judged_by_time(spec) -> bool:
    """Whether a check's verdict rests on time, so that its tests run alone (marked `timing`): a
    timing check of kind `concurrency` (a speedup). A timing check of another kind judges a value
    (exercise2's sum); only the information it adds is timed, and its verdict is the same beside
    other work."""
    return spec.timing and spec.kind == "concurrency"


VARIANTS = Path(__file__).parent / "variants"
EXPECT_PATTERN = re.compile(r"^# expect-fail:(.*)$", re.MULTILINE)
EXPECT_ERROR_PATTERN = re.compile(r"^# expect-error:(.*)$", re.MULTILINE)
ERROR_ITEM = re.compile(r"\s*(test_\w+)\s*\(([^)]+)\)\s*")
GRADER_ERROR, NOT_MEASURABLE = "grader error", "not measurable"
FEEDBACK_PATTERN = re.compile(r"^# expect-feedback: (test_\w+): (.+)$", re.MULTILINE)
OPEN_BESIDE_PATTERN = re.compile(r"^# expect-open-beside:(.*)$", re.MULTILINE)


@dataclass
class Graded:
    """The outcome of one `grade` run."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)

    def statuses(self) -> dict[str, str]:
        return {c["name"]: c["status"] for e in self.report["exercises"] for c in e["checks"]}

    def check(self, name: str) -> dict:
        return next(c for e in self.report["exercises"] for c in e["checks"] if c["name"] == name)


# For a test run side by side with others (pytest-xdist fills the cores already): each grading in one
# child, as `grade --jobs 1` does, rather than one child per core, each paying the start-up again.
ONE_CHILD = ("--jobs", "1")


def run_grade(*args: str, cwd: Path = ROOT, timeout: float = 240, env: dict | None = None) -> Graded:
    """Run the real `grade` command (as `python -m grader`) and capture what it prints."""
    done = subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)
    return Graded(done.returncode, done.stdout, done.stderr)


def grade_here(*args: str) -> Graded:
    """Run `grade` through its own entry point (`grader.cli.main`) in this test process, and capture
    what it writes.

    The submission is graded in grading children exactly as from the command line. What this saves is
    two new interpreters per grading: the command's own, and its fork server's, which here outlives
    the call and serves this test process's next grading (about 0.3 s of CPU each). The tests of the
    command as a program (its exit codes, environment and start-up) use `run_grade`."""
    from grader import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return Graded(code, out.getvalue(), err.getvalue())


def submission_with(tmp_path: Path, module: str, source: Path) -> Path:
    """A submission folder holding `source` under the exercise's file name."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    shutil.copy(source, folder / module)
    return folder


def _names_on(pattern: re.Pattern, variant: Path) -> set[str]:
    match = pattern.search(variant.read_text(encoding="utf-8"))
    return {name.strip() for name in match.group(1).split(",") if name.strip()} if match else set()


def expected_failures(variant: Path) -> set[str]:
    """The checks a variant declares it must fail, from its `# expect-fail: a, b` line."""
    return _names_on(EXPECT_PATTERN, variant)


def expected_open_beside(variant: Path) -> set[str]:
    """The checks a variant declares can judge it only alone, from its `# expect-open-beside: a`
    line: graded beside other work they must end not measurable, and alone as declared."""
    return _names_on(OPEN_BESIDE_PATTERN, variant)


def expected_errors(variant: Path) -> dict[str, str]:
    """The checks a variant declares must end in an error, with the reason, from its
    `# expect-error: test_a (timed out), test_b (timed out)` line."""
    match = EXPECT_ERROR_PATTERN.search(variant.read_text(encoding="utf-8"))
    if not match:
        return {}
    items = [item for item in match.group(1).split(",") if item.strip()]
    parsed = [ERROR_ITEM.fullmatch(item) for item in items]
    assert all(parsed), f"{variant.name}: malformed # expect-error line: {match.group(1)!r}"
    return {m.group(1): m.group(2).strip() for m in parsed}


@dataclass(frozen=True)
class Declared:
    """What a submission must get: the checks that fail, those that end in an error (with the
    reason), and every other check passes (or, for a timing check, is not measurable). Graded beside
    other work, the checks `open_beside` must be not measurable instead."""

    failed: frozenset[str] = frozenset()
    errors: tuple[tuple[str, str], ...] = ()
    open_beside: frozenset[str] = frozenset()

    @classmethod
    def of(cls, variant: Path) -> "Declared":
        return cls(frozenset(expected_failures(variant)), tuple(sorted(expected_errors(variant).items())),
                   frozenset(expected_open_beside(variant)))


def wrong_verdicts(checks: list[dict], declared: Declared, known: set[str] | None = None,
                   beside: bool = False) -> list[str]:
    """Every check whose verdict differs from the declaration, as a line saying how. A check that
    ends in the grader's own error is always wrong, whatever was declared. A declared check must be
    one of `known` (default: the checks graded): a run of some checks leaves the others out.
    `beside`: the checks were graded with other work beside them."""
    errors = dict(declared.errors)
    wrong = []
    for check in checks:
        name, status, reason = check["name"], check["status"], check.get("reason", "")
        said = f"{name}: {status}" + (f" ({reason})" if reason else "") + f": {check['feedback'][:400]}"
        if reason == GRADER_ERROR:
            wrong.append(f"grader error in {said}")
        elif beside and name in declared.open_beside:
            if reason != NOT_MEASURABLE:
                wrong.append(f"declared open beside other work, got {said}")
        elif name in declared.failed:
            if status != "failed":
                wrong.append(f"declared failed, got {said}")
        elif name in errors:
            if status != "error" or reason != errors[name]:
                wrong.append(f"declared error ({errors[name]}), got {said}")
        elif status != "passed" and reason != NOT_MEASURABLE:
            wrong.append(f"declared passed, got {said}")
    names = known if known is not None else {c["name"] for c in checks}
    declared_names = set(declared.failed) | set(errors) | set(declared.open_beside)
    wrong += [f"declared check {n} does not exist" for n in declared_names - names]
    return wrong


def expected_feedback(variant: Path) -> list[tuple[str, str]]:
    """(check, phrase) pairs from `# expect-feedback: check: phrase` lines: the phrase must appear in
    that check's feedback."""
    return FEEDBACK_PATTERN.findall(variant.read_text(encoding="utf-8"))


def variants(exercise: str) -> list[Path]:
    """The realistic student submissions kept for an exercise under tests/variants/."""
    return sorted((VARIANTS / exercise).glob("*.py"))
