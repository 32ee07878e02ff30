"""Running a batch's jobs: where and how many side by side.

An executor takes jobs and calls `done(job, result)` in the calling thread as each finishes, in
whatever order they finish. A job whose exercise has a check that measures time (`timing` in the
catalog) never runs beside other work: the local executor grades those one at a time after the
others, so that `--jobs 2` gives the same verdicts as `--jobs 1`.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable, Protocol

from grader.batch.grading import grade, grader_failed
from grader.batch.jobs import Job

Done = Callable[[Job, dict], None]
POOL_TRIES = 2


class Executor(Protocol):
    def run(self, jobs: list[Job], done: Done) -> None:
        """Grade every job, calling `done(job, result_dict)` as each finishes."""


@dataclass
class LocalExecutor:
    """Jobs without timing checks in a pool of `workers` processes, then the timing ones alone."""

    workers: int = 1

    def run(self, jobs: list[Job], done: Done) -> None:
        side_by_side = [job for job in jobs if not job.timing]
        alone = [job for job in jobs if job.timing]
        if self.workers > 1 and len(side_by_side) > 1:
            self._in_pool(side_by_side, done)
        else:
            alone = side_by_side + alone
        for job in alone:
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
