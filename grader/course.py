"""Grading one submission's exercises side by side on the cores available.

Exercises are independent, and most of a grading is waiting (on threads, children, a server), so
their checks run at once in grading children, as many as there are cores. With fewer exercises than
cores, an exercise's checks are split between children too, by the time the catalog says each takes
(`seconds`), so that `grade 1` on two cores takes about half as long. A check that measures time
(`timing` in the catalog) would be slowed by its neighbours and judge the machine instead of the
student: those checks run afterwards, one exercise at a time, with nothing beside them. So does a
check that ran beside others and said it could not judge there (not measurable).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalog import CheckSpec, Exercise
from grader.hangs import Hangs
from grader.probes.cpu import usable_cores
from grader.report import NOT_MEASURABLE, CheckResult, ExerciseResult
from grader.runner import assemble, checks_to_run, grade_exercise, run_checks

# A grading child costs about 0.4 s to start (the interpreter, pytest, the student's imports): a
# share of an exercise's checks is worth a child of its own only with at least this much to do.
MIN_SHARE_SECONDS = 0.5


def shares(checks: list[CheckSpec], count: int) -> list[list[CheckSpec]]:
    """`checks` split into at most `count` shares of about equal expected time, each in the order
    given; fewer when a share would have less than MIN_SHARE_SECONDS to do."""
    total = sum(spec.seconds for spec in checks)
    count = max(1, min(count, len(checks), int(total // MIN_SHARE_SECONDS)))
    loads, parts = [0.0] * count, [[] for _ in range(count)]
    # The longest first, each to the least loaded share: within a longest check of the best split.
    for spec in sorted(checks, key=lambda spec: spec.seconds, reverse=True):
        least = loads.index(min(loads))
        parts[least].append(spec)
        loads[least] += spec.seconds
    order = {spec.name: place for place, spec in enumerate(checks)}
    return [sorted(part, key=lambda spec: order[spec.name]) for part in parts if part]


@dataclass
class _Grading:
    """One exercise's grading in progress: its verdicts, the sandbox layers each run found, and the
    hangs so far."""

    exercise: Exercise
    planned: list[CheckSpec]
    verdicts: dict[str, CheckResult] = field(default_factory=dict)
    # One entry per finished run, appended from the runs' threads: merged once all have ended.
    found_layers: list[dict] = field(default_factory=list)
    # A function that hung in one run is waited for briefly by the exercise's other runs too.
    hangs: Hangs = field(default_factory=Hangs)

    def run(self, submission_dir: Path, checks: list[CheckSpec], lang: str, alone: bool = True) -> None:
        found: dict = {}
        self.verdicts.update(run_checks(self.exercise, submission_dir, checks, lang=lang, layers=found,
                                        hangs=self.hangs, alone=alone))
        self.found_layers.append(found)

    def layers(self) -> dict:
        """The first run's layers, with a note that output was cut if it was in any run."""
        merged = dict(next((found for found in self.found_layers if found), {}))
        for found in self.found_layers:
            if found.get("output_cut"):
                merged["output_cut"] = found["output_cut"]
                notes = found.get("said", {}).get("notes", {})
                said = dict(merged.get("said", {}))
                merged["said"] = {**said, "notes": {**said.get("notes", {}), **notes}}
        return merged

    def untimed(self) -> list[CheckSpec]:
        return [spec for spec in self.planned if not spec.timing]

    def to_run_alone(self, ran_beside: bool) -> list[CheckSpec]:
        """The timing checks; with `ran_beside`, also the others that could not judge beside other
        runs."""
        return [spec for spec in self.planned if spec.timing or (
            ran_beside and spec.name in self.verdicts and self.verdicts[spec.name].reason == NOT_MEASURABLE)]


def grade_course(exercises: list[Exercise], submission_dir: Path, include_hidden: bool = False,
                 lang: str = "en", only: frozenset[str] | None = None,
                 workers: int | None = None, alone: bool = True, hangs: Hangs | None = None) -> list[ExerciseResult]:
    """Grade `exercises` of one submission, their untimed checks side by side (`workers` children
    at a time, default: the cores available), then their timing checks alone; results in the order
    given.

    With `alone` False, other work may run beside this whole grading (a batch's other jobs): every
    run is told so, and a check that could not judge beside others is left not measurable, for the
    caller to grade again alone. `hangs` (the functions that hung in an earlier grading of the one
    exercise given) is told to its runs."""
    if hangs is not None and len(exercises) != 1:
        raise ValueError("hangs belong to one exercise's grading")
    workers = max(1, workers or usable_cores())
    gradings = [_Grading(e, checks_to_run(e, include_hidden, only), hangs=hangs if hangs is not None else Hangs())
                for e in exercises]
    runs = [(grading, share) for grading in gradings
            for share in shares(grading.untimed(), max(1, workers // len(exercises)))]
    # The longest first: the cores are not left to one long run at the end while the other waits.
    runs.sort(key=lambda run: sum(spec.seconds for spec in run[1]), reverse=True)
    if len(runs) == 1 and len(exercises) == 1:
        # Nothing of its own to run beside it: one grading child, its checks in catalog order.
        return [grade_exercise(exercises[0], submission_dir, include_hidden, lang, only, gradings[0].hangs, alone)]
    side_by_side = max(1, min(workers, len(runs)))
    with ThreadPoolExecutor(max_workers=side_by_side) as pool:
        for finished in [pool.submit(grading.run, submission_dir, share, lang, alone and side_by_side == 1)
                         for grading, share in runs]:
            finished.result()
    for grading in gradings:
        if last := grading.to_run_alone(ran_beside=alone and side_by_side > 1):
            grading.run(submission_dir, last, lang, alone)
    return [assemble(g.exercise, g.verdicts, g.layers(), lang, only) for g in gradings]
