"""Grading a multiple-choice answer held in a module constant."""
from __future__ import annotations

from grader.catalog import CheckSpec, Text
from grader.feedback import fail, shown
from grader.messages import msg

LETTERS = "abcd"


def check_answer(value: object, spec: CheckSpec) -> None:
    """Pass if `value` is the catalog's answer letter; otherwise explain what was given."""
    __tracebackhide__ = True
    name = spec.target
    if value is None:
        fail("answer.not_answered", name=name, letters=", ".join(LETTERS))
    if not isinstance(value, str) or value.strip().lower() not in LETTERS:
        fail("answer.not_a_letter", name=name, value=shown(value), letters=", ".join(LETTERS))
    letter = value.strip().lower()
    if letter != spec.thresholds["answer"]:
        why_not = spec.thresholds.get("why_not", {}).get(letter)
        fail("answer.wrong", name=name, letter=repr(letter),
             hint=msg("answer.why_not", why=Text.parse(why_not).translations()) if why_not else None)
