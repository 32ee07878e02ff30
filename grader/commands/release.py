"""`grade release OUT`: write the student copy of the course (see `grader.release`)."""
from __future__ import annotations

from pathlib import Path

from grader import release
from grader.submission import find_exercises_dir
from grader.usage import Parser, UsageError


def _parser() -> Parser:
    parser = Parser(prog="grade release",
                    description="Write what students get: exercise stubs, a README, and the grader "
                                "without its hidden checks, with a GitHub Classroom workflow.")
    parser.add_argument("out", type=Path, metavar="OUT", help="new folder for the student copy")
    parser.add_argument("--path", type=Path,
                        help="folder holding the exercise stubs (default: the project's exercises/ folder)")
    return parser


def run(argv: list[str]) -> int:
    """Write the student copy; 0 when written."""
    args = _parser().parse_args(argv)
    stubs = args.path or find_exercises_dir(Path.cwd())
    if stubs is None or not stubs.is_dir():
        raise UsageError("no exercises/ folder of stubs found; give one with --path DIR")
    try:
        written = release.build(args.out, stubs)
    except release.ReleaseError as problem:
        raise UsageError(str(problem)) from None
    print(f"Wrote the student copy of {', '.join(written.exercises)} to {written.out}")
    return 0
