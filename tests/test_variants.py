"""Every exercise graded as `grade` grades it, hidden checks included: the reference
solution earns full marks, the stub nothing, and each realistic submission under tests/variants/
gets exactly the verdicts it declares: status `failed` for the checks on its `# expect-fail:` line,
status `error` with the reason for those on its `# expect-error: check (reason)` line, `passed` for
every other check, with feedback that names the mistake where it declares
`# expect-feedback: check: phrase`. A check that ends in the grader's own error fails the test,
whatever the variant declared: a grader crash can never pass for a student's mistake.

The checks that do not measure time are graded in one child, told (truly) that other work runs
beside them: the other tests. The checks that measure time (`timing` in the catalog) are graded in a
run of their own, marked `timing`: the README's test command runs those tests alone, after the others
have run side by side. So are the checks a variant declares on its `# expect-open-beside:` line: a
check that can judge that variant only alone, which beside other work must say "not measurable".
Where a variant's untimed checks declare a function hung, its timing checks are graded as a whole
`grade` grades them after that hang: told of it, each waits only briefly for that function.

One allowance, and only one: a check that could not measure what it needs on a busy machine says so
(status skipped, reason "not measurable") instead of guessing. Such a skip never counts as a pass or
a failure: a check declared to fail must fail, and a check declared to pass must pass or be not
measurable.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import (NOT_MEASURABLE, ONE_CHILD, ROOT, Declared, Graded, expected_feedback, grade_here, submission_with,
                      variants, wrong_verdicts)
from grader.catalog import load_catalog
from grader.cli import EXIT_FULL_MARKS, EXIT_NOT_FULL
from grader.course import grade_course
from grader.hangs import Hangs
from grader.interpreter import Interpreter
from grader.report import TIMED_OUT, Report
from grader.runner import grade_exercise
from grader.writers import WRITERS

CATALOG = load_catalog()
CASES = [(exercise, variant) for exercise in CATALOG.values() for variant in variants(exercise.id)]
TIMED = [exercise for exercise in CATALOG.values() if exercise.has_timing]
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
        return [spec.name for spec in exercise.checks if spec.timing or spec.name in declared.open_beside]
    return [spec.name for spec in exercise.checks if not spec.timing]


def _hangs_declared_before_timing(exercise, declared: Declared) -> Hangs:
    """The functions the variant's untimed checks declare hung (`timed out`), which the test of those
    checks verifies. A whole `grade` runs the timing checks after them, and tells them of those
    hangs (grader.course), so that each waits only briefly for a function that already hung."""
    hangs = Hangs()
    for name, reason in declared.errors:
        if reason == TIMED_OUT and not exercise.check(name).timing:
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


def _grade_as_declared(exercise, folder, variant: Path | None, timing: bool = False) -> None:
    declared = Declared.of(variant) if variant else Declared()
    checks = _check_names(exercise, timing, declared)
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
    for check, phrase in expected_feedback(variant) if variant else []:
        if check in ran:
            assert phrase in graded.check(check)["feedback"], graded.check(check)["feedback"]


@pytest.mark.parametrize("exercise, variant", CASES, ids=[f"{e.id}-{v.stem}" for e, v in CASES])
def test_variant_fails_exactly_the_checks_it_declares(exercise, variant, tmp_path):
    """The checks that do not measure time, which may run beside other tests."""
    _grade_as_declared(exercise, submission_with(tmp_path, exercise.module, variant), variant)


def _names_in(nodes: list[ast.AST]) -> set[str]:
    """Every name the code may reach a module-level function by: names, attributes, and strings (as
    `globals()["f"]` or `getattr(module, "f")` would)."""
    found = set()
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name):
                found.add(inner.id)
            elif isinstance(inner, ast.Attribute):
                found.add(inner.attr)
            elif isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                found.add(inner.value)
    return found


def _runs_code_at_import(function: ast.FunctionDef) -> bool:
    """Whether defining `function` runs code: a decorator, or a call in a default or annotation."""
    arguments = function.args
    header = [*arguments.defaults, *filter(None, arguments.kw_defaults), *filter(None, [function.returns]),
              *(argument.annotation for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                                      arguments.vararg, arguments.kwarg]
                if argument is not None and argument.annotation is not None)]
    return bool(function.decorator_list) or any(isinstance(inner, ast.Call) for node in header
                                                for inner in ast.walk(node))


def _code_the_timing_checks_run(exercise, source: str) -> str:
    """The module as its timing checks run it: without docstrings, comments and layout (an AST dump),
    and without the functions they cannot reach. What runs is the module's own code (at import) and
    the functions the timing checks call, and every function those reach by name; a function whose
    definition runs code (a decorator, a call in a default) stays, since that code runs at import."""
    timed_calls = {function for spec in exercise.checks if spec.timing for function in spec.calls}
    tree = ast.parse(source)
    removable = {node.name: node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and not _runs_code_at_import(node) and node.name not in timed_calls}
    reached: set[str] = set()
    frontier = [node for node in tree.body if not (isinstance(node, ast.FunctionDef) and node.name in removable)]
    while frontier:
        names = (_names_in(frontier) & removable.keys()) - reached
        reached |= names
        frontier = [removable[name] for name in names]
    tree.body = [node for node in tree.body
                 if not (isinstance(node, ast.FunctionDef) and node.name in removable.keys() - reached)]
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _timed_as_the_reference(exercise, variant: Path) -> bool:
    """Whether the variant declares nothing about the timing checks (no failure, error or feedback)
    and runs the reference's code in everything they call: then its timing verdicts are the
    reference's, graded by test_reference_solution_earns_full_marks_on_the_timing_checks."""
    declared = Declared.of(variant)
    named = {*declared.failed, *dict(declared.errors), *(check for check, _ in expected_feedback(variant))}
    about_timing = {name for name in named if exercise.check(name).timing} | declared.open_beside
    reference = (ROOT / "solutions" / exercise.module).read_text(encoding="utf-8")
    return not about_timing and (_code_the_timing_checks_run(exercise, variant.read_text(encoding="utf-8"))
                                 == _code_the_timing_checks_run(exercise, reference))


@pytest.mark.timing
@pytest.mark.parametrize("exercise, variant", TIMED_CASES, ids=[f"{e.id}-{v.stem}" for e, v in TIMED_CASES])
def test_variant_gets_the_timing_verdicts_it_declares(exercise, variant, tmp_path):
    """The checks that measure time, run with nothing beside them (`-m timing`)."""
    if _timed_as_the_reference(exercise, variant):
        pytest.skip("the timing checks run the reference's code here: its own test grades them")
    _grade_as_declared(exercise, submission_with(tmp_path, exercise.module, variant), variant, timing=True)


def test_a_variant_changed_where_a_timing_check_calls_is_timed_itself():
    """The comparison that spares a variant its timing run sees a change in a function a timing check
    calls, and in the module's own code, but not in a function only untimed checks call."""
    exercise = CATALOG["exercise5"]
    reference = (ROOT / "solutions" / exercise.module).read_text(encoding="utf-8")
    code = _code_the_timing_checks_run(exercise, reference)
    swapped = reference.replace("args=(samples, x, w)", "args=(x, samples, w)")
    assert swapped != reference and _code_the_timing_checks_run(exercise, swapped) != code
    assert _code_the_timing_checks_run(exercise, reference + "\nimport os\n") != code
    cubes_changed = reference.replace('method="map"', 'method="apply"')
    assert cubes_changed != reference and _code_the_timing_checks_run(exercise, cubes_changed) == code


def test_a_helper_is_compared_only_where_a_timing_check_can_reach_it():
    """A module-level function that no timing check can reach (exercise5's: `multiprocess`) is left
    out of the comparison. One reached from a function they call, or from the module's own code by
    name, attribute or string, is compared, and so is one whose definition runs code (a decorator, a call in
    a default), since that code runs at import."""
    exercise = CATALOG["exercise5"]

    def compared(source: str) -> str:
        return _code_the_timing_checks_run(exercise, source)

    module = "import sys\n\n\ndef multiprocess():\n    return _used()\n\n\ndef _used():\n    return _deeper()\n\n\n" \
             "def _deeper():\n    return 1\n"
    unused = "\n\ndef _unused():\n    return 2\n"
    assert compared(module + unused) == compared(module)
    assert compared(module.replace("return 1", "return 3")) != compared(module)
    assert compared(module + "\n\n@staticmethod" + unused) != compared(module)
    assert compared(module + unused.replace("_unused()", "_unused(at_import=print())")) != compared(module)
    assert compared(module + unused.replace("_unused()", "_unused(plain=1)")) == compared(module)
    for reach in ("_unused()", "globals()['_unused']()", "sys.modules[__name__]._unused()"):
        uses = f"\n\nUSES = lambda: {reach}\n"
        assert compared(module + unused + uses) != compared(module + uses), reach


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
