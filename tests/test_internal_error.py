"""A failure of pytest or of the grader's own hooks in a grading child is the grader's bug: it shows
as a grader error on the check it followed, never as that check's verdict or as the student's exit."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from grader import runner
from grader.catalog import load_catalog
from grader.events import INTERNAL_ERROR, RESULT, EventReader, new_secret
from grader.report import ERROR, GRADER_ERROR, PASSED

EXERCISE = load_catalog()["exercise1"]
ANSWER, RESULT_CHECK, JOINS = (EXERCISE.check(name) for name in (
    "test_answer_race_explains_the_lost_update", "test_count_with_lock_returns_every_increment",
    "test_count_with_lock_joins_every_thread"))

# A hook that fails once the check's verdict is known: what a bug in the grader's own hooks does.
BROKEN_HOOK = '''
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    if call.when == "call":
        raise RuntimeError("a hook of the grader failed")
'''

# The grading child's entry point, with the broken hook loaded after the grader's plugin.
WORKER = '''
import sys
from grader import worker
plain = worker.pytest_args
worker.pytest_args = lambda *args: plain(*args) + ["-p", "broken_hook"]
worker.main(sys.argv[1:])
'''


def test_the_grading_child_reports_an_internal_error_naming_the_check_it_followed(tmp_path):
    (tmp_path / "broken_hook.py").write_text(BROKEN_HOOK, encoding="utf-8")
    read_fd, write_fd = os.pipe()
    secret_read, secret_write = os.pipe()
    secret = new_secret()
    os.write(secret_write, secret)
    os.close(secret_write)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", WORKER, "--exercise", EXERCISE.id, "--submission", str(ROOT / "solutions"),
         "--checks", ANSWER.name, "--events-fd", str(write_fd), "--secret-fd", str(secret_read)],
        pass_fds=(write_fd, secret_read), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    os.close(secret_read)
    data = b""
    with os.fdopen(read_fd, "rb") as events:
        for chunk in iter(lambda: events.read(65536), b""):
            data += chunk
    child.wait(timeout=60)
    reader = EventReader(secret)
    seen = [(event.kind, event.check, event.data.get("error")) for event in reader.feed(data)]
    assert not reader.problems
    assert (RESULT, ANSWER.name, None) in seen
    assert seen[-1] == (INTERNAL_ERROR, ANSWER.name, "RuntimeError: a hook of the grader failed")


def _attempts(monkeypatch, *attempts: runner.Attempt) -> None:
    left = list(attempts)
    monkeypatch.setattr(runner, "run_attempt", lambda *args, **kwargs: left.pop(0))


def test_the_check_an_internal_error_followed_is_a_grader_error_and_the_others_run_on(monkeypatch):
    passed = {"status": PASSED, "message": [], "duration_s": 0.1}
    _attempts(monkeypatch,
              runner.Attempt(results={ANSWER.name: passed}, returncode=3,
                             internal_error=(ANSWER.name, "RuntimeError: a hook of the grader failed")),
              runner.Attempt(results={RESULT_CHECK.name: passed, JOINS.name: passed}, returncode=0))
    results = runner.run_checks(EXERCISE, Path("."), [ANSWER, RESULT_CHECK, JOINS])
    assert (results[ANSWER.name].status, results[ANSWER.name].reason) == (ERROR, GRADER_ERROR)
    assert "a hook of the grader failed" in results[ANSWER.name].feedback
    assert results[ANSWER.name].points == 0
    assert {results[spec.name].status for spec in (RESULT_CHECK, JOINS)} == {PASSED}


def test_an_internal_error_before_any_check_is_a_grader_error_on_every_check(monkeypatch):
    _attempts(monkeypatch, runner.Attempt(returncode=3, internal_error=("", "KeyError: 'x'")))
    results = runner.run_checks(EXERCISE, Path("."), [ANSWER, RESULT_CHECK])
    assert {(r.status, r.reason) for r in results.values()} == {(ERROR, GRADER_ERROR)}
    assert all("KeyError: 'x'" in r.feedback for r in results.values())
