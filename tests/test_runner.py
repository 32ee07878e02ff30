"""Submissions that break the grading run: import failures, hangs, exits, fake output.

Each is graded through the real `grade` command; the run must finish, keep the verdicts it could give,
and say what happened, never with a traceback from the grader."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_grade, submission_with

SUBMISSIONS = Path(__file__).parent / "submissions" / "exercise1"
MODULE = "exercise1_counter_race.py"
QUEUE_CHECK = "test_count_with_queue_workers_are_daemons"


@pytest.fixture
def grade_file(tmp_path):
    def grade(name: str, *extra: str):
        folder = submission_with(tmp_path, MODULE, SUBMISSIONS / name)
        return run_grade("1", "--path", str(folder), "--format", "json", *extra)
    return grade


def test_syntax_error_is_reported_on_every_check_with_its_line(grade_file):
    graded = grade_file("syntax_error.py")
    assert graded.exit_code == 1
    for check in graded.report["exercises"][0]["checks"]:
        if check["status"] != "skipped":
            assert check["status"] == "error"
            assert "syntax error on line 5" in check["feedback"]


def test_exception_at_import_names_it(grade_file):
    checks = grade_file("raises_at_import.py").report["exercises"][0]["checks"]
    assert all("raised KeyError: 'threads'" in c["feedback"] for c in checks if c["status"] != "skipped")


def test_exit_at_import_errors_every_check_without_retrying_forever(grade_file):
    graded = grade_file("exits_at_import.py")
    assert graded.exit_code == 1
    checks = [c for c in graded.report["exercises"][0]["checks"] if c["status"] != "skipped"]
    assert all(c["status"] == "error" and "being imported" in c["feedback"] for c in checks)


def test_missing_function_fails_its_checks_and_the_rest_are_graded(grade_file):
    statuses = grade_file("missing_queue_function.py").statuses()
    assert statuses["test_count_with_queue_returns_n_threads"] == "failed"
    assert statuses["test_count_with_lock_returns_every_increment"] == "passed"


def test_a_hanging_check_times_out_and_the_others_finish(grade_file):
    graded = grade_file("hangs_in_queue.py")
    check = graded.check(QUEUE_CHECK)
    assert check["status"] == "error" and check["feedback"].startswith("Timed out")
    assert "count_with_queue" in check["feedback"]
    others = {n: s for n, s in graded.statuses().items() if n != QUEUE_CHECK and s != "skipped"}
    assert set(others.values()) == {"passed"}


def test_a_hang_that_blocks_the_alarm_is_killed_and_the_run_resumes(grade_file):
    graded = grade_file("ignores_alarm_and_hangs.py")
    check = graded.check(QUEUE_CHECK)
    assert check["status"] == "error"
    assert "killed" in check["feedback"] and "count_with_queue" in check["feedback"]
    assert graded.statuses()["test_count_with_queue_does_not_busy_wait"] == "passed"


def test_an_exit_mid_check_is_reported_and_the_run_resumes(grade_file):
    graded = grade_file("exits_mid_check.py")
    check = graded.check(QUEUE_CHECK)
    assert check["status"] == "error" and "exit status 3" in check["feedback"]
    assert graded.statuses()["test_count_with_queue_does_not_busy_wait"] == "passed"


def test_printed_output_never_reaches_the_json_report(grade_file):
    graded = grade_file("prints_fake_report.py")
    assert graded.exit_code == 0
    assert graded.report["score"] == graded.report["max_score"] < 100
