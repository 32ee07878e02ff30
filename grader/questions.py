"""Grading a multiple-choice answer held in a module constant."""
from __future__ import annotations

from grader.catalog import CheckSpec, Text
from grader.feedback import fail, shown

LETTERS = "abcd"


def check_answer(value: object, spec: CheckSpec, lang: str = "en") -> None:
    """Pass if `value` is the catalog's answer letter; otherwise explain what was given."""
    __tracebackhide__ = True
    name = spec.target
    if value is None:
        fail(f"Not answered yet: {name} is still None.",
             f"{name} set to one lowercase letter from {', '.join(LETTERS)}",
             "The choices are listed in the module docstring.")
    if not isinstance(value, str) or value.strip().lower() not in LETTERS:
        fail(f"{name} is {shown(value)}, which is not one of the letters {', '.join(LETTERS)}.",
             f"{name} = \"a\" (or b, c, d): one lowercase letter")
    letter = value.strip().lower()
    if letter != spec.thresholds["answer"]:
        why_not = spec.thresholds.get("why_not", {}).get(letter)
        fail(f"{name} = {letter!r} is not the right explanation.",
             hint=Text.parse(why_not).get(lang) if why_not else "")
