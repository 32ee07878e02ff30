"""Gradescope: `grade --format gradescope` and the autograder zip of `grade gradescope-bundle`, whose
`run_autograder` is run in a temporary folder laid out like /autograder (AUTOGRADER_ROOT moves it)
on the reference, a stub and a hanging submission of exercise2 (the fastest exercise to grade).
Every results.json is checked against the fields and types of Gradescope's specification, and its
scores against `grade --format json --include-hidden`. The classroom writer's handling of checks that
did not count is checked here too, on a report built by hand."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run_grade
from grader.report import ERROR, FAILED, NOT_MEASURABLE, PASSED, SKIPPED, TIMED_OUT, CheckResult, \
    ExerciseResult, Report
from grader.writers import classroom, gradescope

MODULE = "exercise2_thread_sum.py"
REFERENCE = ROOT / "solutions" / MODULE
STUB = ROOT / "exercises" / MODULE
HANGS_ON = "test_sum_handles_empty_input_one_element_and_more_threads_than_elements"

# Gradescope's results.json, as its "Autograder Specifications" document it: field -> allowed types.
NUMBER = (int, float)
TOP_LEVEL = {"score": NUMBER, "execution_time": NUMBER, "output": str, "output_format": str,
             "visibility": str, "stdout_visibility": str, "tests": list}
TEST = {"name": str, "number": str, "score": NUMBER, "max_score": NUMBER, "status": str, "output": str,
        "output_format": str, "tags": list, "visibility": str}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
OUTPUT_FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def schema_errors(results: dict) -> list[str]:
    """Every way `results` departs from the documented fields, values and types."""
    errors = [f"top-level {k}: {type(results.get(k)).__name__}" for k, kind in TOP_LEVEL.items()
              if not isinstance(results.get(k), kind) or isinstance(results.get(k), bool)]
    errors += [f"unknown top-level field {k}" for k in set(results) - set(TOP_LEVEL)]
    if results.get("output_format") not in {"md", "text"}:
        errors.append(f"output_format {results.get('output_format')}")
    errors += [f"{k} {results.get(k)}" for k in ("visibility", "stdout_visibility") if results.get(k) not in VISIBILITIES]
    for test in results.get("tests", []):
        errors += [f"{test.get('name')}: {k}" for k, kind in TEST.items() if not isinstance(test.get(k), kind)]
        errors += [f"{test.get('name')}: unknown field {k}" for k in set(test) - set(TEST)]
        if test.get("status") not in {"passed", "failed"} or test.get("visibility") not in VISIBILITIES or \
                test.get("output_format") not in OUTPUT_FORMATS or not all(isinstance(t, str) for t in test["tags"]):
            errors.append(f"{test.get('name')}: status, visibility, output_format or tags")
    return errors


def _points(json_report: dict) -> dict[str, float]:
    return {f"{e['exercise']}: {c['name']}": c["points"] for e in json_report["exercises"] for c in e["checks"]}


def _assert_same_scores(results: dict, json_report: dict) -> None:
    assert results["score"] == json_report["score"]
    assert {t["name"]: t["score"] for t in results["tests"]} == _points(json_report)
    assert sum(t["max_score"] for t in results["tests"]) == json_report["max_score"]


@pytest.mark.parametrize("source", [REFERENCE, STUB], ids=["reference", "stub"])
def test_gradescope_format_has_the_documented_fields_and_grades_scores(source, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(source, folder / MODULE)
    graded = run_grade("2", "--path", str(folder), "--format", "gradescope", "--include-hidden")
    results = json.loads(graded.stdout)
    assert schema_errors(results) == []
    _assert_same_scores(results, run_grade("2", "--path", str(folder), "--format", "json",
                                           "--include-hidden").report)
    hidden = [t for t in results["tests"] if t["name"].endswith("test_rejects_thread_count_below_one")]
    assert [t["visibility"] for t in hidden] == ["after_published"]
    assert {t["tags"][0] for t in results["tests"]} == {"exercise2"}
    assert graded.exit_code == (0 if source == REFERENCE else 1)


def _hand_made_report() -> Report:
    checks = [CheckResult("test_fast", "f", PASSED, 2.0, 2.0, "visible", duration_s=0.25),
              CheckResult("test_speedup", "f", SKIPPED, 0.0, 3.0, "visible", "Not measurable on this machine "
                          "right now: the other core was busy.", NOT_MEASURABLE),
              CheckResult("test_hangs", "g", ERROR, 0.0, 1.0, "hidden", "Timed out after 10 s.", TIMED_OUT),
              CheckResult("test_wrong", "g", FAILED, 0.0, 1.0, "visible", "g(1) returned 2.")]
    return Report([ExerciseResult("exercise9", "Made up", checks)])


def test_a_check_that_could_not_be_measured_says_so_and_counts_nowhere():
    results = gradescope.to_results(_hand_made_report())
    assert schema_errors(results) == []
    tests = {t["name"].split(": ")[1]: t for t in results["tests"]}
    assert (tests["test_speedup"]["score"], tests["test_speedup"]["max_score"]) == (0, 0)
    assert tests["test_speedup"]["output"].startswith("Not measurable")
    assert tests["test_hangs"]["output"].startswith("Error (timed out)")
    assert tests["test_hangs"]["visibility"] == "after_published"
    assert [t["status"] for t in tests.values()] == ["passed", "failed", "failed", "failed"]
    assert results["score"] == 2 and sum(t["max_score"] for t in tests.values()) == 4


def test_classroom_result_decodes_to_the_reports_points():
    line = classroom.write(_hand_made_report())
    assert line.endswith("\n") and "\n" not in line.strip()
    result = json.loads(base64.b64decode(line))
    assert (result["version"], result["status"], result["max_score"]) == (1, "fail", 4.0)
    assert [(t["status"], t["score"]) for t in result["tests"]] == [("pass", 2), ("error", 0), ("error", 0),
                                                                    ("fail", 0)]
    assert "not measurable" in result["tests"][1]["message"] and result["tests"][0]["duration"] == 250


# --- the autograder zip ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The bundle for exercise2, unpacked as Gradescope unpacks it into /autograder/source."""
    folder = tmp_path_factory.mktemp("bundle")
    graded = run_grade("gradescope-bundle", str(folder / "autograder.zip"), "2")
    assert graded.exit_code == 0, graded.stderr
    with zipfile.ZipFile(folder / "autograder.zip") as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder", "grader-src/pyproject.toml"} <= set(names)
        assert archive.getinfo("run_autograder").external_attr >> 16 & 0o111
        archive.extractall(folder / "source")
    return folder / "source"


def _run_autograder(source: Path, root: Path, submission: dict[str, str]) -> dict:
    """Lay out `root` like /autograder with `submission` ({relative path: text}), run run_autograder
    from it with the bundle's own grader, and read the results.json it wrote."""
    shutil.copytree(source, root / "source")
    shutil.copy(source / "run_autograder", root / "run_autograder")
    for relative, text in submission.items():
        (root / "submission" / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / relative).write_text(text, encoding="utf-8")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable,
           "PYTHONPATH": str(root / "source" / "grader-src")}
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert schema_errors(results) == []
    return results


def _json_report(tmp_path: Path, text: str) -> dict:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / MODULE).write_text(text, encoding="utf-8")
    return run_grade("2", "--path", str(folder), "--format", "json", "--include-hidden").report


def test_run_autograder_finds_a_nested_reference_and_gives_full_marks(source, tmp_path):
    text = REFERENCE.read_text(encoding="utf-8")
    results = _run_autograder(source, tmp_path / "autograder", {
        f"homework/{MODULE}": text, f"__MACOSX/homework/{MODULE}": "garbage"})
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert any(t["visibility"] == "after_published" for t in results["tests"])
    _assert_same_scores(results, _json_report(tmp_path, text))


def test_run_autograder_scores_a_stub_as_grade_does(source, tmp_path):
    text = STUB.read_text(encoding="utf-8")
    results = _run_autograder(source, tmp_path / "autograder", {MODULE: text})
    assert results["score"] == 0 and all(t["status"] == "failed" for t in results["tests"])
    _assert_same_scores(results, _json_report(tmp_path, text))


@pytest.mark.slow
def test_run_autograder_survives_a_hanging_submission(source, tmp_path):
    text = REFERENCE.read_text(encoding="utf-8").replace(
        "def sum_using_threads(arr, thread_count):\n",
        "def sum_using_threads(arr, thread_count):\n    if len(arr) == 13:\n        threading.Event().wait()\n")
    results = _run_autograder(source, tmp_path / "autograder", {MODULE: text})
    hung = next(t for t in results["tests"] if t["name"].endswith(HANGS_ON))
    assert hung["status"] == "failed" and hung["output"].startswith("Error (timed out)")
    _assert_same_scores(results, _json_report(tmp_path, text))


def test_run_autograder_gives_zero_for_a_missing_file(source, tmp_path):
    results = _run_autograder(source, tmp_path / "autograder", {"notes.txt": "I forgot the file"})
    assert results["score"] == 0 and results["tests"]
    assert all("No file exercise2_thread_sum.py" in t["output"] for t in results["tests"])


def test_bundle_usage_errors_exit_2(tmp_path):
    graded = run_grade("gradescope-bundle", str(tmp_path / "a.zip"), "exercise9")
    assert graded.exit_code == 2 and "unknown exercise 'exercise9'" in graded.stderr
    assert run_grade("gradescope-bundle", str(tmp_path / "a.tar")).exit_code == 2
    graded = run_grade("gradescope-bundle", str(tmp_path / "a.tar"), "--lang", "ru")
    assert graded.exit_code == 2 and "должен быть файлом .zip" in graded.stderr
