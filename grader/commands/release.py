"""`grade release OUT`: write the student copy of the course (see `grader.release`)."""
from __future__ import annotations

from pathlib import Path

from grader import release
from grader.commands import options
from grader.language import LANGUAGES
from grader.messages import msg, render
from grader.submission import find_exercises_dir
from grader.usage import Parser, UsageError


def _parser(lang: str) -> Parser:
    parser = Parser(prog="grade release", description=render(msg("help.release.description"), lang), lang=lang)
    parser.add_argument("out", type=Path, metavar=render(msg("help.metavar.out"), lang),
                        help=render(msg("help.release.out"), lang))
    parser.add_argument("--path", type=Path, metavar=render(msg("help.metavar.path"), lang),
                        help=render(msg("help.release.path"), lang))
    parser.add_argument("--lang", choices=LANGUAGES, help=render(msg("help.teacher.lang"), lang))
    return parser


def run(argv: list[str]) -> int:
    """Write the student copy; 0 when written."""
    lang = options.lang_of(argv)
    args = _parser(lang).parse_args(argv)
    stubs = args.path or find_exercises_dir(Path.cwd())
    if stubs is None or not stubs.is_dir():
        raise UsageError(render(msg("usage.release.no_stubs"), lang))
    try:
        written = release.build(args.out, stubs)
    except release.ReleaseError as problem:
        raise UsageError(render(problem.message, lang)) from None
    print(render(msg("release.written", exercises=", ".join(written.exercises), out=written.out), lang))
    return 0
