"""A batch from start to end: find the class, plan its jobs, keep what is already graded, grade the
rest, retry the checks that were not measurable, and keep the outputs up to date throughout."""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from grader.batch.classresults import ClassResults
from grader.batch.discover import discover
from grader.batch.executor import Executor
from grader.batch.grading import grade, open_checks
from grader.batch.jobs import Job, plan
from grader.batch.outputs import Outputs
from grader.batch.progress import progress_for
from grader.batch.store import GRADED, NOT_GRADED, RETRIED, Record, Store, latest
from grader.batch.summary import Counts
from grader.catalog import Exercise
from grader.report import VERSION, ExerciseResult


@dataclass
class Options:
    """What the teacher asked for."""

    submissions: Path
    out: Path
    exercises: list[Exercise]
    executor: Executor
    roster: dict[str, str] | None = None
    regrade: bool = False  # grade every job again, whatever results.jsonl holds
    retry_open: bool = False  # retry the not-measurable checks of results kept from earlier runs
    lang: str = "en"  # the language of the students' feedback files


@dataclass
class Outcome:
    """What a finished batch leaves: the class's results, what this run did, the summary text."""

    book: ClassResults
    counts: Counts
    summary: str


def is_current(record: Record | None, job: Job) -> bool:
    """Whether `record` is the result of exactly this job: same files, grader and catalog."""
    return (record is not None and record.content_hash == job.content_hash
            and record.catalog_hash == job.catalog_hash and record.version == VERSION)


def retry_job(job: Job, record: Record) -> Job | None:
    """A job that grades the open checks of `record` again, or None when it has none."""
    names = open_checks(record.result)
    return replace(job, open_checks=names, previous=record.result.to_dict(), timing=True) if names else None


class Batch:
    """One run of a batch over a folder of results."""

    def __init__(self, options: Options, jobs: list[Job], book: ClassResults, progress_stream: TextIO):
        self.options, self.jobs, self.book, self.stream = options, jobs, book, progress_stream
        self.store = Store(options.out / "results.jsonl")
        self.outputs = Outputs(options.out, book, lang=options.lang)
        self.counts = Counts()

    def _record(self, job: Job, result: dict, grading: str) -> None:
        record = Record(job.student, ExerciseResult.from_dict(result), job.content_hash, job.catalog_hash, grading)
        self.store.append(record)
        self.book.records[job.key] = record
        self.outputs.student_changed(job.student, self.counts)

    def _grade(self, jobs: list[Job], grading: str) -> None:
        if not jobs:
            return
        progress = progress_for(len(jobs), self.stream)

        def done(job: Job, result: dict) -> None:
            self._record(job, result, grading)
            self.counts.graded += grading == GRADED
            self.counts.retried += grading == RETRIED
            progress.finished(job.student, job.exercise, self.book.records[job.key].result.status)

        try:
            self.options.executor.run(jobs, done)
        finally:
            progress.close()

    def _open(self, jobs: list[Job]) -> list[Job]:
        found = (retry_job(job, self.book.records[job.key]) for job in jobs if job.key in self.book.records)
        return [job for job in found if job is not None]

    def run(self) -> None:
        """Grade what is not graded yet, then retry what stayed open."""
        records = self.book.records
        stale = [job for job in self.jobs if self.options.regrade or not is_current(records.get(job.key), job)]
        self.counts.reused = len(self.jobs) - len(stale)
        for job in (job for job in stale if not job.gradable):
            self._record(job, grade(job), NOT_GRADED)  # nothing to run: recorded at once
            self.counts.not_graded += 1
        stale_keys = {job.key for job in stale}
        kept = [job for job in self.jobs if job.key not in stale_keys]
        to_grade = [job for job in stale if job.gradable]
        self._grade(to_grade, GRADED)
        self._grade(self._open(to_grade) + (self._open(kept) if self.options.retry_open else []), RETRIED)


def run_batch(options: Options, progress_stream: TextIO) -> Outcome:
    """Run the batch `options` describe; the outputs under `options.out` are kept up to date."""
    started = time.monotonic()
    options.out.mkdir(parents=True, exist_ok=True)
    store = Store(options.out / "results.jsonl")
    store.repair()
    records = latest(store.load())
    with tempfile.TemporaryDirectory(prefix="grader-unpacked-") as unpacked:
        students = discover(options.submissions, Path(unpacked), options.roster)
        jobs = plan(students, options.exercises)  # jobs hold the files' bytes: the folder may go
    book = ClassResults(students, options.exercises, records)
    batch = Batch(options, jobs, book, progress_stream)
    try:
        batch.run()
    finally:
        batch.counts.seconds = time.monotonic() - started
        summary = batch.outputs.write_all(batch.counts)
    return Outcome(book, batch.counts, summary)
