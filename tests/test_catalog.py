"""The catalog agrees with the check modules, the stubs and the reference solutions."""
from __future__ import annotations

import ast

import pytest

from conftest import ROOT
from grader.catalog import KINDS, CatalogError, load_catalog, resolve

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


def test_the_checks_that_measure_time_are_marked_as_timing():
    timing = {e.id: {c.name for c in e.checks if c.timing} for e in CATALOG.values() if e.has_timing}
    assert timing == {
        "exercise2": {"test_sum_counts_every_element_exactly_once"},
        "exercise3": {"test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time"},
        "exercise5": {"test_multiprocess_is_faster_than_serial"},
    }


def test_a_timing_flag_that_is_not_a_boolean_is_a_catalog_error(tmp_path):
    source = (CATALOG["exercise4"].check_module.with_suffix(".yaml")).read_text(encoding="utf-8")
    broken = source.replace("    points: 1\n", "    points: 1\n    timing: sometimes\n", 1)
    (tmp_path / "exercise4.yaml").write_text(broken, encoding="utf-8")
    (tmp_path / "exercise4.py").write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match="timing must be true or false"):
        load_catalog(tmp_path)
