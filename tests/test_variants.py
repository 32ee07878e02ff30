"""Every exercise graded through the real `grade` command, hidden checks included: the reference
solution earns full marks, the stub nothing, and each realistic submission under tests/variants/
fails exactly the checks it declares on its `# expect-fail:` line (none, for a correct one), with
feedback that names the mistake where it declares `# expect-feedback: check: phrase`.

One allowance, and only one: a check that could not measure what it needs on a busy machine says so
("Not measurable ...", status skipped) instead of guessing. Such a skip never counts as a pass: a
check declared to fail must not pass, and a check declared to pass must pass or be not measurable.
"""
from __future__ import annotations

import pytest

from conftest import ROOT, Graded, expected_failures, expected_feedback, run_grade, submission_with, variants
from grader.catalog import load_catalog

CATALOG = load_catalog()
CASES = [(exercise, variant) for exercise in CATALOG.values() for variant in variants(exercise.id)]


def _not_measurable(check: dict) -> bool:
    return check["status"] == "skipped" and check["feedback"].startswith("Not measurable")


def assert_as_declared(graded: Graded, declared: set[str]) -> None:
    """Each check passed unless declared to fail; declared failures did not pass."""
    checks = graded.report["exercises"][0]["checks"]
    assert {c["name"] for c in checks} >= declared, "a declared check does not exist"
    for check in checks:
        if check["name"] in declared:
            assert check["status"] != "passed", f"{check['name']} passed\n{graded.stdout}"
        else:
            assert check["status"] == "passed" or _not_measurable(check), \
                f"{check['name']}: {check['status']}: {check['feedback']}\n{graded.stdout}"
    really_failed = any(c["status"] in ("failed", "error") for c in checks)
    assert graded.exit_code == (1 if really_failed else 0)


@pytest.mark.parametrize("exercise, variant", CASES, ids=[f"{e.id}-{v.stem}" for e, v in CASES])
def test_variant_fails_exactly_the_checks_it_declares(exercise, variant, tmp_path):
    folder = submission_with(tmp_path, exercise.module, variant)
    graded = run_grade(exercise.id, "--path", str(folder), "--format", "json", "--include-hidden")
    assert_as_declared(graded, expected_failures(variant))
    for check, phrase in expected_feedback(variant):
        assert phrase in graded.check(check)["feedback"], graded.check(check)["feedback"]


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_reference_solution_earns_full_marks(exercise):
    graded = run_grade(exercise.id, "--path", str(ROOT / "solutions"), "--format", "json", "--include-hidden")
    assert_as_declared(graded, set())


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_stub_earns_nothing(exercise):
    graded = run_grade(exercise.id, "--path", str(ROOT / "exercises"), "--format", "json", "--include-hidden")
    assert graded.exit_code == 1
    assert graded.report["score"] == 0
    assert {c["status"] for c in graded.report["exercises"][0]["checks"]} == {"failed"}
