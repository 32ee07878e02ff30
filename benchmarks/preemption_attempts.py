"""How many forced-preemption attempts exercise1's race checks need before a racy variant fails.

    python benchmarks/preemption_attempts.py [--runs 20] [--attempts 12]

For every exercise1 variant under tests/variants that declares a failure of a preempted check (the
count under forced thread switches, the printing order), and for every correct one, each run calls
the function as that check does, attempt after attempt with the check's sizes and seeds, and notes
the first attempt whose result is wrong. The table gives, per variant, the median and the worst first
failing attempt over the runs (and how many runs never failed): the number of attempts a check needs
is the worst over the racy variants, with a margin; a correct variant must never fail. A measurement
that justifies the catalog's `preempted_attempts`, not a test.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.catalog import load_catalog  # noqa: E402
from grader.probes.locks import LockRegistry  # noqa: E402
from grader.probes.observe import observe_call  # noqa: E402
from grader.probes.tracing import Preemption  # noqa: E402

EXERCISE = load_catalog()["exercise1"]
VARIANTS = ROOT / "tests" / "variants" / "exercise1"
COUNT = "test_count_with_lock_keeps_every_increment_when_threads_switch"
PRINTS = "test_count_with_queue_prints_1_to_n_in_order"
MARK = "first failing attempt: "


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"variant_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _declared(path: Path) -> str:
    first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# expect-fail:")), "")
    return first


def _first_wrong_count(module, path: Path, attempts: int, locks: LockRegistry) -> int | None:
    for attempt in range(attempts):
        for n_threads, increments in EXERCISE.check(COUNT).thresholds["preempted_sizes"]:
            try:
                seen = observe_call(module.count_with_lock, n_threads, increments, student_file=str(path),
                                    preemption=Preemption(seed=attempt), locks=locks)
            except Exception:  # noqa: BLE001 - a variant that raises fails the check at this attempt
                return attempt
            if seen.result != n_threads * increments:
                return attempt
    return None


def _first_wrong_print(module, path: Path, attempts: int, locks: LockRegistry) -> int | None:
    thresholds = EXERCISE.check(PRINTS).thresholds
    for attempt in range(attempts):
        for n_threads in thresholds["sizes"]:
            stalls = Preemption(long_pause_chance=thresholds["stall_chance"], long_pause_s=thresholds["stall_s"],
                                seed=attempt)
            try:
                seen = observe_call(module.count_with_queue, n_threads, student_file=str(path),
                                    preemption=stalls if attempt else None, locks=locks)
            except Exception:  # noqa: BLE001 - a variant that raises fails the check at this attempt
                return attempt
            printed = [line.strip() for line in seen.prints.text().splitlines() if line.strip()]
            if printed != [str(i) for i in range(1, n_threads + 1)]:
                return attempt
    return None


def _first(path: Path, check: str, attempts: int) -> int | None:
    """One run, in this process, as a grading child makes it: the lock factories are replaced for
    good, and the threads a racy variant leaves behind stay frozen, so each run needs a process."""
    locks = LockRegistry(str(path))
    locks.install()
    module = _load(path)
    # Printed into memory, as into a check's capture: threads a racy variant leaves behind go on
    # printing, and several of them writing to the real stdout at once can crash the interpreter.
    sys.stdout = io.StringIO()
    first_wrong = _first_wrong_count if check == COUNT else _first_wrong_print
    return first_wrong(module, path, attempts, locks)


def _run(path: Path, check: str, attempts: int) -> int | None:
    done = subprocess.run([sys.executable, __file__, "--one", str(path), check, "--attempts", str(attempts)],
                          capture_output=True, text=True, check=True)
    # On stderr, marked: threads a racy variant leaves behind may still print on stdout.
    return json.loads(next(line for line in done.stderr.splitlines() if line.startswith(MARK))[len(MARK):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--attempts", type=int, default=12)
    parser.add_argument("--one", nargs=2, metavar=("VARIANT", "CHECK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        first = _first(Path(args.one[0]), args.one[1], args.attempts)
        sys.stderr.write(MARK + json.dumps(first) + "\n")
        sys.stderr.flush()
        os._exit(0)  # the frozen threads of a racy variant are not waited for
    print(f"{'check':7} {'variant':45} {'median':>6} {'worst':>5} {'never':>5}  (first failing attempt, 0-based)")
    for path in sorted(VARIANTS.glob("*.py")):
        correct = path.stem.startswith("correct")
        for check in (COUNT, PRINTS):
            if not correct and check not in _declared(path):
                continue
            firsts = [_run(path, check, args.attempts) for _ in range(args.runs)]
            failed = [f for f in firsts if f is not None]
            median = f"{statistics.median(failed):g}" if failed else "-"
            worst = f"{max(failed)}" if failed else "-"
            print(f"{'count' if check == COUNT else 'prints':7} {path.stem:45} {median:>6} {worst:>5} "
                  f"{len(firsts) - len(failed):>5}", flush=True)


if __name__ == "__main__":
    main()
