"""Grade every variant of some exercises (and the reference) several rounds, and count wrong verdicts.

The acceptance runs of the multiprocessing exercises ("right in 20 runs out of 20; with the other
core busy, no wrong verdict") are this script:

    python tests/repeat_variants.py exercise4 exercise5 --rounds 20
    python tests/repeat_variants.py exercise5 --rounds 5 --busy

`--busy` keeps one pure-Python busy loop running on the side for the whole run. A verdict is wrong
when a check declared to fail passes, or a check not declared to fail neither passes nor says "Not
measurable". Each round prints one line; the summary counts wrong verdicts, "not measurable" checks,
and the slowest grade of the reference.
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from conftest import ROOT, expected_failures, submission_with, variants  # noqa: E402
from grader.catalog import load_catalog  # noqa: E402
from grader.runner import grade_exercise  # noqa: E402


def _spin(stop) -> None:
    while not stop.is_set():
        pass


def _wrong_verdicts(result, declared: set[str]) -> tuple[list[str], list]:
    """The wrong verdicts of one graded submission, and its checks that were not measurable."""
    wrong, unmeasured = [], []
    for check in result.checks:
        not_measurable = check.status == "skipped" and check.feedback.startswith("Not measurable")
        if not_measurable:
            unmeasured.append(check)
        if check.name in declared and check.status == "passed":
            wrong.append(f"{check.name} passed")
        elif check.name not in declared and check.status != "passed" and not not_measurable:
            wrong.append(f"{check.name} {check.status}: {check.feedback[:300]}")
    return wrong, unmeasured


def _cases(exercise_id: str) -> list[tuple[str, Path, set[str]]]:
    reference = ("reference", ROOT / "solutions", set())
    return [reference] + [(v.stem, v, expected_failures(v)) for v in variants(exercise_id)]


def run_round(exercise, workdir: Path) -> tuple[list[str], Counter, float]:
    """Grade the reference and every variant once; return the wrong verdicts, the not-measurable
    counts and the reference's wall time."""
    wrong, unmeasured, reference_seconds = [], Counter(), 0.0
    for name, source, declared in _cases(exercise.id):
        folder = source if source.is_dir() else submission_with(workdir, exercise.module, source)
        started = time.perf_counter()
        result = grade_exercise(exercise, folder, include_hidden=True)
        if name == "reference":
            reference_seconds = time.perf_counter() - started
        bad, skipped = _wrong_verdicts(result, declared)
        wrong += [f"{exercise.id}/{name}: {line}" for line in bad]
        unmeasured.update(f"{name}:{check.name}" for check in skipped)
        for check in skipped:
            print(f"  not measurable: {name}: {check.name}: {check.feedback[:400]}", flush=True)
    return wrong, unmeasured, reference_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="+")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--busy", action="store_true", help="keep one other core busy meanwhile")
    args = parser.parse_args()
    catalog = load_catalog()
    stop = multiprocessing.Event()
    spinner = multiprocessing.Process(target=_spin, args=(stop,), daemon=True) if args.busy else None
    if spinner:
        spinner.start()
    wrong_total, unmeasured_total, slowest = [], Counter(), Counter()
    try:
        for round_number in range(1, args.rounds + 1):
            for exercise_id in args.exercises:
                with tempfile.TemporaryDirectory() as workdir:
                    wrong, unmeasured, seconds = run_round(catalog[exercise_id], Path(workdir))
                wrong_total += wrong
                unmeasured_total += unmeasured
                slowest[exercise_id] = max(slowest[exercise_id], seconds)
                print(f"round {round_number} {exercise_id}: {len(wrong)} wrong, "
                      f"{sum(unmeasured.values())} not measurable, reference {seconds:.1f} s", flush=True)
                for line in wrong:
                    print("  WRONG", line, flush=True)
    finally:
        stop.set()
        if spinner:
            spinner.join()
    print(f"\n{args.rounds} rounds{' with a busy core' if args.busy else ''}: {len(wrong_total)} wrong "
          f"verdicts; not measurable: {dict(unmeasured_total) or 'none'}; slowest reference grade: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in slowest.items()))
    return 1 if wrong_total else 0


if __name__ == "__main__":
    sys.exit(main())
