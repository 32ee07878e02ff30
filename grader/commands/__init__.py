"""The `grade` subcommands besides grading itself (`grade batch`, `grade release`, ...).

Each subcommand is a module of this package with `run(argv: list[str]) -> int`; `SUBCOMMANDS` maps
the word a user types after `grade` to that module's name. A module is imported only when its word is
used, so that `grade 1` never pays for a teacher's tools.
"""
from __future__ import annotations

import importlib
from typing import Callable

SUBCOMMANDS: dict[str, str] = {
    "batch": "batch",
    "list": "list",
    "hint": "hint",
    "watch": "watch",
    "release": "release",
    "gradescope-bundle": "gradescope_bundle",
}


def find(word: str) -> Callable[[list[str]], int] | None:
    """The `run` function of the subcommand named `word`, or None when `word` names none."""
    module = SUBCOMMANDS.get(word)
    if module is None:
        return None
    return importlib.import_module(f"grader.commands.{module}").run
