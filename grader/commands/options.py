"""What the commands (`grade` and its subcommands) share: `--path`, `--lang`, `--jobs`, the exercise
argument, and their usage errors in the reader's language."""
from __future__ import annotations

from pathlib import Path

from grader import language
from grader.catalog import Exercise, load_catalog, resolve
from grader.messages import Message, msg, render
from grader.submission import find_exercises_dir
from grader.usage import Parser, UsageError


def lang_of(argv: list[str]) -> str:
    """The language a command line asks for (`--lang`, else the locale), known before it is parsed."""
    return language.choose(language.requested(argv))


def parser(prog: str, description: Message, exercise: bool, lang: str) -> Parser:
    """A parser with `--path` and `--lang`, and an EXERCISE argument when `exercise` is true, whose
    help is in `lang`."""
    result = Parser(prog=prog, description=render(description, lang), lang=lang)
    if exercise:
        result.add_argument("exercise", metavar=render(msg("help.metavar.exercise"), lang),
                            help=render(msg("help.command.exercise"), lang))
    result.add_argument("--path", type=Path, metavar=render(msg("help.metavar.path"), lang),
                        help=render(msg("help.path"), lang))
    result.add_argument("--lang", choices=language.LANGUAGES, help=render(msg("help.command.lang"), lang))
    return result


def jobs(value: int | None, lang: str) -> int | None:
    """`--jobs` as given (None: not given), which must be at least 1."""
    if value is not None and value < 1:
        raise UsageError(render(msg("usage.jobs_below_one"), lang))
    return value


def submission_dir(path: Path | None, lang: str) -> Path:
    """The exercises folder: `--path`, else the project's `exercises/` found from here upward."""
    if path is None:
        found = find_exercises_dir(Path.cwd())
        if found is None:
            raise UsageError(render(msg("usage.no_exercises_dir"), lang))
        return found.resolve()
    if not path.is_dir():
        raise UsageError(render(msg("usage.no_such_folder", path=path), lang))
    return path.resolve()


def exercise(name: str, folder: Path, lang: str) -> Exercise:
    """The exercise `name` names, whose file must be in `folder`."""
    catalog = load_catalog()
    found = resolve(catalog, name)
    if found is None:
        raise UsageError(render(msg("usage.unknown_exercise", name=name, known=", ".join(catalog)), lang))
    if not (folder / found.module).is_file():
        raise UsageError(render(msg("usage.no_file", module=found.module, folder=folder), lang))
    return found
