"""The GitHub Classroom workflow of a student copy, in the shape GitHub Classroom generates.

One step per exercise, then the reporter, which adds up the steps' results. Each exercise step runs
`grade <exercise> --format classroom` through a small composite action shipped in the copy
(`.github/actions/grade-exercise`), which takes the command grader's inputs and gives its `result`
output, but with the grader's partial credit: a student's total in Classroom is `grade`'s total.
"""
from __future__ import annotations

import math
from importlib import resources

import yaml

from grader.catalog import Exercise

WORKFLOW_PATH = ".github/workflows/classroom.yml"
ACTION_DIR = ".github/actions/grade-exercise"
ACTION_PATH = f"{ACTION_DIR}/action.yml"
SETUP_COMMAND = "pip install --quiet ."
REPORTER = "classroom-resources/autograding-grading-reporter@v1"


def grade_command(exercise: Exercise) -> str:
    """The command a step runs: prints the exercise's base64 result, exits 0 only on full marks."""
    return f"grade {exercise.id} --format classroom"


def _minutes(exercise: Exercise) -> int:
    """Minutes a step may take: the grader's own hard limit for the exercise, and one for the start."""
    visible = [spec for spec in exercise.checks if not spec.hidden]
    return math.ceil(exercise.hard_limit(visible) / 60) + 1


def _step(exercise: Exercise, first: bool) -> dict:
    points = sum(spec.points for spec in exercise.checks if not spec.hidden)
    return {
        "name": f"{exercise.id}: {exercise.title.en}",
        "id": exercise.id,
        "uses": f"./{ACTION_DIR}",
        "with": {
            "test-name": f"{exercise.id}: {exercise.title.en}",
            # The grader is installed once, by the first step; the others find it in place.
            "setup-command": SETUP_COMMAND if first else "",
            "command": grade_command(exercise),
            "timeout": _minutes(exercise),
            "max-score": int(points) if float(points).is_integer() else points,
        },
    }


def workflow(exercises: list[Exercise]) -> dict:
    """The workflow as data."""
    steps = [{"name": "Checkout code", "uses": "actions/checkout@v4"}]
    steps += [_step(exercise, first=i == 0) for i, exercise in enumerate(exercises)]
    steps.append({
        "name": "Autograding Reporter",
        "uses": REPORTER,
        "env": {f"{e.id.upper()}_RESULTS": f"${{{{steps.{e.id}.outputs.result}}}}" for e in exercises},
        "with": {"runners": ",".join(e.id for e in exercises)},
    })
    return {
        "name": "Autograding Tests",
        "on": ["push", "repository_dispatch"],
        "permissions": {"checks": "write", "actions": "read", "contents": "read"},
        "jobs": {"run-autograding-tests": {
            "runs-on": "ubuntu-latest",
            "if": "github.actor != 'github-classroom[bot]'",
            "steps": steps,
        }},
    }


def workflow_text(exercises: list[Exercise]) -> str:
    """The workflow file's text."""
    return yaml.safe_dump(workflow(exercises), sort_keys=False, allow_unicode=True, width=120)


def action_text() -> str:
    """The composite action's action.yml."""
    return resources.files("grader").joinpath("templates/grade_exercise_action.yml").read_text(encoding="utf-8")
