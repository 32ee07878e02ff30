"""Submissions that break the grading run: import failures, hangs, exits, fake output.

Each is graded through the real `grade` command; the run must finish, keep the verdicts it could give,
and say what happened, never with a traceback from the grader."""
from __future__ import annotations

import pytest

from conftest import ROOT, run_grade

REFERENCE = (ROOT / "solutions" / "exercise1_counter_race.py").read_text(encoding="utf-8")
MODULE = "exercise1_counter_race.py"
QUEUE_CHECK = "test_count_with_queue_workers_are_daemons"
QUEUE_RETURN = "    printing_queue.join()\n    return counter.value\n"


def _before_queue_returns(code: str) -> str:
    """The reference solution, with `code` run by count_with_queue(4) just before it returns."""
    indented = "".join(f"        {line}\n" for line in code.splitlines())
    return REFERENCE.replace(QUEUE_RETURN, f"    printing_queue.join()\n    if n_threads == 4:\n{indented}"
                                           "    return counter.value\n")


HOSTILE = {
    "syntax_error": 'import threading\n\nANSWER_RACE = "b"\n\ndef count_with_lock(n_threads=10, increments=1)\n'
                    '    return 0\n',
    "raises_at_import": REFERENCE + '\nsettings = {}\nTHREADS = settings["threads"]\n',
    "exits_at_import": REFERENCE + "\nimport os\nos._exit(0)\n",
    "missing_queue_function": REFERENCE.replace("def count_with_queue(", "def count_with_queues("),
    "hangs_in_queue": _before_queue_returns("threading.Event().wait()"),
    "ignores_alarm_and_hangs": _before_queue_returns(
        "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\nthreading.Event().wait()"),
    "exits_mid_check": _before_queue_returns("import os\nos._exit(3)"),
    "prints_fake_report": REFERENCE.replace(
        'ANSWER_RACE = "b"', 'ANSWER_RACE = "b"\nprint(\'{"score": 100, "max_score": 100, "exercises": []}\')'),
}


def test_every_hostile_submission_really_changes_the_reference():
    assert all(source != REFERENCE for source in HOSTILE.values())


@pytest.fixture
def grade_file(tmp_path):
    def grade(name: str, *extra: str):
        folder = tmp_path / "submission"
        folder.mkdir()
        (folder / MODULE).write_text(HOSTILE[name], encoding="utf-8")
        return run_grade("1", "--path", str(folder), "--format", "json", *extra)
    return grade


def test_syntax_error_is_reported_on_every_check_with_its_line(grade_file):
    graded = grade_file("syntax_error")
    assert graded.exit_code == 1
    for check in graded.report["exercises"][0]["checks"]:
        if check["status"] != "skipped":
            assert (check["status"], check["reason"]) == ("error", "import error")
            assert "syntax error on line 5" in check["feedback"]


def test_exception_at_import_names_it(grade_file):
    checks = grade_file("raises_at_import").report["exercises"][0]["checks"]
    assert all("raised KeyError: 'threads'" in c["feedback"] for c in checks if c["status"] != "skipped")


def test_exit_at_import_errors_every_check_without_retrying_forever(grade_file):
    graded = grade_file("exits_at_import")
    assert graded.exit_code == 1
    checks = [c for c in graded.report["exercises"][0]["checks"] if c["status"] != "skipped"]
    assert all(c["status"] == "error" and "being imported" in c["feedback"] for c in checks)
    assert {c["reason"] for c in checks} == {"exited"}


def test_missing_function_fails_its_checks_and_the_rest_are_graded(grade_file):
    statuses = grade_file("missing_queue_function").statuses()
    assert statuses["test_count_with_queue_returns_n_threads"] == "failed"
    assert statuses["test_count_with_lock_returns_every_increment"] == "passed"


@pytest.mark.slow
def test_a_hanging_check_times_out_and_the_others_finish(grade_file):
    graded = grade_file("hangs_in_queue")
    check = graded.check(QUEUE_CHECK)
    assert (check["status"], check["reason"]) == ("error", "timed out")
    assert check["feedback"].startswith("Timed out") and "count_with_queue" in check["feedback"]
    others = {n: s for n, s in graded.statuses().items() if n != QUEUE_CHECK and s != "skipped"}
    assert set(others.values()) == {"passed"}


@pytest.mark.slow
def test_a_hang_that_blocks_the_alarm_is_killed_and_the_run_resumes(grade_file):
    graded = grade_file("ignores_alarm_and_hangs")
    check = graded.check(QUEUE_CHECK)
    assert (check["status"], check["reason"]) == ("error", "timed out")
    assert "killed" in check["feedback"] and "count_with_queue" in check["feedback"]
    assert graded.statuses()["test_count_with_queue_does_not_busy_wait"] == "passed"


def test_an_exit_mid_check_is_reported_and_the_run_resumes(grade_file):
    graded = grade_file("exits_mid_check")
    check = graded.check(QUEUE_CHECK)
    assert (check["status"], check["reason"]) == ("error", "exited")
    assert "exit status 3" in check["feedback"]
    assert graded.statuses()["test_count_with_queue_does_not_busy_wait"] == "passed"


def test_printed_output_never_reaches_the_json_report(grade_file):
    graded = grade_file("prints_fake_report")
    assert graded.exit_code == 0
    assert graded.report["score"] == graded.report["max_score"] < 100
