"""What the student's commands (`list`, `hint`, `watch`) share: `--path`, `--lang`, the exercise
argument, and their usage errors in the student's language."""
from __future__ import annotations

from pathlib import Path

from grader import language
from grader.catalog import Exercise, load_catalog, resolve
from grader.phrases import say
from grader.submission import find_exercises_dir
from grader.usage import Parser, UsageError


def parser(prog: str, description: str, exercise: bool) -> Parser:
    """A parser with `--path` and `--lang`, and an EXERCISE argument when `exercise` is true."""
    result = Parser(prog=prog, description=description)
    if exercise:
        result.add_argument("exercise", metavar="EXERCISE", help="exercise id or number (exercise3 or 3)")
    result.add_argument("--path", type=Path,
                        help="folder holding the exercise files (default: the project's exercises/ folder)")
    result.add_argument("--lang", choices=language.LANGUAGES,
                        help="language of what is printed (default: from the locale)")
    return result


def submission_dir(path: Path | None, lang: str) -> Path:
    """The exercises folder: `--path`, else the project's `exercises/` found from here upward."""
    if path is None:
        found = find_exercises_dir(Path.cwd())
        if found is None:
            raise UsageError(say("usage.no_exercises_dir", lang))
        return found.resolve()
    if not path.is_dir():
        raise UsageError(say("usage.no_such_folder", lang, path=path))
    return path.resolve()


def exercise(name: str, folder: Path, lang: str) -> Exercise:
    """The exercise `name` names, whose file must be in `folder`."""
    catalog = load_catalog()
    found = resolve(catalog, name)
    if found is None:
        raise UsageError(say("usage.unknown_exercise", lang, name=name, known=", ".join(catalog)))
    if not (folder / found.module).is_file():
        raise UsageError(say("usage.no_file", lang, module=found.module, folder=folder))
    return found
