"""Grade every variant of some exercises (and the reference) several rounds, and count wrong verdicts.

The acceptance runs of the multiprocessing exercises ("right in 20 runs out of 20; with the other
core busy, no wrong verdict") are this script:

    python tests/repeat_variants.py exercise4 exercise5 --rounds 20
    python tests/repeat_variants.py exercise5 --rounds 5 --busy
    python tests/repeat_variants.py exercise5 --rounds 5 --bursty
    python tests/repeat_variants.py exercise5 --rounds 10 --busy --timing-only

`--timing-only` grades only the checks that measure time (`timing` in the catalog): a change to how
they measure is accepted on their verdicts alone, in a fraction of the time.

`--busy` keeps one pure-Python busy loop running on the side for the whole run. `--bursty` is the
load of another grading or a teacher's batch: a competing loop that opens a pool of 2 workers, keeps
them busy for a random moment, closes it, pauses a random moment, and again (seeded with `--seed`,
so a run can be repeated). A verdict is wrong
when a check declared to fail passes, or a check not declared to fail neither passes nor says "Not
measurable". Each round prints one line; the summary counts wrong verdicts, "not measurable" checks,
and the slowest grade of the reference.
"""
from __future__ import annotations

import argparse
import compileall
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from conftest import ROOT, NOT_MEASURABLE, Declared, submission_with, variants, wrong_verdicts  # noqa: E402
from grader.catalog import load_catalog  # noqa: E402
from grader.runner import grade_exercise  # noqa: E402


# --bursty: how long a burst keeps its 2 workers busy, and how long the pause after it lasts, in
# seconds, each drawn uniformly: about as long as a round of exercise5's speedup check, so that a
# burst may cover one of its three timings and not the others.
BURST_SECONDS = (0.2, 1.5)
PAUSE_SECONDS = (0.2, 1.5)


def _spin(stop) -> None:
    while not stop.is_set():
        pass


def _spin_for(seconds: float) -> None:
    """A burst's task: keep a core busy for `seconds` of wall time (so a burst ends on time however
    loaded the machine is, and the run stops within one burst)."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


def _bursts(stop, seed: int) -> None:
    """Open a pool of 2 workers, keep both busy for a random moment, close it, pause, until `stop`."""
    rng = random.Random(seed)
    context = multiprocessing.get_context("fork")
    while not stop.is_set():
        burst = rng.uniform(*BURST_SECONDS)
        with context.Pool(2) as pool:
            pool.map(_spin_for, [burst, burst])
            pool.close()
            pool.join()
        stop.wait(rng.uniform(*PAUSE_SECONDS))


def _load(args, stop) -> multiprocessing.Process | None:
    """The competing process the options ask for, started; None for an idle run."""
    if args.busy:
        process = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    elif args.bursty:
        # Not a daemon: a daemonic process may not have children of its own (its pool).
        process = multiprocessing.Process(target=_bursts, args=(stop, args.seed))
    else:
        return None
    process.start()
    return process


def _wrong_verdicts(result, declared: Declared, known: set[str]) -> tuple[list[str], list]:
    """The wrong verdicts of one graded submission, and its checks that were not measurable."""
    checks = result.to_dict()["checks"]
    return wrong_verdicts(checks, declared, known), [c for c in result.checks if c.reason == NOT_MEASURABLE]


def _cases(exercise_id: str) -> list[tuple[str, Path, Declared]]:
    reference = ("reference", ROOT / "solutions", Declared())
    return [reference] + [(v.stem, v, Declared.of(v)) for v in variants(exercise_id)]


def run_round(exercise, workdir: Path, timing_only: bool = False) -> tuple[list[str], Counter, dict[str, float]]:
    """Grade the reference and every variant once (only the timing checks with `timing_only`);
    return the wrong verdicts, the not-measurable counts and every case's wall time."""
    wrong, unmeasured, seconds = [], Counter(), {}
    only = frozenset(spec.name for spec in exercise.checks if spec.timing) if timing_only else None
    known = {spec.name for spec in exercise.checks}
    for name, source, declared in _cases(exercise.id):
        folder = source if source.is_dir() else submission_with(workdir, exercise.module, source)
        started = time.perf_counter()
        result = grade_exercise(exercise, folder, include_hidden=True, only=only)
        seconds[name] = time.perf_counter() - started
        bad, skipped = _wrong_verdicts(result, declared, known)
        wrong += [f"{exercise.id}/{name}: {line}" for line in bad]
        unmeasured.update(f"{name}:{check.name}" for check in skipped)
        for check in skipped:
            print(f"  not measurable: {name}: {check.name}: {check.feedback[:400]}", flush=True)
    return wrong, unmeasured, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="+")
    parser.add_argument("--rounds", type=int, default=20)
    load = parser.add_mutually_exclusive_group()
    load.add_argument("--busy", action="store_true", help="keep one other core busy meanwhile")
    load.add_argument("--bursty", action="store_true",
                      help="meanwhile, a pool of 2 workers busy for a random moment, then closed, again and again")
    parser.add_argument("--seed", type=int, default=1, help="the seed of --bursty's random moments")
    parser.add_argument("--timing-only", action="store_true", help="grade only the checks that measure time")
    args = parser.parse_args()
    # As `pip install .` leaves it: from an editable install (a chroot of tools/test-on-python) the
    # grading child, another user, cannot write the grader's bytecode and would compile it every time.
    compileall.compile_dir(ROOT / "grader", quiet=1)
    catalog = load_catalog()
    stop = multiprocessing.Event()
    competitor = _load(args, stop)
    wrong_total, unmeasured_total, slowest = [], Counter(), Counter()
    # The longest grading of any variant, per exercise: (seconds, variant).
    slowest_variant: dict[str, tuple[float, str]] = {}
    try:
        for round_number in range(1, args.rounds + 1):
            for exercise_id in args.exercises:
                with tempfile.TemporaryDirectory() as workdir:
                    wrong, unmeasured, seconds = run_round(catalog[exercise_id], Path(workdir), args.timing_only)
                wrong_total += wrong
                unmeasured_total += unmeasured
                slowest[exercise_id] = max(slowest[exercise_id], seconds["reference"])
                longest = max((time_, name) for name, time_ in seconds.items())
                slowest_variant[exercise_id] = max(slowest_variant.get(exercise_id, longest), longest)
                print(f"round {round_number} {exercise_id}: {len(wrong)} wrong, "
                      f"{sum(unmeasured.values())} not measurable, reference {seconds['reference']:.1f} s, "
                      f"longest {longest[0]:.1f} s ({longest[1]})", flush=True)
                for line in wrong:
                    print("  WRONG", line, flush=True)
    finally:
        stop.set()
        if competitor:
            competitor.join()
    under = " with a busy core" if args.busy else " under bursty load" if args.bursty else ""
    print(f"\n{args.rounds} rounds{under}: {len(wrong_total)} wrong "
          f"verdicts; not measurable: {dict(unmeasured_total) or 'none'}; slowest reference grade: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in slowest.items())
          + "; longest grade: " + ", ".join(f"{k} {v:.1f} s ({name})" for k, (v, name) in slowest_variant.items()))
    return 1 if wrong_total else 0


if __name__ == "__main__":
    sys.exit(main())
