"""exercise1 graded through the real `grade` command: each realistic submission fails exactly the
checks it declares (`# expect-fail:`), and the correct ones earn full marks."""
from __future__ import annotations

import pytest

from conftest import expected_failures, variants

MODULE = "exercise1_counter_race.py"


@pytest.mark.parametrize("variant", variants("exercise1"), ids=lambda p: p.stem)
def test_variant_fails_exactly_the_checks_it_should(variant, grade_variant):
    graded = grade_variant("exercise1", MODULE, variant)
    failing = {name for name, status in graded.statuses().items() if status != "passed"}
    assert failing == expected_failures(variant), graded.stdout
    assert graded.exit_code == (1 if failing else 0)
