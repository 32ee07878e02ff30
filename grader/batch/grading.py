"""Grading one job into an exercise result, whatever happens: a failure of the grader itself becomes
that student's result with reason `grader error`, never an exception that could stop the batch.

This is the function every executor runs, in a pool's process or on a Dask worker: it takes only
plain data (the job) and gives back plain data (the result as a dict).
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from grader import forkserver
from grader.batch.jobs import Job
from grader.catalog import CheckSpec, Exercise, load_catalog
from grader.course import grade_course
from grader.hangs import Hangs
from grader.messages import msg
from grader.report import ERROR, GRADER_ERROR, NOT_MEASURABLE, ExerciseResult
from grader.runner import run_checks, ungraded

# A job's checks are split between this many grading children, which run side by side as `grade`'s
# do: most of a grading waits (on threads, children, a server), and a second child fills those waits.
CHILDREN_PER_JOB = 2


def _write_files(job: Job, folder: Path) -> None:
    for name, data in job.files:
        (folder / name).write_bytes(data)


def _retried(exercise: Exercise, folder: Path, job: Job, previous: ExerciseResult) -> ExerciseResult:
    """`previous` with the verdicts of its open checks replaced by a new measurement."""
    specs: list[CheckSpec] = [exercise.check(name) for name in job.open_checks]
    fresh = run_checks(exercise, folder, specs, alone=job.timing)
    checks = [fresh.get(check.name, check) for check in previous.checks]
    return replace(previous, checks=checks)


def grade(job: Job) -> dict:
    """The result of `job` as `ExerciseResult.to_dict` writes it: a whole grading, or with
    `job.open_checks` the previous result with those checks graded again."""
    # A batch's worker grades job after job: what every grading of an exercise imports is imported
    # once, by its fork server.
    forkserver.expect_many_gradings()
    exercise = load_catalog()[job.exercise]
    if not job.gradable:
        return ungraded(exercise, ERROR, job.reason, job.message).to_dict()
    try:
        with tempfile.TemporaryDirectory(prefix="grader-batch-") as folder:
            _write_files(job, Path(folder))
            if job.open_checks and job.previous is not None:
                return _retried(exercise, Path(folder), job, ExerciseResult.from_dict(job.previous)).to_dict()
            # Every executor runs a timing job with nothing beside it, and may run any other beside others.
            [result] = grade_course([exercise], Path(folder), include_hidden=True,
                                    only=frozenset(job.only) if job.only else None, workers=CHILDREN_PER_JOB,
                                    alone=job.timing, hangs=Hangs.from_arg(job.hung))
            return result.to_dict()
    except Exception as problem:  # noqa: BLE001 - any failure is this student's row, never the batch's end
        return grader_failed(job, problem)


def split_around_timing(job: Job) -> tuple[Job, Job] | None:
    """The job as two parts, its checks that do not measure time and those that do, so that the
    first part can run beside other work; None when there is nothing to split."""
    if not (job.timing and job.gradable and not job.open_checks):
        return None
    exercise = load_catalog()[job.exercise]
    untimed = tuple(spec.name for spec in exercise.checks if not spec.timing)
    timed = tuple(spec.name for spec in exercise.checks if spec.timing)
    if not untimed or not timed:
        return None
    return replace(job, only=untimed, timing=False), replace(job, only=timed)


def after(part: Job, first: dict) -> Job:
    """The second part of a split job, told which functions hung in the first (`first`, its result),
    so that its checks wait only briefly for them."""
    hangs = Hangs.seen_in(load_catalog()[part.exercise], ExerciseResult.from_dict(first))
    return replace(part, hung=hangs.to_arg())


def combined(job: Job, parts: list[dict]) -> dict:
    """One result of `job` from the results of its parts, its checks in catalog order."""
    results = [ExerciseResult.from_dict(part) for part in parts]
    verdicts = {check.name: check for result in results for check in result.checks}
    order = [spec.name for spec in load_catalog()[job.exercise].checks]
    return replace(results[0], checks=[verdicts[name] for name in order if name in verdicts]).to_dict()


def grader_failed(job: Job, problem: BaseException) -> dict:
    """The result of a job whose grading failed in the grader (or its process pool): every check an
    error with reason `grader error`."""
    message = msg("ungraded.grader_failed", problem=f"{type(problem).__name__}: {problem}")
    return ungraded(load_catalog()[job.exercise], ERROR, GRADER_ERROR, message).to_dict()


def open_checks(result: ExerciseResult) -> tuple[str, ...]:
    """The checks of `result` that could not be measured and may be graded again."""
    return tuple(check.name for check in result.checks if check.reason == NOT_MEASURABLE)
