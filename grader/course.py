"""Grading several exercises of one submission side by side on the cores available.

Exercises are independent, and most of a grading is waiting (on threads, children, a server), so
their checks run at once, one grading child per exercise, as many as there are cores. A check that
measures time (`timing` in the catalog) would be slowed by its neighbours and judge the machine
instead of the student: those checks run afterwards, one exercise at a time, with nothing beside them.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.catalog import Exercise
from grader.hangs import Hangs
from grader.probes.cpu import usable_cores
from grader.report import CheckResult, ExerciseResult
from grader.runner import assemble, checks_to_run, grade_exercise, run_checks


def grade_course(exercises: list[Exercise], submission_dir: Path, include_hidden: bool = False,
                 lang: str = "en", only: frozenset[str] | None = None,
                 workers: int | None = None) -> list[ExerciseResult]:
    """Grade `exercises` of one submission, their untimed checks side by side (`workers` at a time,
    default: the cores available), then their timing checks alone; results in the order given."""
    if len(exercises) == 1:
        # Nothing to run beside it: one grading child, its checks in catalog order.
        [exercise] = exercises
        return [grade_exercise(exercise, submission_dir, include_hidden, lang, only)]
    planned = {e.id: checks_to_run(e, include_hidden, only) for e in exercises}
    verdicts: dict[str, dict[str, CheckResult]] = {e.id: {} for e in exercises}
    layers: dict[str, dict] = {e.id: {} for e in exercises}
    # A function that hung among the untimed checks is waited for briefly by the timing ones too.
    hangs = {e.id: Hangs() for e in exercises}

    def run(exercise: Exercise, timing: bool) -> None:
        checks = [spec for spec in planned[exercise.id] if spec.timing == timing]
        if checks:
            found: dict = {}
            verdicts[exercise.id].update(run_checks(exercise, submission_dir, checks, lang=lang, layers=found,
                                                    hangs=hangs[exercise.id]))
            layers[exercise.id] = layers[exercise.id] or found

    with ThreadPoolExecutor(max_workers=max(1, min(workers or usable_cores(), len(exercises)))) as pool:
        for finished in [pool.submit(run, exercise, False) for exercise in exercises]:
            finished.result()
    for exercise in exercises:
        run(exercise, True)
    return [assemble(e, verdicts[e.id], layers[e.id], lang, only) for e in exercises]
