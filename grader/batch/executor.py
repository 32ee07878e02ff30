"""Running a batch's jobs: where and how many side by side.

An executor takes jobs and calls `done(job, result)` in the calling thread as each finishes, in
whatever order they finish. A check that measures time (`timing` in the catalog) never runs beside
other work: the local executor grades the other checks of such a job side by side with the rest,
and its timing checks one job at a time afterwards, so that `--jobs 2` gives the same verdicts as
`--jobs 1`.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable, Protocol

from grader.batch.grading import after, combined, grade, grader_failed, split_around_timing
from grader.batch.jobs import Job

Done = Callable[[Job, dict], None]
POOL_TRIES = 2


class Executor(Protocol):
    def run(self, jobs: list[Job], done: Done) -> None:
        """Grade every job, calling `done(job, result_dict)` as each finishes."""


@dataclass
class LocalExecutor:
    """Every check but the timing ones in a pool of `workers` processes, then the timing ones alone."""

    workers: int = 1

    def run(self, jobs: list[Job], done: Done) -> None:
        if self.workers == 1:
            for job in jobs:
                done(job, grade(job))
            return
        splits = {job.key: split for job in jobs if (split := split_around_timing(job)) is not None}
        side_by_side = [job for job in jobs if not job.timing] + [untimed for untimed, _ in splits.values()]
        alone = [job for job in jobs if job.timing]
        first_parts: dict[tuple[str, str], dict] = {}

        def finished_side_by_side(job: Job, result: dict) -> None:
            if job.key in splits:
                first_parts[job.key] = result  # done once its timing part is graded too
            else:
                done(job, result)

        self._in_pool(side_by_side, finished_side_by_side)
        for job in alone:
            if job.key in splits:
                first = first_parts[job.key]
                done(job, combined(job, [first, grade(after(splits[job.key][1], first))]))
            else:
                done(job, grade(job))

    def _in_pool(self, jobs: list[Job], done: Done) -> None:
        # `grade` never raises; a pool whose worker died (killed from outside) fails every job it
        # still held: those are given to a fresh pool, once, before they become grader errors.
        tries: dict[tuple[str, str], int] = {}
        pending = jobs
        context = multiprocessing.get_context("spawn")  # no copy of the parent's threads or locks
        while pending:
            again = []
            with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
                futures = {pool.submit(grade, job): job for job in pending}
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        result = future.result()
                    except BrokenProcessPool as problem:
                        tries[job.key] = tries.get(job.key, 0) + 1
                        if tries[job.key] < POOL_TRIES:
                            again.append(job)
                            continue
                        result = grader_failed(job, problem)
                    except Exception as problem:  # noqa: BLE001 - a job that could not be sent or returned
                        result = grader_failed(job, problem)
                    done(job, result)
            pending = again
