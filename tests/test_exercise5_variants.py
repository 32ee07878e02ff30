"""exercise5 graded through the real `grade` command: the reference earns full marks, the stub none,
and each realistic submission fails exactly the checks it declares (`# expect-fail:`).

The speedup check is the one check allowed to depend on the machine: when too little CPU is free to
tell parallel from serial it is skipped ("not measurable"), never failed or passed by luck. So:
- a submission that should pass it may see it 'passed' or 'skipped';
- a submission declared to fail it may see it 'failed', 'error' or 'skipped', never 'passed';
- every other check must come out exactly as declared.
"""
from __future__ import annotations

import pytest

from conftest import ROOT, expected_failures, variants

EXERCISE, MODULE = "exercise5", "exercise5_kde_apply_async.py"
SPEEDUP = "test_multiprocess_is_faster_than_serial"


def _assert_as_declared(statuses: dict[str, str], declared: set[str], report: str) -> None:
    speedup = statuses.pop(SPEEDUP)
    if SPEEDUP in declared:
        assert speedup != "passed", report
    else:
        assert speedup in ("passed", "skipped"), report
    failing = {name for name, status in statuses.items() if status != "passed"}
    assert failing == declared - {SPEEDUP}, report


@pytest.mark.parametrize("variant", variants(EXERCISE), ids=lambda p: p.stem)
def test_variant_fails_exactly_the_checks_it_should(variant, grade_variant):
    graded = grade_variant(EXERCISE, MODULE, variant)
    _assert_as_declared(graded.statuses(), expected_failures(variant), graded.stdout)


def test_reference_earns_full_marks(grade_variant):
    graded = grade_variant(EXERCISE, MODULE, ROOT / "solutions" / MODULE)
    _assert_as_declared(graded.statuses(), set(), graded.stdout)


def test_stub_earns_nothing(grade_variant):
    graded = grade_variant(EXERCISE, MODULE, ROOT / "exercises" / MODULE)
    assert set(graded.statuses().values()) == {"failed"}, graded.stdout
    assert graded.exit_code == 1
