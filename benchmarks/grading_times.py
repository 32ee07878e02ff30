"""How long `grade` takes on the reference solutions, exercise by exercise: a benchmark, not a test.

    python benchmarks/grading_times.py            # best of 3 for each exercise, and all five at once
    python benchmarks/grading_times.py --rounds 5 exercise1 exercise3

Each round times the real command (`python -m grader N --path solutions --format json`) once per
exercise and once for all five, interleaved, so that a busy moment of the machine spreads over every
column instead of falling on one; the table shows the best round of each, beside the goals the
project holds itself to. Run it on an idle machine: it measures speed, it judges nothing.
"""
from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.catalog import load_catalog  # noqa: E402

# Seconds, on a 2-core machine: what a student waiting on `grade N` (and `grade watch`) should get.
GOALS = {"exercise1": 1.5, "exercise2": 1.5, "exercise3": 3.0, "exercise4": 3.0, "exercise5": 6.0, "all": 15.0}


def _time_grade(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", *args, "--path", str(ROOT / "solutions"), "--format", "json"],
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def measure(exercises: list[str], rounds: int) -> dict[str, list[float]]:
    """Every exercise's times (and "all": the whole course in one command), one per round."""
    times: dict[str, list[float]] = {name: [] for name in [*exercises, "all"]}
    for _ in range(rounds):
        for name in exercises:
            times[name].append(_time_grade([name]))
        times["all"].append(_time_grade(exercises))
    return times


def table(times: dict[str, list[float]]) -> str:
    """A Markdown table: the best and the median round of each column, and its goal."""
    names = list(times)
    rows = [
        "| | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        "| best | " + " | ".join(f"{min(times[n]):.2f} s" for n in names) + " |",
        "| median | " + " | ".join(f"{sorted(times[n])[len(times[n]) // 2]:.2f} s" for n in names) + " |",
        "| goal | " + " | ".join(f"{GOALS.get(n, float('nan')):.1f} s" for n in names) + " |",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", help="exercise ids (default: all five)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of measurement (default 3)")
    args = parser.parse_args()
    exercises = args.exercises or list(load_catalog())
    # As `pip install .` leaves it: from an editable install the grading child (another user) cannot
    # write the grader's bytecode, and would time compiling it in every grading.
    compileall.compile_dir(ROOT / "grader", quiet=1)
    times = measure(exercises, args.rounds)
    print(f"grade on the reference solutions, {args.rounds} rounds, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(table(times))


if __name__ == "__main__":
    main()
