"""`grade batch SUBMISSIONS --out RESULTS`: grade a whole class into a gradebook, resumably.

Exit codes: 0 when the batch ran to its end (whatever the students scored), 2 for a usage error.
"""
from __future__ import annotations

import sys
from pathlib import Path

from grader.batch.executor import Executor, LocalExecutor
from grader.batch.roster import read_roster
from grader.batch.run import Options, run_batch
from grader.catalog import Exercise, load_catalog, resolve
from grader.language import LANGUAGES
from grader.usage import Parser, UsageError


def build_parser() -> Parser:
    parser = Parser(prog="grade batch", description="Grade one folder or .zip per student into a gradebook.")
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                        help="folder holding one folder or .zip per student, named by the student's id")
    parser.add_argument("--out", type=Path, required=True, metavar="RESULTS",
                        help="folder for results.jsonl, gradebook.csv, checks.csv, feedback/, summary.md")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="CSV with columns id,name: names, and the students who submitted nothing")
    parser.add_argument("--exercises", metavar="LIST", help="only these exercises, e.g. 1,3 (default: all)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="grade N submissions side by side (timing checks still run alone)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on a Dask cluster (tcp://HOST:8786) instead of this machine")
    parser.add_argument("--regrade", action="store_true",
                        help="grade everything again, even what results.jsonl already holds")
    parser.add_argument("--retry-open", action="store_true",
                        help="also retry the not-measurable checks of results kept from earlier runs")
    parser.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="language of the students' feedback files (default: en)")
    return parser


def chosen_exercises(text: str | None) -> list[Exercise]:
    """The exercises named in `text` ("1,3" or "exercise1,exercise3"), in catalog order; all when None."""
    catalog = load_catalog()
    if text is None:
        return list(catalog.values())
    chosen: dict[str, Exercise] = {}
    for name in (part.strip() for part in text.split(",")):
        exercise = resolve(catalog, name)
        if exercise is None:
            raise UsageError(f"--exercises: unknown exercise '{name}' (known: {', '.join(catalog)})")
        chosen[exercise.id] = exercise
    return sorted(chosen.values(), key=lambda exercise: exercise.number)


def _executor(args) -> Executor:
    if args.scheduler is None:
        return LocalExecutor(args.jobs)
    if args.jobs != 1:
        raise UsageError("--jobs is for grading on this machine; with --scheduler the workers' cores decide")
    from grader.batch.dask_executor import DaskExecutor  # Dask is imported only when asked for
    return DaskExecutor(args.scheduler)


def run(argv: list[str]) -> int:
    """Parse `argv`, run the batch, print its summary."""
    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if not args.submissions.is_dir():
        raise UsageError(f"{args.submissions}: no such folder")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a folder")
    options = Options(submissions=args.submissions, out=args.out, exercises=chosen_exercises(args.exercises),
                      executor=_executor(args),
                      roster=read_roster(args.roster) if args.roster else None,
                      regrade=args.regrade, retry_open=args.retry_open, lang=args.lang)
    outcome = run_batch(options, sys.stderr)
    sys.stdout.write(outcome.summary)
    return 0
