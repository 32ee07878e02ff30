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
from grader.commands import options
from grader.language import LANGUAGES
from grader.messages import msg, render
from grader.usage import Parser, UsageError


def build_parser(lang: str) -> Parser:
    """The parser of `grade batch`, its help in `lang`."""
    def text(message) -> str:
        return render(message, lang)

    parser = Parser(prog="grade batch", description=text(msg("help.batch.description")), lang=lang)
    parser.add_argument("submissions", type=Path, metavar=text(msg("help.metavar.submissions")),
                        help=text(msg("help.batch.submissions")))
    parser.add_argument("--out", type=Path, required=True, metavar=text(msg("help.metavar.results")),
                        help=text(msg("help.batch.out")))
    parser.add_argument("--roster", type=Path, metavar=text(msg("help.metavar.csv")), help=text(msg("help.batch.roster")))
    parser.add_argument("--exercises", metavar=text(msg("help.metavar.list")), help=text(msg("help.batch.exercises")))
    parser.add_argument("--jobs", type=int, default=1, metavar=text(msg("help.metavar.n")), help=text(msg("help.batch.jobs")))
    parser.add_argument("--scheduler", metavar=text(msg("help.metavar.address")), help=text(msg("help.batch.scheduler")))
    parser.add_argument("--regrade", action="store_true", help=text(msg("help.batch.regrade")))
    parser.add_argument("--retry-open", action="store_true", help=text(msg("help.batch.retry_open")))
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help=text(msg("help.batch.lang")))
    return parser


def chosen_exercises(text: str | None, lang: str = "en") -> list[Exercise]:
    """The exercises named in `text` ("1,3" or "exercise1,exercise3"), in catalog order; all when None."""
    catalog = load_catalog()
    if text is None:
        return list(catalog.values())
    chosen: dict[str, Exercise] = {}
    for name in (part.strip() for part in text.split(",")):
        exercise = resolve(catalog, name)
        if exercise is None:
            raise UsageError(render(msg("usage.batch.unknown_exercise", name=name, known=", ".join(catalog)), lang))
        chosen[exercise.id] = exercise
    return sorted(chosen.values(), key=lambda exercise: exercise.number)


def _executor(args, lang: str) -> Executor:
    if args.scheduler is None:
        return LocalExecutor(args.jobs)
    if args.jobs != 1:
        raise UsageError(render(msg("usage.batch.jobs_with_scheduler"), lang))
    from grader.batch.dask_executor import DaskExecutor  # Dask is imported only when asked for
    return DaskExecutor(args.scheduler)


def run(argv: list[str]) -> int:
    """Parse `argv`, run the batch, print its summary."""
    lang = options.lang_of(argv)
    args = build_parser(lang).parse_args(argv)
    options.jobs(args.jobs, lang)
    if not args.submissions.is_dir():
        raise UsageError(render(msg("usage.batch.no_submissions", path=args.submissions), lang))
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(render(msg("usage.batch.out_not_folder", path=args.out), lang))
    chosen = Options(submissions=args.submissions, out=args.out, exercises=chosen_exercises(args.exercises, lang),
                      executor=_executor(args, lang),
                      roster=read_roster(args.roster) if args.roster else None,
                      regrade=args.regrade, retry_open=args.retry_open, lang=args.lang)
    outcome = run_batch(chosen, sys.stderr)
    sys.stdout.write(outcome.summary)
    return 0
