"""Every exercise graded through the real `grade` command, hidden checks included: the reference
solution earns full marks, the stub nothing, and each realistic submission under tests/variants/
gets exactly the verdicts it declares: status `failed` for the checks on its `# expect-fail:` line,
status `error` with the reason for those on its `# expect-error: check (reason)` line, `passed` for
every other check, with feedback that names the mistake where it declares
`# expect-feedback: check: phrase`. A check that ends in the grader's own error fails the test,
whatever the variant declared: a grader crash can never pass for a student's mistake.

One allowance, and only one: a check that could not measure what it needs on a busy machine says so
(status skipped, reason "not measurable") instead of guessing. Such a skip never counts as a pass or
a failure: a check declared to fail must fail, and a check declared to pass must pass or be not
measurable.
"""
from __future__ import annotations

import pytest

from conftest import ROOT, Declared, Graded, expected_feedback, run_grade, submission_with, variants, wrong_verdicts
from grader.catalog import load_catalog

CATALOG = load_catalog()
CASES = [(exercise, variant) for exercise in CATALOG.values() for variant in variants(exercise.id)]


def assert_as_declared(graded: Graded, declared: Declared) -> None:
    """Every check got the verdict the submission declares for it, and the exit code agrees."""
    checks = graded.report["exercises"][0]["checks"]
    wrong = wrong_verdicts(checks, declared)
    assert not wrong, "\n".join(wrong)
    really_failed = any(c["status"] in ("failed", "error") for c in checks)
    assert graded.exit_code == (1 if really_failed else 0)


@pytest.mark.parametrize("exercise, variant", CASES, ids=[f"{e.id}-{v.stem}" for e, v in CASES])
def test_variant_fails_exactly_the_checks_it_declares(exercise, variant, tmp_path):
    folder = submission_with(tmp_path, exercise.module, variant)
    graded = run_grade(exercise.id, "--path", str(folder), "--format", "json", "--include-hidden")
    assert_as_declared(graded, Declared.of(variant))
    for check, phrase in expected_feedback(variant):
        assert phrase in graded.check(check)["feedback"], graded.check(check)["feedback"]


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_reference_solution_earns_full_marks(exercise):
    graded = run_grade(exercise.id, "--path", str(ROOT / "solutions"), "--format", "json", "--include-hidden")
    assert_as_declared(graded, Declared())


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_stub_earns_nothing(exercise):
    graded = run_grade(exercise.id, "--path", str(ROOT / "exercises"), "--format", "json", "--include-hidden")
    assert graded.exit_code == 1
    assert graded.report["score"] == 0
    assert {c["status"] for c in graded.report["exercises"][0]["checks"]} == {"failed"}
    assert all("Not implemented yet" in c["feedback"] or "Not answered yet" in c["feedback"]
               for c in graded.report["exercises"][0]["checks"])
