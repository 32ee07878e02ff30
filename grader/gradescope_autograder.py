"""What the Gradescope autograder runs for each submission (`run_autograder` calls `main`).

It finds the exercise files wherever the student put them under `<root>/submission` (Gradescope
submissions are often a zipped folder), grades them with the hidden checks, and always writes
`<root>/results/results.json`, also when an exercise file is missing (its checks earn 0 of their
points, so that every submission has the same maximum) or the grading itself fails.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from grader.catalog import Exercise, load_catalog, resolve
from grader.messages import msg
from grader.report import FAILED, NOT_SUBMITTED, Report
from grader.runner import grade_exercise, ungraded
from grader.writers import gradescope

# Folders of a submission that never hold the student's own files (macOS zip metadata, caches).
SKIPPED_PARTS = ("__MACOSX", "__pycache__")


def find_exercise_file(submission: Path, exercise: Exercise) -> Path | None:
    """The exercise's file nearest the top of the submission, or None."""
    found = [p for p in submission.rglob(exercise.module)
             if p.is_file() and not any(part in SKIPPED_PARTS or part.startswith(".")
                                        for part in p.relative_to(submission).parts)]
    return min(found, key=lambda p: (len(p.parts), str(p)), default=None)


def grade_submission(submission: Path, exercises: list[Exercise]) -> Report:
    """Every exercise of the assignment graded, hidden checks included."""
    results = []
    with tempfile.TemporaryDirectory(prefix="submission-") as folder:
        for exercise in exercises:
            found = find_exercise_file(submission, exercise)
            if found is None:
                results.append(ungraded(exercise, FAILED, NOT_SUBMITTED,
                                        msg("ungraded.missing_anywhere", module=exercise.module)))
                continue
            shutil.copy(found, Path(folder) / exercise.module)
            results.append(grade_exercise(exercise, Path(folder), include_hidden=True))
    return Report(results)


def _failure_results(problem: BaseException) -> dict:
    return {
        "score": 0.0,
        "execution_time": 0,
        "output": f"The autograder itself failed ({type(problem).__name__}: {problem}). This is not your "
                  "fault: please tell your teacher, who will regrade your submission.",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.gradescope_autograder ROOT [EXERCISE ...]`: grade ROOT/submission into
    ROOT/results/results.json; 0 once the results are written."""
    root, *names = argv if argv is not None else sys.argv[1:]
    results_file = Path(root) / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        catalog = load_catalog()
        exercises = [resolve(catalog, name) for name in names] if names else list(catalog.values())
        if None in exercises:
            raise ValueError(f"unknown exercise among {names}")
        results = gradescope.to_results(grade_submission(Path(root) / "submission", exercises))
    except Exception as problem:  # noqa: BLE001 - Gradescope needs a results.json whatever happened
        traceback.print_exc()
        results = _failure_results(problem)
    results_file.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
