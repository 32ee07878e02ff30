"""exercise4 graded through the real `grade` command: the reference earns full marks, the stub none,
and each realistic submission fails exactly the checks it declares (`# expect-fail:`)."""
from __future__ import annotations

import pytest

from conftest import ROOT, expected_failures, variants

EXERCISE, MODULE = "exercise4", "exercise4_list_in_process.py"


@pytest.mark.parametrize("variant", variants(EXERCISE), ids=lambda p: p.stem)
def test_variant_fails_exactly_the_checks_it_should(variant, grade_variant):
    graded = grade_variant(EXERCISE, MODULE, variant)
    failing = {name for name, status in graded.statuses().items() if status != "passed"}
    assert failing == expected_failures(variant), graded.stdout
    assert graded.exit_code == (1 if failing else 0)


@pytest.mark.parametrize("folder, passing", [("solutions", True), ("exercises", False)])
def test_reference_earns_full_marks_and_stub_none(folder, passing, grade_variant):
    graded = grade_variant(EXERCISE, MODULE, ROOT / folder / MODULE)
    statuses = set(graded.statuses().values())
    assert statuses == ({"passed"} if passing else {"failed"}), graded.stdout
