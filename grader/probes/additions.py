"""Whole numbers that remember which thread added them: evidence of who did the summing.

Each element of an input is an `int` in every way a student's code can use it (arithmetic, `sum`,
comparisons, formatting), but an addition it takes part in is written down with the adding thread.
The result of such an addition is a plain `int`, so a partial sum carries no record of its own: what
is written down is which thread added which element, never who added partial sums together.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Additions:
    """Each addition an element took part in, as (thread ident, element index)."""

    # Appended to from the student's threads: list.append is atomic where a dict of sets is not.
    pairs: list[tuple[int, int]] = field(default_factory=list)

    def added_by(self, ident: int) -> set[int]:
        """The elements the thread `ident` added."""
        return {index for thread, index in list(self.pairs) if thread == ident}

    def added_by_others(self, ident: int) -> set[int]:
        """The elements that threads other than `ident` added."""
        return {index for thread, index in list(self.pairs) if thread != ident}


def counted_numbers(values: list[int]) -> tuple[list[int], Additions]:
    """`values` as elements that write each addition they take part in into the returned record."""
    additions = Additions()
    pairs = additions.pairs

    class Element(int):
        def __add__(self, other):
            pairs.append((threading.get_ident(), self.index))
            return int.__add__(self, other)

        def __radd__(self, other):
            pairs.append((threading.get_ident(), self.index))
            return int.__radd__(self, other)

    elements = []
    for index, value in enumerate(values):
        element = Element(value)
        element.index = index
        elements.append(element)
    return elements, additions
