"""The student copy of the course (`grade release OUT`): stubs, a README, and the grader without its
hidden checks, installable with `pip install .`, with a GitHub Classroom workflow.

What must never reach a student: solutions (the copy takes `exercises/` only, after checking that
every graded function there is still a stub and every answer still None) and hidden checks (their
catalog entries and test functions are cut out, see `grader.hidden`).
"""
from __future__ import annotations

import ast
import importlib.metadata
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import grader
from grader import classroom_workflow, hidden, yaml_text
from grader.catalog import Exercise, load_catalog
from grader.messages import Message, msg, render

DISTRIBUTION = "concurrency-grader"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


class ReleaseError(Exception):
    """The student copy cannot be made; `message` says why, in any language (str() in English)."""

    def __init__(self, message: Message):
        super().__init__(render(message))
        self.message = message


@dataclass(frozen=True)
class Release:
    """What `build` wrote: the copy's folder and the ids of its exercises."""

    out: Path
    exercises: tuple[str, ...]


def _top_level(source: str) -> dict[str, ast.stmt]:
    """The module's top-level functions and simple assignments, by name."""
    found: dict[str, ast.stmt] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            found.update((t.id, node) for t in node.targets if isinstance(t, ast.Name))
    return found


def _is_stub(node: ast.stmt) -> bool:
    """A function whose body raises NotImplementedError, or a constant assigned None."""
    if isinstance(node, ast.Assign):
        return isinstance(node.value, ast.Constant) and node.value.value is None
    return any(isinstance(statement, ast.Raise) and "NotImplementedError" in ast.unparse(statement.exc or statement)
               for statement in node.body)


def solved_targets(exercise: Exercise, source: str) -> list[str]:
    """The graded names (functions, answers) of an exercise file that are no longer stubs."""
    defined = _top_level(source)
    targets = dict.fromkeys(spec.target for spec in exercise.checks)
    return [name for name in targets if name in defined and not _is_stub(defined[name])]


def _copy_stubs(exercises: list[Exercise], stubs: Path, out: Path) -> None:
    (out / "exercises").mkdir()
    for exercise in exercises:
        source = stubs / exercise.module
        if not source.is_file():
            raise ReleaseError(msg("release.no_stub", module=exercise.module, folder=stubs))
        solved = solved_targets(exercise, source.read_text(encoding="utf-8"))
        if solved:
            raise ReleaseError(msg("release.solved", file=source, names=", ".join(solved)))
        shutil.copy(source, out / "exercises" / exercise.module)


def _copy_grader(out: Path) -> None:
    """The grader package, with the hidden checks cut out of every exercise."""
    package = out / "grader"
    shutil.copytree(Path(grader.__file__).parent, package, ignore=IGNORED)
    for catalog in sorted((package / "checks").glob("*.yaml")):
        module = catalog.with_suffix(".py")
        text = catalog.read_text(encoding="utf-8")
        names = hidden.hidden_check_names(text)
        try:
            module.write_text(hidden.strip_module(module.read_text(encoding="utf-8"), names), encoding="utf-8")
            catalog.write_text(hidden.strip_catalog(text), encoding="utf-8")
        except hidden.StripError as problem:
            raise ReleaseError(msg("release.grader_broken", problem=f"{catalog.name}: {problem}")) from None


def _package_data(package: Path) -> list[str]:
    """Glob patterns covering every file of the package that is not Python source."""
    patterns = {str(p.relative_to(package).parent / f"*{p.suffix}") if p.suffix else str(p.relative_to(package))
                for p in package.rglob("*") if p.is_file() and p.suffix != ".py"}
    return sorted(pattern.removeprefix("./") for pattern in patterns)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def pyproject_text(package: Path) -> str:
    """A pyproject.toml that installs the grader package in `package`'s parent, and nothing else."""
    try:
        metadata = importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ReleaseError(msg("release.not_installed", distribution=DISTRIBUTION)) from None
    requires = importlib.metadata.requires(DISTRIBUTION) or []
    plain = [r for r in requires if ";" not in r]
    plot = [r.split(";")[0].strip() for r in requires if 'extra == "plot"' in r]
    return "\n".join([
        "[build-system]",
        'requires = ["setuptools>=61"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{DISTRIBUTION}"',
        f'version = "{metadata["Version"]}"',
        f'description = "{metadata["Summary"]}"',
        'readme = "README.md"',
        f'requires-python = "{metadata["Requires-Python"] or ">=3.10"}"',
        f"dependencies = {_toml_list(plain)}",
        "",
        "[project.optional-dependencies]",
        f"plot = {_toml_list(plot)}",
        "",
        "[project.scripts]",
        'grade = "grader.cli:main"',
        "",
        "[tool.setuptools.packages.find]",
        'include = ["grader*"]',
        "",
        "[tool.setuptools.package-data]",
        f"grader = {_toml_list(_package_data(package))}",
        "",
    ])


def readme_text(exercises: list[Exercise]) -> str:
    """The student README, in English and Russian, listing what each exercise teaches."""
    templates = resources.files("grader").joinpath("templates")
    teaches = yaml_text.parse(templates.joinpath("course.yaml").read_text(encoding="utf-8"))
    missing = [e.id for e in exercises if e.id not in teaches]
    if missing:
        raise ReleaseError(msg("release.grader_broken",
                               problem=f"grader/templates/course.yaml says nothing of {', '.join(missing)}"))
    lists = {lang: "\n".join(f"- **{e.id}**, {e.title.get(lang)} (`exercises/{e.module}`). {teaches[e.id][lang]}"
                             for e in exercises) for lang in ("en", "ru")}
    template = templates.joinpath("student_readme.md").read_text(encoding="utf-8")
    return template.replace("{exercises_en}", lists["en"]).replace("{exercises_ru}", lists["ru"])


def build(out: Path, stubs: Path) -> Release:
    """Write the student copy into the new folder `out`, taking the exercise stubs from `stubs`."""
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(msg("release.out_not_empty", path=out))
    exercises = list(load_catalog().values())
    out.mkdir(parents=True, exist_ok=True)
    try:
        _copy_stubs(exercises, stubs, out)
        _copy_grader(out)
        (out / "README.md").write_text(readme_text(exercises), encoding="utf-8")
        (out / "pyproject.toml").write_text(pyproject_text(out / "grader"), encoding="utf-8")
        (out / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n", encoding="utf-8")
        released = list(load_catalog(out / "grader" / "checks").values())
        for path, text in ((classroom_workflow.WORKFLOW_PATH, classroom_workflow.workflow_text(released)),
                           (classroom_workflow.ACTION_PATH, classroom_workflow.action_text())):
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_text(text, encoding="utf-8")
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return Release(out, tuple(e.id for e in exercises))
