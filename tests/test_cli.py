"""The `grade` command end to end: reference solutions, stubs, usage errors, report formats."""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, run_grade
from grader import cli

CHECK_KEYS = {"name", "target", "status", "points", "max_points", "visibility", "feedback", "reason", "duration_s",
              "details", "message"}


def test_reference_solution_earns_full_marks_in_json():
    graded = run_grade("1", "--path", "solutions", "--format", "json", "--include-hidden")
    assert graded.exit_code == 0, graded.stdout + graded.stderr
    report = graded.report
    assert report["score"] == report["max_score"] > 0
    assert all(c["status"] == "passed" for c in report["exercises"][0]["checks"])


def test_json_report_has_the_documented_shape():
    report = run_grade("exercise1", "--path", "solutions", "--format", "json").report
    assert set(report) == {"version", "score", "max_score", "status", "sandbox", "python", "exercises"}
    assert report["python"]["gil"] is True and report["python"]["version"].startswith("3.")
    assert "reaper" in report["sandbox"]["active"]
    exercise = report["exercises"][0]
    assert set(exercise) == {"exercise", "title", "score", "max_score", "status", "checks"}
    assert exercise["exercise"] == "exercise1"
    for check in exercise["checks"]:
        assert set(check) == CHECK_KEYS
        assert check["status"] in {"passed", "failed", "error", "skipped"}
    targets = {c["target"] for c in exercise["checks"]}
    assert {"ANSWER_RACE", "count_with_lock", "count_with_queue"} <= targets


def test_hidden_checks_are_listed_but_neither_run_nor_counted():
    local = run_grade("1", "--path", "solutions", "--format", "json").report["exercises"][0]
    hidden = [c for c in local["checks"] if c["visibility"] == "hidden"]
    assert hidden and all(c["status"] == "skipped" for c in hidden)
    assert all("graded after submission" in c["feedback"] for c in hidden)
    visible_points = sum(c["max_points"] for c in local["checks"] if c["visibility"] == "visible")
    assert local["max_score"] == visible_points


def test_stub_scores_zero_with_exit_1_and_no_traceback():
    graded = run_grade("1", cwd=ROOT / "exercises")
    assert graded.exit_code == 1
    assert "Total: 0/" in graded.stdout
    assert "Not implemented yet: count_with_lock" in graded.stdout
    assert "Not answered yet: ANSWER_RACE" in graded.stdout
    assert "Traceback" not in graded.stdout + graded.stderr


@pytest.mark.parametrize("args, message", [
    (["exercise9"], "unknown exercise 'exercise9'"),
    (["1", "--path", "/nonexistent/folder"], "no such folder"),
    (["--format", "xml"], "invalid choice"),
    (["1", "--path", "solutions", "--check", "test_no_such_check"], "unknown check 'test_no_such_check'"),
    (["1", "--jobs", "0"], "--jobs must be 1 or more"),
])
def test_usage_errors_exit_2_with_one_line(args, message):
    graded = run_grade(*args)
    assert graded.exit_code == 2
    assert graded.stdout == ""
    assert message in graded.stderr and len(graded.stderr.strip().splitlines()) == 1


def test_folder_without_the_exercise_file_is_a_usage_error(tmp_path):
    graded = run_grade("1", "--path", str(tmp_path))
    assert graded.exit_code == 2
    assert "no file exercise1_counter_race.py" in graded.stderr


def test_empty_folder_graded_whole_is_a_usage_error(tmp_path):
    graded = run_grade("--path", str(tmp_path))
    assert graded.exit_code == 2 and "no exercise file" in graded.stderr


def test_no_project_found_is_a_usage_error(tmp_path):
    graded = run_grade("1", cwd=tmp_path)
    assert graded.exit_code == 2 and "--path" in graded.stderr


def test_output_file_receives_the_report(tmp_path):
    target = tmp_path / "report.json"
    graded = run_grade("1", "--path", "solutions", "--format", "json", "--output", str(target))
    assert graded.exit_code == 0 and graded.stdout == ""
    assert json.loads(target.read_text())["score"] > 0


def test_check_runs_only_the_checks_named_and_is_not_remembered(tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "exercise2_thread_sum.py").write_text((ROOT / "solutions" / "exercise2_thread_sum.py").read_text())
    graded = run_grade("2", "--path", str(folder), "--format", "json",
                       "--check", "test_answer_gil_names_the_gil,test_rejects_thread_count_below_one",
                       "--check", "test_partial_sums_come_back_through_a_queue")
    checks = graded.report["exercises"][0]["checks"]
    assert [c["name"] for c in checks] == ["test_answer_gil_names_the_gil", "test_partial_sums_come_back_through_a_queue",
                                           "test_rejects_thread_count_below_one"]
    assert [c["status"] for c in checks] == ["passed", "passed", "skipped"]  # the last is hidden
    assert graded.exit_code == 0
    assert not (folder / ".grade-cache.json").exists()


def test_jobs_is_how_many_grading_children_run_at_once(monkeypatch):
    class Graded(Exception):
        pass

    seen = []

    def grade_course(*args, workers=None):
        seen.append(workers)
        raise Graded

    monkeypatch.setattr(cli, "grade_course", grade_course)
    for jobs in ([], ["--jobs", "1"], ["--jobs", "3"]):
        with pytest.raises(Graded):
            cli.run(["1", "--path", str(ROOT / "solutions"), *jobs])
    assert seen == [None, 1, 3]
