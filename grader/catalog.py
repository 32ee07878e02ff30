"""The exercise catalog: what each exercise is, which checks grade it, and what they are worth.

Each exercise is described by one YAML file in `grader/checks/` (beside the pytest module that
implements its checks), so adding an exercise means adding files, never editing this module.
Texts shown to people (titles, hints) may be a plain string or a mapping of language to string.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from grader import yaml_text

CHECKS_DIR = Path(__file__).parent / "checks"
VISIBILITIES = ("visible", "hidden")
# What a check judges. `concurrency` checks judge how the concurrent work is done (threads joined, a
# lock held, a pool closed, a speedup) and earn their points only when the function did that work
# the way the exercise asks; the others judge a value (`result`), the argument checks (`arguments`)
# or a multiple-choice answer (`answer`).
KINDS = ("answer", "result", "arguments", "concurrency")
DEFAULT_CHECK_TIMEOUT = 10.0
# Most checks take a few hundredths of a second; the longer ones say how long in the catalog.
DEFAULT_CHECK_SECONDS = 0.05
# After a function hung in one check, a later check that calls it waits this long at most: several
# times what any check's call takes on the reference, far shorter than a hang's first cost.
AFTER_HANG_TIMEOUT_S = 1.5


class CatalogError(Exception):
    """The catalog itself is malformed: a bug in the grader, not in a submission."""


@dataclass(frozen=True)
class Text:
    """A text with translations; English is always present."""

    en: str
    ru: str | None = None

    @classmethod
    def parse(cls, value: Any) -> "Text":
        if isinstance(value, str):
            return cls(en=value.strip())
        if isinstance(value, dict) and "en" in value:
            ru = value.get("ru")
            return cls(en=str(value["en"]).strip(), ru=str(ru).strip() if ru else None)
        raise CatalogError(f"expected a text or a mapping with 'en', got {value!r}")

    def get(self, lang: str = "en") -> str:
        """The text in `lang`, falling back to English where no translation exists."""
        return (self.ru if lang == "ru" else None) or self.en

    def translations(self) -> dict[str, str]:
        """Every language's text, by language: the form a message value takes (`grader.messages`)."""
        return {"en": self.en, **({"ru": self.ru} if self.ru else {})}


@dataclass(frozen=True)
class CheckSpec:
    """One graded behaviour: a pytest test in the exercise's check module."""

    name: str
    target: str
    kind: str
    points: float
    visibility: str
    hint: Text
    timeout: float = DEFAULT_CHECK_TIMEOUT
    thresholds: dict[str, Any] = field(default_factory=dict)
    # Hints beyond the first (`hints:` in the YAML), each more concrete than the one before, never
    # the solution: `grade hint` gives them one level at a time.
    more_hints: tuple[Text, ...] = ()
    # The check measures time (a speedup, a timing it compares or shows): work running beside it on
    # the same machine would change its verdict, so a batch grades it with nothing beside it.
    timing: bool = False
    # The student's functions the check calls besides its target (`also_calls:` in the YAML): a
    # check of `benchmark` runs the student's `multiprocess` too, and hangs where it hangs.
    also_calls: tuple[str, ...] = ()
    # About how long the check takes on the reference solution on two idle cores (`seconds:` in the
    # YAML): what a grading splits an exercise's checks by, to run them side by side.
    seconds: float = DEFAULT_CHECK_SECONDS

    @property
    def calls(self) -> tuple[str, ...]:
        """Every function of the student's that this check calls, its target first."""
        return (self.target, *self.also_calls)

    @property
    def timeout_after_hang(self) -> float:
        """How long the check waits once a function it calls has hung in an earlier check."""
        return min(self.timeout, AFTER_HANG_TIMEOUT_S)

    @property
    def hidden(self) -> bool:
        return self.visibility == "hidden"

    @property
    def hint_levels(self) -> tuple[Text, ...]:
        """Every hint of the check, the catalog's `hint` first, then each level of `hints`."""
        return (self.hint, *self.more_hints) if self.hint.en else self.more_hints


@dataclass(frozen=True)
class Exercise:
    """An exercise: the student's module file and the checks that grade it."""

    id: str
    number: int
    title: Text
    module: str
    checks: tuple[CheckSpec, ...]
    check_module: Path
    time_limit: float | None = None
    # Modules the grading children of this exercise import, whoever imports them (`preload:` in the
    # YAML): the fork server that forks those children imports them once, before the first
    # (grader.forkserver), instead of every child importing them again.
    preload: tuple[str, ...] = ()

    @property
    def module_name(self) -> str:
        return self.module.removesuffix(".py")

    @property
    def has_timing(self) -> bool:
        """Whether any check of this exercise measures time (see `CheckSpec.timing`)."""
        return any(spec.timing for spec in self.checks)

    def check(self, name: str) -> CheckSpec:
        for spec in self.checks:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def hard_limit(self, checks: list[CheckSpec]) -> float:
        """Wall-clock seconds after which a whole run of `checks` is cut off."""
        budget = sum(spec.timeout for spec in checks) + 15.0
        return min(budget, self.time_limit) if self.time_limit else budget


def _parse_check(raw: dict, source: Path) -> CheckSpec:
    try:
        spec = CheckSpec(
            name=raw["name"],
            target=raw["target"],
            kind=raw["kind"],
            points=float(raw["points"]),
            visibility=raw.get("visibility", "visible"),
            hint=Text.parse(raw.get("hint", "")),
            timeout=float(raw.get("timeout", DEFAULT_CHECK_TIMEOUT)),
            thresholds=dict(raw.get("thresholds") or {}),
            more_hints=tuple(Text.parse(text) for text in raw.get("hints") or ()),
            timing=raw.get("timing", False),
            also_calls=tuple(raw.get("also_calls") or ()),
            seconds=float(raw.get("seconds", DEFAULT_CHECK_SECONDS)),
        )
    except KeyError as missing:
        raise CatalogError(f"{source}: a check lacks {missing}") from None
    except (TypeError, ValueError) as problem:
        raise CatalogError(f"{source}: {raw.get('name')}: {problem}") from None
    if spec.kind not in KINDS:
        raise CatalogError(f"{source}: {spec.name}: kind must be one of {KINDS}")
    if not isinstance(spec.timing, bool):
        raise CatalogError(f"{source}: {spec.name}: timing must be true or false")
    if spec.visibility not in VISIBILITIES:
        raise CatalogError(f"{source}: {spec.name}: visibility must be one of {VISIBILITIES}")
    return spec


def load_exercise(path: Path) -> Exercise:
    """Read one exercise's YAML file."""
    raw = yaml_text.parse(path.read_text(encoding="utf-8"))
    try:
        exercise = Exercise(
            id=raw["id"],
            number=int(raw["number"]),
            title=Text.parse(raw["title"]),
            module=raw["module"],
            checks=tuple(_parse_check(c, path) for c in raw["checks"]),
            check_module=path.with_suffix(".py"),
            time_limit=raw.get("time_limit"),
            preload=tuple(raw.get("preload") or ()),
        )
    except (KeyError, TypeError) as problem:
        raise CatalogError(f"{path}: malformed exercise entry ({problem})") from None
    if not exercise.check_module.exists():
        raise CatalogError(f"{path}: no check module {exercise.check_module.name} beside it")
    return exercise


def load_catalog(directory: Path = CHECKS_DIR) -> dict[str, Exercise]:
    """Every exercise of the catalog, by id, in exercise order."""
    return dict(_catalog_in(directory))


@lru_cache(maxsize=8)
def _catalog_in(directory: Path) -> dict[str, Exercise]:
    # Read once per process: the catalog's files do not change while the grader runs.
    exercises = [load_exercise(path) for path in sorted(directory.glob("*.yaml"))]
    return {e.id: e for e in sorted(exercises, key=lambda e: e.number)}


def resolve(catalog: dict[str, Exercise], name: str) -> Exercise | None:
    """Find an exercise by id (`exercise1`), number (`1`) or module file name."""
    for exercise in catalog.values():
        if name in (exercise.id, str(exercise.number), exercise.module, exercise.module_name):
            return exercise
    return None
