"""The `grade` command: which exercises, which submission, which report format.

Exit codes: 0 full marks, 1 not full marks, 2 usage error (with a one-line message on stderr).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import commands
from grader.catalog import CatalogError, Exercise, load_catalog, resolve
from grader.report import Report
from grader.runner import grade_exercise
from grader.submission import find_exercises_dir
from grader.usage import EXIT_USAGE, Parser, UsageError
from grader.writers import WRITERS

EXIT_FULL_MARKS, EXIT_NOT_FULL = 0, 1


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="grade", description="Grade concurrency exercises and explain the verdicts.")
    parser.add_argument("exercises", nargs="*", metavar="EXERCISE",
                        help="exercise id or number (exercise1 or 1); default: every exercise")
    parser.add_argument("--path", type=Path,
                        help="folder holding the exercise files (default: the project's exercises/ folder)")
    parser.add_argument("--format", choices=sorted(WRITERS), default="text", help="report format")
    parser.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    parser.add_argument("--include-hidden", action="store_true",
                        help="also run hidden checks and count them (the teacher's view)")
    parser.add_argument("--sandbox", action="store_true",
                        help="also say which confinement layers protected the run (stderr)")
    return parser


def _submission_dir(path: Path | None) -> Path:
    if path is None:
        found = find_exercises_dir(Path.cwd())
        if found is None:
            raise UsageError("no exercises/ folder found here or above; give one with --path DIR")
        return found.resolve()
    if not path.is_dir():
        raise UsageError(f"--path {path}: no such folder")
    return path.resolve()


def _chosen_exercises(names: list[str], submission_dir: Path) -> list[Exercise]:
    catalog = load_catalog()
    if not names:
        present = [e for e in catalog.values() if (submission_dir / e.module).is_file()]
        if not present:
            raise UsageError(f"no exercise file in {submission_dir} (expected e.g. {next(iter(catalog.values())).module})")
        return present
    chosen = []
    for name in names:
        exercise = resolve(catalog, name)
        if exercise is None:
            raise UsageError(f"unknown exercise '{name}' (known: {', '.join(catalog)})")
        if not (submission_dir / exercise.module).is_file():
            raise UsageError(f"no file {exercise.module} in {submission_dir}")
        chosen.append(exercise)
    return chosen


def _describe_sandbox(layers: dict) -> str:
    lines = ["Confinement of the grading processes:"]
    lines += [f"  on   {name}: {what}" for name, what in layers.get("active", {}).items()]
    lines += [f"  off  {name}: {why}" for name, why in layers.get("skipped", {}).items()]
    if layers.get("output_cut"):
        lines.append(f"  note output cut: {layers['output_cut']}")
    return "\n".join(lines) + "\n"


def run(argv: list[str]) -> int:
    """Parse `argv`, grade (or run the subcommand it names), write the report; return the exit code."""
    subcommand = commands.find(argv[0]) if argv else None
    if subcommand is not None:
        return subcommand(argv[1:])
    args = build_parser().parse_args(argv)
    submission_dir = _submission_dir(args.path)
    exercises = _chosen_exercises(args.exercises, submission_dir)
    report = Report([grade_exercise(e, submission_dir, args.include_hidden) for e in exercises])
    text = WRITERS[args.format](report)
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as problem:
            raise UsageError(f"--output {args.output}: {problem.strerror}") from None
    else:
        sys.stdout.write(text)
    if args.sandbox:
        sys.stderr.write(_describe_sandbox(report.sandbox))
    return EXIT_FULL_MARKS if report.full_marks else EXIT_NOT_FULL


def main(argv: list[str] | None = None) -> int:
    """Console entry point of `grade`."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except UsageError as problem:
        print(f"grade: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except CatalogError as problem:
        print(f"grade: the grader's exercise catalog is broken, please report it: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("grade: interrupted", file=sys.stderr)
        return 130
