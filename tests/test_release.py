"""`grade release OUT`: the student copy works and leaks neither solutions nor hidden checks, and its
GitHub Classroom workflow gives the grader's own scores.

Most tests run the copy's grader from OUT through PYTHONPATH (the grading children inherit it); one
installs OUT with `pip install` into a fresh virtual environment, as a student does (it needs the
package index, as the project's own install does, and about 15 s). Grading is limited to exercise2
(about 1.5 s a run)."""
from __future__ import annotations

import ast
import base64
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_grade
from grader.catalog import load_catalog

CATALOG = load_catalog()
EXERCISE = CATALOG["exercise2"]
HIDDEN = {spec.name for e in CATALOG.values() for spec in e.checks if spec.hidden}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release") / "student"
    graded = run_grade("release", str(folder))
    assert graded.exit_code == 0, graded.stderr
    assert not [p for p in folder.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    return folder


def _texts(folder: Path) -> dict[Path, str]:
    """Every file of the copy as text, but the bytecode that running the copy's grader leaves."""
    return {p: p.read_text(encoding="utf-8") for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}


def _solution_lines() -> set[str]:
    """Lines of the solutions' function bodies that are neither in a stub nor in the grader's own code
    and texts (a line such as `for thread in threads:` may well be theirs too, and a hint may quote the
    notebook's `calculation_queue.join()`)."""
    grader_code = "\n".join(t for p, t in _texts(ROOT / "grader").items() if p.suffix in (".py", ".yaml"))
    stubs = "\n".join(_texts(ROOT / "exercises").values())
    lines = set()
    for solution in (ROOT / "solutions").glob("*.py"):
        source = solution.read_text(encoding="utf-8")
        stub = (ROOT / "exercises" / solution.name).read_text(encoding="utf-8")
        stub_functions = _functions(stub)
        for name, node in _functions(source).items():
            body = ast.get_source_segment(source, node) or ""
            if name in stub_functions and ast.get_source_segment(stub, stub_functions[name]) == body:
                continue  # a function the stub gives, such as count_unsafe
            lines |= {line.strip() for line in body.splitlines()[1:]
                      if len(line.strip()) > 20 and line.strip() not in stubs + grader_code}
    return lines


def test_no_solution_text_reaches_the_copy(out):
    lines = _solution_lines()
    assert len(lines) > 30, "too few solution lines to prove anything"
    leaked = {f"{p.relative_to(out)}: {line}" for p, text in _texts(out).items() for line in lines if line in text}
    assert not leaked
    assert not (out / "solutions").exists()


def test_no_hidden_check_reaches_the_copy(out):
    texts = _texts(out)
    assert not {(str(p.relative_to(out)), n) for p, t in texts.items() for n in HIDDEN if n in t}
    for exercise in CATALOG.values():
        source = exercise.check_module.read_text(encoding="utf-8")
        for name, node in _functions(source).items():
            if name in HIDDEN:
                code = "\n".join(ast.get_source_segment(source, node).splitlines()[1:])
                assert not any(code in t for t in texts.values()), name
    released = load_catalog(out / "grader" / "checks")
    assert {s.name for e in released.values() for s in e.checks} == \
        {s.name for e in CATALOG.values() for s in e.checks} - HIDDEN


def test_pyproject_installs_the_grader_and_its_data_only(out):
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((out / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["grader*"]
    assert project["project"]["scripts"] == {"grade": "grader.cli:main"}
    patterns = project["tool"]["setuptools"]["package-data"]["grader"]
    data = [p.relative_to(out / "grader").as_posix() for p in (out / "grader").rglob("*")
            if p.is_file() and p.suffix != ".py"]
    assert data and all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in data)
    assert {"pytest", "pyyaml", "numpy"} <= {r.split(">")[0] for r in project["project"]["dependencies"]}


def test_readme_names_every_exercise_in_english_and_russian(out):
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "## English" in readme and "## Русский" in readme and "grade 2" in readme
    for exercise in CATALOG.values():
        assert readme.count(f"exercises/{exercise.module}") == 2


def _grade_in(out: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The copy's own grader, run in `folder` (a copy of OUT) as a student would run `grade`."""
    env = {**os.environ, "PYTHONPATH": str(out)}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def solved(out, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("solved") / "student"
    shutil.copytree(out, folder)
    shutil.copy(ROOT / "solutions" / EXERCISE.module, folder / "exercises" / EXERCISE.module)
    return folder


def test_grade_in_the_copy_fails_the_stubs_without_a_crash(out):
    done = _grade_in(out, out, "2", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["score"] == 0 < report["max_score"]
    assert "Traceback" not in done.stderr
    assert {c["name"] for c in report["exercises"][0]["checks"]} == \
        {s.name for s in EXERCISE.checks if not s.hidden}


def test_grade_in_the_copy_gives_full_marks_of_the_visible_checks(out, solved):
    done = _grade_in(out, solved, "2", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["score"] == report["max_score"] == sum(s.points for s in EXERCISE.checks if not s.hidden)


@pytest.mark.slow
def test_the_copy_installs_with_pip_and_grades_from_anywhere(out, solved, tmp_path):
    venv = tmp_path / "venv"
    # Without a pip of its own (ensurepip costs seconds): this run's pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                                "-q", str(out)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    grade = [str(venv / "bin" / "grade"), "2", "--format", "json", "--path"]
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import grader; print(grader.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv))
    stub = subprocess.run([*grade, str(out / "exercises")], cwd=tmp_path, capture_output=True, text=True)
    assert stub.returncode == 1 and json.loads(stub.stdout)["score"] == 0, stub.stderr
    full = subprocess.run([*grade, str(solved / "exercises")], cwd=tmp_path, capture_output=True, text=True)
    report = json.loads(full.stdout)
    assert full.returncode == 0 and report["score"] == report["max_score"] > 0, full.stderr
    assert all(c["name"] not in HIDDEN for e in report["exercises"] for c in e["checks"])


def test_release_refuses_solutions_and_a_used_folder(tmp_path, out):
    graded = run_grade("release", str(tmp_path / "copy"), "--path", str(ROOT / "solutions"))
    assert graded.exit_code == 2 and "not a stub" in graded.stderr
    assert "Traceback" not in graded.stderr and not (tmp_path / "copy").exists()
    graded = run_grade("release", str(out))
    assert graded.exit_code == 2 and "not empty" in graded.stderr
    graded = run_grade("release", str(out), "--lang", "ru")
    assert graded.exit_code == 2 and "уже существует и не пуста" in graded.stderr


# --- GitHub Classroom ------------------------------------------------------------------------------

def _workflow(out: Path) -> dict:
    return yaml.safe_load((out / ".github/workflows/classroom.yml").read_text(encoding="utf-8"))


def test_workflow_has_the_shape_github_classroom_generates(out):
    workflow = _workflow(out)
    assert workflow["name"] == "Autograding Tests"
    assert workflow["on"] == ["push", "repository_dispatch"]  # quoted: YAML 1.1 would read on as true
    assert workflow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = workflow["jobs"]["run-autograding-tests"]
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    graders, reporter = steps[1:-1], steps[-1]
    assert [s["id"] for s in graders] == list(CATALOG)
    for step in graders:
        assert set(step["with"]) == {"test-name", "setup-command", "command", "timeout", "max-score"}
        assert step["with"]["command"] == f"grade {step['id']} --format classroom"
        assert step["with"]["max-score"] == sum(s.points for s in CATALOG[step["id"]].checks if not s.hidden)
        assert (out / step["uses"] / "action.yml").is_file()
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"].split(",") == list(CATALOG)
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in CATALOG}


def _step(out: Path, exercise: str) -> dict:
    return next(s for s in _workflow(out)["jobs"]["run-autograding-tests"]["steps"] if s.get("id") == exercise)


def _decoded(line: str) -> dict:
    return json.loads(base64.b64decode(line.strip()).decode("utf-8"))


def test_step_command_passes_the_reference_and_its_result_gives_grades_scores(out, solved):
    command = _step(out, "exercise2")["with"]["command"].split()
    assert command[0] == "grade"
    done = _grade_in(out, solved, *command[1:])
    assert done.returncode == 0, done.stderr
    result = _decoded(done.stdout)
    reference = json.loads(_grade_in(out, solved, "2", "--format", "json").stdout)
    assert (result["version"], result["status"]) == (1, "pass")
    assert result["max_score"] == reference["max_score"]
    assert sum(t["score"] for t in result["tests"]) == reference["score"]
    points = {f"exercise2: {c['name']}": c["points"] for c in reference["exercises"][0]["checks"]}
    assert {t["name"]: t["score"] for t in result["tests"]} == points
    assert all(set(t) >= {"name", "status", "score", "message", "duration"} for t in result["tests"])


def test_step_command_fails_a_stub_with_its_partial_scores(out):
    done = _grade_in(out, out, *_step(out, "exercise2")["with"]["command"].split()[1:])
    assert done.returncode == 1, done.stderr
    result = _decoded(done.stdout)
    assert result["status"] == "fail" and result["max_score"] > 0
    assert {t["status"] for t in result["tests"]} == {"fail"} and sum(t["score"] for t in result["tests"]) == 0


@pytest.mark.slow
def test_composite_action_hands_the_result_to_the_reporter(out, solved, tmp_path):
    """The action's script, run as GitHub runs a composite step: the grader's result, or an error
    result when the command gives none."""
    action = yaml.safe_load((out / ".github/actions/grade-exercise/action.yml").read_text(encoding="utf-8"))
    script = action["runs"]["steps"][0]["run"]
    outputs = tmp_path / "outputs"
    base = {**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(outputs), "PYTHONPATH": str(out),
            "TEST_NAME": "exercise2: Sum", "SETUP_COMMAND": "", "TIMEOUT_MINUTES": "3", "MAX_SCORE": "13"}
    runs = {"graded": f"{sys.executable} -m grader exercise2 --format classroom", "silent": "exit 3"}
    for command in runs.values():
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=solved, capture_output=True,
                              text=True, env={**base, "COMMAND": command}, timeout=240)
        assert done.returncode == 0, done.stderr
    graded, silent = [_decoded(line.removeprefix("result=")) for line in outputs.read_text().splitlines()]
    assert graded["status"] == "pass" and sum(t["score"] for t in graded["tests"]) == graded["max_score"] == 13
    assert silent == {"version": 1, "status": "error", "max_score": 13.0, "tests": [
        {"name": "exercise2: Sum", "status": "error", "score": 0, "duration": 0, "test_code": "", "filename": "",
         "line_no": 0, "message": silent["tests"][0]["message"]}]}
    assert "gave no result" in silent["tests"][0]["message"]
