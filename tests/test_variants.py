"""Every exercise graded through the real `grade` command, hidden checks included: the reference
solution earns full marks, the stub nothing, and each realistic submission under tests/variants/
gets exactly the verdicts it declares: status `failed` for the checks on its `# expect-fail:` line,
status `error` with the reason for those on its `# expect-error: check (reason)` line, `passed` for
every other check, with feedback that names the mistake where it declares
`# expect-feedback: check: phrase`. A check that ends in the grader's own error fails the test,
whatever the variant declared: a grader crash can never pass for a student's mistake.

The checks that measure time (`timing` in the catalog) are graded in a run of their own, marked
`timing`: the README's test command runs those tests alone, after the others have run side by side.

One allowance, and only one: a check that could not measure what it needs on a busy machine says so
(status skipped, reason "not measurable") instead of guessing. Such a skip never counts as a pass or
a failure: a check declared to fail must fail, and a check declared to pass must pass or be not
measurable.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import (ONE_CHILD, ROOT, Declared, Graded, expected_feedback, run_grade, submission_with, variants,
                      wrong_verdicts)
from grader.catalog import load_catalog

CATALOG = load_catalog()
CASES = [(exercise, variant) for exercise in CATALOG.values() for variant in variants(exercise.id)]
TIMED = [exercise for exercise in CATALOG.values() if exercise.has_timing]
TIMED_CASES = [(exercise, variant) for exercise, variant in CASES if exercise in TIMED]


def assert_as_declared(graded: Graded, declared: Declared) -> None:
    """Every check graded got the verdict the submission declares for it, and the exit code agrees."""
    checks = graded.report["exercises"][0]["checks"]
    known = {spec.name for spec in CATALOG[graded.report["exercises"][0]["exercise"]].checks}
    wrong = wrong_verdicts(checks, declared, known)
    assert not wrong, "\n".join(wrong)
    really_failed = any(c["status"] in ("failed", "error") for c in checks)
    assert graded.exit_code == (1 if really_failed else 0)


def _untimed(exercise) -> list[str]:
    return [*ONE_CHILD, "--check", ",".join(spec.name for spec in exercise.checks if not spec.timing)]


def _timed(exercise) -> list[str]:
    return ["--check", ",".join(spec.name for spec in exercise.checks if spec.timing)]


def _grade_as_declared(exercise, folder, variant: Path | None, checks: list[str]) -> None:
    graded = run_grade(exercise.id, "--path", str(folder), "--format", "json", "--include-hidden", *checks)
    assert_as_declared(graded, Declared.of(variant) if variant else Declared())
    ran = {check["name"] for check in graded.report["exercises"][0]["checks"]}
    for check, phrase in expected_feedback(variant) if variant else []:
        if check in ran:
            assert phrase in graded.check(check)["feedback"], graded.check(check)["feedback"]


@pytest.mark.parametrize("exercise, variant", CASES, ids=[f"{e.id}-{v.stem}" for e, v in CASES])
def test_variant_fails_exactly_the_checks_it_declares(exercise, variant, tmp_path):
    """The checks that do not measure time, which may run beside other tests."""
    _grade_as_declared(exercise, submission_with(tmp_path, exercise.module, variant), variant, _untimed(exercise))


@pytest.mark.timing
@pytest.mark.parametrize("exercise, variant", TIMED_CASES, ids=[f"{e.id}-{v.stem}" for e, v in TIMED_CASES])
def test_variant_gets_the_timing_verdicts_it_declares(exercise, variant, tmp_path):
    """The checks that measure time, run with nothing beside them (`-m timing`)."""
    _grade_as_declared(exercise, submission_with(tmp_path, exercise.module, variant), variant, _timed(exercise))


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_reference_solution_earns_full_marks(exercise):
    _grade_as_declared(exercise, ROOT / "solutions", None, _untimed(exercise))


@pytest.mark.timing
@pytest.mark.parametrize("exercise", TIMED, ids=lambda e: e.id)
def test_reference_solution_earns_full_marks_on_the_timing_checks(exercise):
    _grade_as_declared(exercise, ROOT / "solutions", None, _timed(exercise))


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_stub_earns_nothing(exercise):
    graded = run_grade(exercise.id, "--path", str(ROOT / "exercises"), "--format", "json", "--include-hidden",
                       *ONE_CHILD)
    assert graded.exit_code == 1
    assert graded.report["score"] == 0
    assert {c["status"] for c in graded.report["exercises"][0]["checks"]} == {"failed"}
    assert all("Not implemented yet" in c["feedback"] or "Not answered yet" in c["feedback"]
               for c in graded.report["exercises"][0]["checks"])
