"""How many forced-preemption attempts exercise1's race checks need before a racy variant fails.

    python benchmarks/preemption_attempts.py [--runs 20] [--attempts 12] [--check prints] [--only two_printers]
                                             [--set wake_stall_chance=0.3 --set wake_stall_s=0.005]

For every exercise1 variant under tests/variants that declares a failure of a preempted check (the
count under forced thread switches, the printing order), and for every correct one, each run calls
the function as that check does, attempt after attempt with the check's sizes and seeds, and notes
the first attempt whose result is wrong. The table gives, per variant, the median and the worst first
failing attempt over the runs (and how many runs never failed): the number of attempts a check needs
is the worst over the racy variants, with a margin; a correct variant must never fail. The last
column is the wall time of one attempt (the mean over the runs): what a check pays per attempt.
`--set NAME=VALUE` tries a threshold other than the catalog's (a YAML value), so that a cut in sizes
or pauses is measured before it is made. A measurement that justifies the catalog's
`preempted_attempts`, not a test.
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
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.catalog import load_catalog  # noqa: E402
from grader.checks.exercise1 import printing_preemption  # noqa: E402
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


def _first_wrong_count(module, path: Path, attempts: int, locks: LockRegistry, thresholds: dict) -> int | None:
    for attempt in range(attempts):
        for n_threads, increments in thresholds["preempted_sizes"]:
            try:
                seen = observe_call(module.count_with_lock, n_threads, increments, student_file=str(path),
                                    preemption=Preemption(seed=attempt), locks=locks)
            except Exception:  # noqa: BLE001 - a variant that raises fails the check at this attempt
                return attempt
            if seen.result != n_threads * increments:
                return attempt
    return None


def _first_wrong_print(module, path: Path, attempts: int, locks: LockRegistry, thresholds: dict) -> int | None:
    for attempt in range(attempts):
        for n_threads in thresholds["sizes"]:
            stalls = printing_preemption(thresholds, attempt) if attempt else None
            try:
                seen = observe_call(module.count_with_queue, n_threads, student_file=str(path),
                                    preemption=stalls, locks=locks)
            except Exception:  # noqa: BLE001 - a variant that raises fails the check at this attempt
                return attempt
            printed = [line.strip() for line in seen.prints.text().splitlines() if line.strip()]
            if printed != [str(i) for i in range(1, n_threads + 1)]:
                return attempt
    return None


def _thresholds(check: str, settings: list[str]) -> dict:
    """The check's thresholds from the catalog, with each `NAME=VALUE` of `settings` put in."""
    thresholds = dict(EXERCISE.check(check).thresholds)
    for setting in settings:
        name, _, value = setting.partition("=")
        thresholds[name] = yaml.safe_load(value)
    return thresholds


def _first(path: Path, check: str, attempts: int, settings: list[str]) -> tuple[int | None, float]:
    """One run, in this process, as a grading child makes it: the lock factories are replaced for
    good, and the threads a racy variant leaves behind stay frozen, so each run needs a process.
    The first failing attempt, and the wall time per attempt made."""
    locks = LockRegistry(str(path))
    locks.install()
    module = _load(path)
    # Printed into memory, as into a check's capture: threads a racy variant leaves behind go on
    # printing, and several of them writing to the real stdout at once can crash the interpreter.
    sys.stdout = io.StringIO()
    first_wrong = _first_wrong_count if check == COUNT else _first_wrong_print
    started = time.perf_counter()
    first = first_wrong(module, path, attempts, locks, _thresholds(check, settings))
    made = attempts if first is None else first + 1
    return first, (time.perf_counter() - started) / made


def _run(path: Path, check: str, attempts: int, settings: list[str]) -> tuple[int | None, float]:
    command = [sys.executable, __file__, "--one", str(path), check, "--attempts", str(attempts)]
    done = subprocess.run(command + [f"--set={setting}" for setting in settings],
                          capture_output=True, text=True, check=True)
    # On stderr, marked: threads a racy variant leaves behind may still print on stdout.
    first, per_attempt = json.loads(next(line for line in done.stderr.splitlines() if line.startswith(MARK))[len(MARK):])
    return first, per_attempt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--attempts", type=int, default=12)
    parser.add_argument("--check", choices=("count", "prints"), help="only this check")
    parser.add_argument("--only", default="", help="only the variants whose name contains this")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a threshold of the check other than the catalog's")
    parser.add_argument("--one", nargs=2, metavar=("VARIANT", "CHECK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        first = _first(Path(args.one[0]), args.one[1], args.attempts, args.set)
        sys.stderr.write(MARK + json.dumps(first) + "\n")
        sys.stderr.flush()
        os._exit(0)  # the frozen threads of a racy variant are not waited for
    checks = [COUNT, PRINTS] if args.check is None else [COUNT if args.check == "count" else PRINTS]
    print(f"{'check':7} {'variant':45} {'median':>6} {'worst':>5} {'never':>5} {'s/attempt':>9}"
          "  (first failing attempt, 0-based)")
    for path in sorted(VARIANTS.glob("*.py")):
        correct = path.stem.startswith("correct")
        for check in checks:
            if args.only not in path.stem or (not correct and check not in _declared(path)):
                continue
            runs = [_run(path, check, args.attempts, args.set) for _ in range(args.runs)]
            failed = [first for first, _ in runs if first is not None]
            median = f"{statistics.median(failed):g}" if failed else "-"
            worst = f"{max(failed)}" if failed else "-"
            seconds = statistics.mean(per_attempt for _, per_attempt in runs)
            print(f"{'count' if check == COUNT else 'prints':7} {path.stem:45} {median:>6} {worst:>5} "
                  f"{len(runs) - len(failed):>5} {seconds:9.3f}", flush=True)


if __name__ == "__main__":
    main()
