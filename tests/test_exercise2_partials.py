"""Reading partial sums out of whatever exercise2's threads put on the queue (the powers of 3 show
which elements a value carries)."""
from decimal import Decimal

import numpy as np
import pytest

from grader.checks.exercise2 import _elements_carried


@pytest.mark.parametrize("items", [
    [1 + 3, 9 + 27],
    [(0, 1 + 3), (1, 9 + 27)],
    [{"part": 0, "sum": 4}, {"part": 1, "sum": [36]}],
    [np.int64(4), Decimal(36)],
    [4.0, "36"],
], ids=["ints", "tagged", "nested", "numpy-and-decimal", "float-and-text"])
def test_every_shape_of_partial_sum_carries_its_elements(items):
    assert _elements_carried(items, 4) == {0, 1, 2, 3}


@pytest.mark.parametrize("items", [
    [0, 0],
    ["done", None, True],
    [2, 6],
    [3.5, 81],
], ids=["zeros", "tokens", "a-power-counted-twice", "not-whole-or-too-large"])
def test_tokens_and_impossible_sums_carry_nothing(items):
    assert _elements_carried(items, 4) == set()
