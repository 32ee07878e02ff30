"""The `grade` command: which exercises, which submission, which report format.

Exit codes: 0 full marks, 1 not full marks, 2 usage error (with a one-line message on stderr).
Its help and its usage errors are in the language of `--lang`, else of the locale.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import commands, progress
from grader.catalog import CatalogError, Exercise, load_catalog
from grader.commands import options
from grader.interpreter import Interpreter
from grader.language import LANGUAGES
from grader.messages import Message, msg, render
from grader.report import Report
from grader.course import grade_course
from grader.usage import EXIT_USAGE, Parser, UsageError
from grader.writers import WRITERS, colour

EXIT_FULL_MARKS, EXIT_NOT_FULL = 0, 1


def build_parser(lang: str) -> argparse.ArgumentParser:
    """The parser of `grade` itself, its help in `lang`."""
    parser = Parser(prog="grade", description=render(msg("help.grade.description"), lang), lang=lang)
    parser.add_argument("exercises", nargs="*", metavar=render(msg("help.metavar.exercise"), lang),
                        help=render(msg("help.grade.exercises"), lang))
    parser.add_argument("--path", type=Path, metavar=render(msg("help.metavar.path"), lang),
                        help=render(msg("help.path"), lang))
    parser.add_argument("--format", choices=sorted(WRITERS), default="text",
                        help=render(msg("help.grade.format"), lang))
    parser.add_argument("--output", type=Path, metavar=render(msg("help.metavar.output"), lang),
                        help=render(msg("help.grade.output"), lang))
    parser.add_argument("--include-hidden", action="store_true", help=render(msg("help.grade.include_hidden"), lang))
    parser.add_argument("--lang", choices=LANGUAGES, help=render(msg("help.grade.lang"), lang))
    parser.add_argument("--sandbox", action="store_true", help=render(msg("help.grade.sandbox"), lang))
    parser.add_argument("--check", action="append", metavar=render(msg("help.metavar.check"), lang),
                        help=render(msg("help.grade.check"), lang))
    parser.add_argument("--jobs", type=int, metavar=render(msg("help.metavar.n"), lang),
                        help=render(msg("help.grade.jobs"), lang))
    return parser


def _chosen_checks(names: list[str] | None, exercises: list[Exercise], lang: str) -> frozenset[str] | None:
    """The check names `--check` gives (each may list several, comma-separated), all known to the
    exercises graded; None when every check is wanted."""
    if not names:
        return None
    wanted = frozenset(name.strip() for given in names for name in given.split(",") if name.strip())
    known = {spec.name for exercise in exercises for spec in exercise.checks}
    unknown = sorted(wanted - known)
    if unknown:
        raise UsageError(render(msg("usage.unknown_check", name=unknown[0],
                                    exercises=", ".join(e.id for e in exercises)), lang))
    return wanted


def _chosen_exercises(names: list[str], submission_dir: Path, lang: str) -> list[Exercise]:
    catalog = load_catalog()
    if not names:
        present = [e for e in catalog.values() if (submission_dir / e.module).is_file()]
        if not present:
            example = next(iter(catalog.values())).module
            raise UsageError(render(msg("usage.no_exercise_file", folder=submission_dir, example=example), lang))
        return present
    return [options.exercise(name, submission_dir, lang) for name in names]


def _said(layers: dict, part: str, name: str, text: str) -> Message | str:
    """A layer's description (or a note) as the message the report keeps, else its English `text`."""
    data = layers.get("said", {}).get(part, {}).get(name)
    return Message.from_data(data) if data else text


def _describe_sandbox(layers: dict, lang: str) -> str:
    lines = [msg("sandbox.heading")]
    lines += [msg("sandbox.active", layer=name, what=_said(layers, "active", name, what))
              for name, what in layers.get("active", {}).items()]
    lines += [msg("sandbox.skipped", layer=name, why=_said(layers, "skipped", name, why))
              for name, why in layers.get("skipped", {}).items()]
    if layers.get("output_cut"):
        lines.append(msg("sandbox.output_cut", what=_said(layers, "notes", "output_cut", layers["output_cut"])))
    return "\n".join(render(line, lang) for line in lines) + "\n"


def _write(text: str, output: Path | None, lang: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as problem:
        raise UsageError(render(msg("usage.output_not_written", path=output, problem=problem.strerror), lang)) from None


def run(argv: list[str]) -> int:
    """Parse `argv`, grade (or run the subcommand it names), write the report; return the exit code."""
    subcommand = commands.find(argv[0]) if argv else None
    if subcommand is not None:
        return subcommand(argv[1:])
    lang = options.lang_of(argv)
    args = build_parser(lang).parse_args(argv)
    submission_dir = options.submission_dir(args.path, lang)
    exercises = _chosen_exercises(args.exercises, submission_dir, lang)
    only = _chosen_checks(args.check, exercises, lang)
    workers = options.jobs(args.jobs, lang)
    report = Report(grade_course(exercises, submission_dir, args.include_hidden, lang, only, workers=workers),
                    lang, Interpreter.current().to_dict())
    if not args.include_hidden and only is None:
        # The student's own full run: remembered for `grade list` and `grade hint`.
        progress.record(submission_dir, report)
    if args.format == "text" and not args.output and colour.wanted(sys.stdout):
        from grader.writers import terminal  # rich, only for a terminal

        terminal.show(report, terminal.console_for(sys.stdout), lang)
    else:
        _write(WRITERS[args.format](report), args.output, lang)
    if args.sandbox:
        sys.stderr.write(_describe_sandbox(report.sandbox, lang))
    return EXIT_FULL_MARKS if report.full_marks else EXIT_NOT_FULL


def main(argv: list[str] | None = None) -> int:
    """Console entry point of `grade`."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except UsageError as problem:
        print(f"grade: {problem.text(options.lang_of(argv))}", file=sys.stderr)
        return EXIT_USAGE
    except CatalogError as problem:
        print("grade: " + render(msg("usage.broken_catalog", problem=str(problem)), options.lang_of(argv)),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("grade: " + render(msg("usage.interrupted"), options.lang_of(argv)), file=sys.stderr)
        return 130
