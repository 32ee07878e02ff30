"""Every exercise graded as `grade` grades it, hidden checks included: the reference
solution earns full marks, the stub nothing, and each realistic submission under tests/variants/
gets exactly the verdicts it declares: status `failed` for the checks on its `# expect-fail:` line,
status `error` with the reason for those on its `# expect-error: check (reason)` line, `passed` for
every other check, with feedback that names the mistake where it declares
`# expect-feedback: check: phrase`. A check that ends in the grader's own error fails the test,
whatever the variant declared: a grader crash can never pass for a student's mistake.

The checks whose verdict does not rest on time are graded in one child, told (truly) that other work
runs beside them: the other tests. The checks whose verdict does (`timing` in the catalog, of kind
`concurrency`: a speedup) are graded in a run of their own, marked `timing`: the README's test
command runs those tests alone, after the others have run side by side. (A timing check of another
kind, exercise2's sum, judges a value and only times it for the student's information: its verdict
is tested beside other work.) So are the checks a variant declares on its `# expect-open-beside:` line: a
check that can judge that variant only alone, which beside other work must say "not measurable".
Where a variant's untimed checks declare a function hung, its timing checks are graded as a whole
`grade` grades them after that hang: told of it, each waits only briefly for that function.

A check that runs only the reference's code in a variant (tests/reach.py), and that the variant
declares nothing about, gives the reference's verdict, which the reference's own test grades: the
variant's test leaves it out where nothing the variant changed can have run before it. So are left
out the checks a grading runs first, up to the first that runs the variant's own code, and the
timing run of a variant whose timing checks all run the reference's code.

One allowance, and only one: a check that could not measure what it needs on a busy machine says so
(status skipped, reason "not measurable") instead of guessing. Such a skip never counts as a pass or
a failure: a check declared to fail must fail, and a check declared to pass must pass or be not
measurable.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import (NOT_MEASURABLE, ONE_CHILD, ROOT, Declared, Graded, expected_feedback, grade_here,
                      judged_by_time, submission_with, variants, wrong_verdicts)
from grader.catalog import load_catalog
from grader.cli import EXIT_FULL_MARKS, EXIT_NOT_FULL
from grader.course import grade_course
from grader.hangs import Hangs
from grader.interpreter import Interpreter
from grader.report import TIMED_OUT, Report
from grader.runner import grade_exercise
from grader.writers import WRITERS
from reach import run_order, runs_the_references_code

CATALOG = load_catalog()
CASES = [(exercise, variant) for exercise in CATALOG.values() for variant in variants(exercise.id)]


TIMED = [exercise for exercise in CATALOG.values() if any(judged_by_time(spec) for spec in exercise.checks)]
TIMED_CASES = [(exercise, variant) for exercise, variant in CASES if exercise in TIMED]


def assert_as_declared(graded: Graded, declared: Declared, beside: bool = False) -> None:
    """Every check graded got the verdict the submission declares for it (`beside` other work when
    so graded), and the exit code agrees."""
    checks = graded.report["exercises"][0]["checks"]
    known = {spec.name for spec in CATALOG[graded.report["exercises"][0]["exercise"]].checks}
    wrong = wrong_verdicts(checks, declared, known, beside)
    assert not wrong, "\n".join(wrong)
    really_failed = any(c["status"] in ("failed", "error") for c in checks)
    assert graded.exit_code == (1 if really_failed else 0)


def _check_names(exercise, timing: bool, declared: Declared) -> list[str]:
    """The checks of a variant's untimed test, or of its timing test: the timing checks, and those
    the variant declares can judge it only alone."""
    if timing:
        return [spec.name for spec in exercise.checks if judged_by_time(spec) or spec.name in declared.open_beside]
    return [spec.name for spec in exercise.checks if not judged_by_time(spec)]


def _hangs_declared_before_timing(exercise, declared: Declared) -> Hangs:
    """The functions the variant's untimed checks declare hung (`timed out`), which the test of those
    checks verifies. A whole `grade` runs the timing checks after them, and tells them of those
    hangs (grader.course), so that each waits only briefly for a function that already hung."""
    hangs = Hangs()
    for name, reason in declared.errors:
        if reason == TIMED_OUT and not judged_by_time(exercise.check(name)):
            hangs.record(exercise.check(name))
    return hangs


def _graded(result) -> Graded:
    report = Report([result], "en", Interpreter.current().to_dict())
    return Graded(EXIT_FULL_MARKS if report.full_marks else EXIT_NOT_FULL, WRITERS["json"](report), "")


def _grade_after_hangs(exercise, folder, checks: list[str], hangs: Hangs) -> Graded:
    """`checks` graded as a whole `grade` grades them once its untimed checks have met `hangs`."""
    return _graded(grade_exercise(exercise, folder, include_hidden=True, only=frozenset(checks), hangs=hangs))


def _grade_beside_other_tests(exercise, folder, checks: list[str]) -> Graded:
    """`checks` graded in one child, as `grade --jobs 1` grades them, told (truly) that other work
    runs beside them: the other tests."""
    [result] = grade_course([exercise], folder, include_hidden=True, only=frozenset(checks), workers=1, alone=False)
    return _graded(result)


def _grade_as_declared(exercise, folder, variant: Path | None, timing: bool = False,
                       spared: list[str] = ()) -> None:
    declared = Declared.of(variant) if variant else Declared()
    checks = [name for name in _check_names(exercise, timing, declared) if name not in spared]
    hangs = _hangs_declared_before_timing(exercise, declared) if timing else Hangs()
    if not timing:
        graded = _grade_beside_other_tests(exercise, folder, checks)
    elif hangs.first_in:
        graded = _grade_after_hangs(exercise, folder, checks, hangs)
    else:
        graded = grade_here(exercise.id, "--path", str(folder), "--format", "json", "--include-hidden",
                            "--check", ",".join(checks))
    assert_as_declared(graded, declared, beside=not timing)
    ran = {check["name"] for check in graded.report["exercises"][0]["checks"]}
    assert ran == set(checks)
    for check, phrase in expected_feedback(variant) if variant else []:
        if check in ran:
            assert phrase in graded.check(check)["feedback"], graded.check(check)["feedback"]


@pytest.mark.parametrize("exercise, variant", CASES, ids=[f"{e.id}-{v.stem}" for e, v in CASES])
def test_variant_fails_exactly_the_checks_it_declares(exercise, variant, tmp_path):
    """The checks that do not measure time, which may run beside other tests; those it runs first
    with the reference's code are the reference's to grade."""
    spared = _untimed_as_the_reference(exercise, variant.read_text(encoding="utf-8"), _named(variant))
    if len(spared) == len([spec for spec in exercise.checks if not judged_by_time(spec)]):
        pytest.skip("every untimed check runs the reference's code here: its own test grades them")
    _grade_as_declared(exercise, submission_with(tmp_path, exercise.module, variant), variant, spared=spared)


def _reference(exercise) -> str:
    return (ROOT / "solutions" / exercise.module).read_text(encoding="utf-8")


def _named(variant: Path) -> set[str]:
    """The checks the variant declares something about: a failure, an error, feedback, or that it can
    be judged only alone."""
    declared = Declared.of(variant)
    return {*declared.failed, *dict(declared.errors), *(check for check, _ in expected_feedback(variant)),
            *declared.open_beside}


def _as_the_reference(exercise, source: str, named: set[str], checks: list) -> list[bool]:
    """For each of `checks`: the submission `source` declares nothing about it (`named`) and it runs
    the reference's code there, so that its verdict is the reference's."""
    reference = _reference(exercise)
    return [spec.name not in named and runs_the_references_code(exercise, spec, source, reference)
            for spec in checks]


def _timing_as_the_reference(exercise, source: str, named: set[str],
                             open_beside: frozenset[str] = frozenset()) -> bool:
    """Whether every check of the variant's timing test (the timing checks, and those `open_beside`)
    runs the reference's code in `source`, declared nothing about: then their verdicts are the
    reference's, graded by test_reference_solution_earns_full_marks_on_the_timing_checks. A grading
    of the timing checks starts afresh (grader.course), after no other check."""
    timed = [spec for spec in exercise.checks if judged_by_time(spec) or spec.name in open_beside]
    return all(_as_the_reference(exercise, source, named, timed))


def _untimed_as_the_reference(exercise, source: str, named: set[str]) -> list[str]:
    """The untimed checks that a grading of `source` runs first and that all run the reference's
    code, declared nothing about: up to the first that does not, the grading is the reference's, and
    so are their verdicts (test_reference_solution_earns_full_marks). A check after that one is
    graded even where its own code is the reference's: what ran before it may have left something
    behind (a pool, a thread, a patched module)."""
    untimed = [spec for spec in run_order(exercise) if not judged_by_time(spec)]
    spared = []
    for spec, same in zip(untimed, _as_the_reference(exercise, source, named, untimed)):
        if not same:
            break
        spared.append(spec.name)
    return spared


@pytest.mark.timing
@pytest.mark.parametrize("exercise, variant", TIMED_CASES, ids=[f"{e.id}-{v.stem}" for e, v in TIMED_CASES])
def test_variant_gets_the_timing_verdicts_it_declares(exercise, variant, tmp_path):
    """The checks that measure time, run with nothing beside them (`-m timing`)."""
    source = variant.read_text(encoding="utf-8")
    if _timing_as_the_reference(exercise, source, _named(variant), Declared.of(variant).open_beside):
        pytest.skip("the timing checks run the reference's code here: its own test grades them")
    _grade_as_declared(exercise, submission_with(tmp_path, exercise.module, variant), variant, timing=True)


def test_a_variant_changed_where_a_timing_check_calls_is_timed_itself():
    """The comparison that spares a variant its timing run sees a change in a function a timing check
    calls, and in the module's own code, but not in a function only untimed checks call."""
    exercise = CATALOG["exercise5"]
    reference = _reference(exercise)
    assert _timing_as_the_reference(exercise, reference, set())
    swapped = reference.replace("args=(samples, x, w)", "args=(x, samples, w)")
    assert swapped != reference and not _timing_as_the_reference(exercise, swapped, set())
    assert not _timing_as_the_reference(exercise, reference + "\nimport os\n", set())
    cubes_changed = reference.replace('method="map"', 'method="apply"')
    assert cubes_changed != reference and _timing_as_the_reference(exercise, cubes_changed, set())
    assert _timing_as_the_reference(exercise, cubes_changed, {"test_cubes_uses_the_named_pool_method"})
    assert not _timing_as_the_reference(exercise, cubes_changed, {"test_multiprocess_is_faster_than_serial"})
    benchmark = "test_benchmark_times_serial_and_each_process_count"
    assert not _timing_as_the_reference(exercise, cubes_changed, {benchmark}, frozenset({benchmark}))


def test_the_untimed_checks_spared_are_those_a_grading_runs_first_with_the_references_code():
    """A variant's untimed run leaves out the checks before the first that runs code of its own, or
    that it declares something about; every check from there on is graded."""
    exercise = CATALOG["exercise5"]
    reference = _reference(exercise)
    untimed = [spec.name for spec in run_order(exercise) if not judged_by_time(spec)]
    assert _untimed_as_the_reference(exercise, reference, set()) == untimed
    assert _untimed_as_the_reference(exercise, reference, {untimed[2]}) == untimed[:2]
    swapped = reference.replace("args=(samples, x, w)", "args=(x, samples, w)")
    first_of_multiprocess = untimed.index("test_multiprocess_equals_serial_sorted_by_width")
    assert _untimed_as_the_reference(exercise, swapped, set()) == untimed[:first_of_multiprocess]
    assert "test_plot_benchmarks_draws_the_timings" in untimed[first_of_multiprocess:]
    cubes_changed = reference.replace('method="map"', 'method="apply"')
    assert _untimed_as_the_reference(exercise, cubes_changed, set()) == []


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_reference_solution_earns_full_marks(exercise):
    _grade_as_declared(exercise, ROOT / "solutions", None)


@pytest.mark.timing
@pytest.mark.parametrize("exercise", TIMED, ids=lambda e: e.id)
def test_reference_solution_earns_full_marks_on_the_timing_checks(exercise):
    _grade_as_declared(exercise, ROOT / "solutions", None, timing=True)


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_stub_earns_nothing(exercise):
    graded = grade_here(exercise.id, "--path", str(ROOT / "exercises"), "--format", "json", "--include-hidden",
                        *ONE_CHILD)
    assert graded.exit_code == 1
    assert graded.report["score"] == 0
    assert {c["status"] for c in graded.report["exercises"][0]["checks"]} == {"failed"}
    assert all("Not implemented yet" in c["feedback"] or "Not answered yet" in c["feedback"]
               for c in graded.report["exercises"][0]["checks"])


def test_a_check_declared_open_beside_must_be_not_measurable_beside_other_work_and_as_declared_alone():
    declared = Declared(failed=frozenset({"c"}), open_beside=frozenset({"c"}))

    def graded(status: str, reason: str = "") -> list[dict]:
        return [{"name": "c", "status": status, "reason": reason, "feedback": ""}]

    assert not wrong_verdicts(graded("skipped", NOT_MEASURABLE), declared, beside=True)
    assert wrong_verdicts(graded("failed"), declared, beside=True)
    assert not wrong_verdicts(graded("failed"), declared)
    assert wrong_verdicts(graded("skipped", NOT_MEASURABLE), declared)
