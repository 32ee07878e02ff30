"""Reading partial sums out of whatever exercise2's threads put on the queue (the powers of 3 show
which elements a value carries), and how many of its threads were open at once."""
from decimal import Decimal

import numpy as np
import pytest

import threading

from grader.checks.exercise2 import _elements_carried, _hands_over_elements
from grader.probes.threads import watch_threads


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


@pytest.mark.parametrize("items, handed_over", [
    ([1 + 3 + 9], False),
    ([(2, 1 + 3 + 9)], False),
    ([[1, 3, 9], 1 + 3 + 9], False),
    ([27], False),
    ([[1, 3, 9]], True),
    ([1, 3, 9], True),
], ids=["sum", "tagged-sum", "part-and-sum", "one-element-part", "the-part-as-a-list", "one-element-per-put"])
def test_a_thread_that_puts_its_elements_instead_of_their_sum_is_told_apart(items, handed_over):
    assert _hands_over_elements(items, 4) is handed_over


def _start_and_join(count: int, join_each_at_once: bool) -> int:
    with watch_threads() as log:
        threads = [threading.Thread(target=lambda: None) for _ in range(count)]
        for thread in threads:
            thread.start()
            if join_each_at_once:
                thread.join()
        for thread in threads:
            thread.join()
    return log.most_unjoined


def test_threads_joined_as_they_start_are_never_open_together_however_they_are_scheduled():
    assert _start_and_join(4, join_each_at_once=True) == 1
    assert _start_and_join(4, join_each_at_once=False) == 4
