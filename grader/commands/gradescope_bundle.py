"""`grade gradescope-bundle OUT.zip [EXERCISE ...]`: the autograder zip to upload to Gradescope.

The zip holds `setup.sh` and `run_autograder` at its root (as Gradescope requires) and the grader
with its hidden checks under `grader-src/`, which setup.sh installs.
"""
from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

import grader
from grader.catalog import load_catalog, resolve
from grader.release import ReleaseError, pyproject_text
from grader.commands import options
from grader.language import LANGUAGES
from grader.messages import msg, render
from grader.usage import Parser, UsageError

SOURCE = "grader-src"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")
EXECUTABLE = 0o755


def _parser(lang: str) -> Parser:
    parser = Parser(prog="grade gradescope-bundle", description=render(msg("help.bundle.description"), lang),
                    lang=lang)
    parser.add_argument("out", type=Path, metavar=render(msg("help.metavar.zip"), lang),
                        help=render(msg("help.bundle.out"), lang))
    parser.add_argument("exercises", nargs="*", metavar=render(msg("help.metavar.exercise"), lang),
                        help=render(msg("help.bundle.exercises"), lang))
    parser.add_argument("--lang", choices=LANGUAGES, help=render(msg("help.teacher.lang"), lang))
    return parser


def _template(name: str) -> str:
    return resources.files("grader").joinpath("templates", name).read_text(encoding="utf-8")


def _add(archive: zipfile.ZipFile, name: str, text: str, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def write_bundle(out: Path, exercise_ids: list[str]) -> None:
    """Write the zip: setup.sh, run_autograder (grading `exercise_ids`) and the grader's source."""
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "grader"
        shutil.copytree(Path(grader.__file__).parent, package, ignore=IGNORED)
        with zipfile.ZipFile(out, "w") as archive:
            _add(archive, "setup.sh", _template("gradescope_setup.sh"), EXECUTABLE)
            _add(archive, "run_autograder",
                 _template("gradescope_run_autograder").replace("{exercises}", " ".join(exercise_ids)), EXECUTABLE)
            _add(archive, f"{SOURCE}/pyproject.toml", pyproject_text(package))
            _add(archive, f"{SOURCE}/README.md", "The course's grader, hidden checks included; setup.sh installs it.\n")
            for path in sorted(package.rglob("*")):
                if path.is_file():
                    _add(archive, f"{SOURCE}/{path.relative_to(folder).as_posix()}", path.read_text(encoding="utf-8"))


def run(argv: list[str]) -> int:
    """Write the bundle; 0 when written."""
    lang = options.lang_of(argv)
    args = _parser(lang).parse_args(argv)
    catalog = load_catalog()
    chosen = [resolve(catalog, name) for name in args.exercises] or list(catalog.values())
    unknown = [name for name, e in zip(args.exercises, chosen) if e is None]
    if unknown:
        raise UsageError(render(msg("usage.unknown_exercise", name=unknown[0], known=", ".join(catalog)), lang))
    if args.out.suffix != ".zip":
        raise UsageError(render(msg("usage.bundle.not_zip", path=args.out), lang))
    try:
        write_bundle(args.out, [e.id for e in chosen])
    except OSError as problem:
        raise UsageError(render(msg("usage.output_not_written", path=args.out, problem=problem.strerror), lang)) from None
    except ReleaseError as problem:
        raise UsageError(render(problem.message, lang)) from None
    print(render(msg("bundle.written", exercises=", ".join(e.id for e in chosen), out=args.out), lang))
    return 0
