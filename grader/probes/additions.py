"""Whole numbers that remember which thread added them: evidence of who did the summing.

Each element of an input is an `int` in every way a student's code can use it (arithmetic, `sum`,
comparisons, formatting), but an addition it takes part in is written down with the adding thread.
The result of such an addition is a plain `int`, so a partial sum carries no record of its own: what
is written down is which thread added which element, never who added partial sums together.
"""
from __future__ import annotations

# Taken at import, before any student code runs: a submission that patches threading.get_ident (to
# pass the caller's work off as a thread's) cannot change what is written down.
from _thread import get_ident as _get_ident
from dataclasses import dataclass, field


@dataclass
class Additions:
    """Each addition an element took part in, as (thread ident, element index), and the thread that
    made the elements: the caller of the function under test."""

    caller: int = field(default_factory=_get_ident)
    # Appended to from the student's threads: list.append is atomic where a dict of sets is not.
    pairs: list[tuple[int, int]] = field(default_factory=list)

    def added_by_caller(self) -> set[int]:
        """The elements the caller added."""
        return {index for thread, index in list(self.pairs) if thread == self.caller}

    def added_by_others(self) -> set[int]:
        """The elements that threads other than the caller added."""
        return {index for thread, index in list(self.pairs) if thread != self.caller}


def counted_numbers(values: list[int]) -> tuple[list[int], Additions]:
    """`values` as elements that write each addition they take part in into the returned record; to
    be called in the thread that then calls the function under test."""
    additions = Additions()
    pairs = additions.pairs

    class Element(int):
        def __add__(self, other):
            pairs.append((_get_ident(), self.index))
            return int.__add__(self, other)

        def __radd__(self, other):
            pairs.append((_get_ident(), self.index))
            return int.__radd__(self, other)

    elements = []
    for index, value in enumerate(values):
        element = Element(value)
        element.index = index
        elements.append(element)
    return elements, additions
