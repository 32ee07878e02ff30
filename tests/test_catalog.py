"""The catalog agrees with the check modules, the stubs and the reference solutions."""
from __future__ import annotations

import ast

import pytest

from conftest import ROOT
from grader.catalog import KINDS, load_catalog, resolve

CATALOG = load_catalog()


def _test_functions(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_every_catalog_check_is_a_test_and_every_test_is_in_the_catalog(exercise):
    assert _test_functions(exercise.check_module) == {c.name for c in exercise.checks}


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_every_exercise_has_a_stub_and_a_reference_solution(exercise):
    assert (ROOT / "exercises" / exercise.module).is_file()
    assert (ROOT / "solutions" / exercise.module).is_file()


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_every_check_has_points_a_target_a_kind_and_an_english_hint(exercise):
    for check in exercise.checks:
        assert check.points > 0 and check.target and check.hint.en
        assert check.kind in KINDS


def test_exercises_resolve_by_id_number_and_module():
    first = CATALOG["exercise1"]
    assert resolve(CATALOG, "1") is resolve(CATALOG, "exercise1") is resolve(CATALOG, first.module) is first
    assert resolve(CATALOG, "exercise99") is None
