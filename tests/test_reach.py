"""How the variant tests tell which of a submission's code a check can run (tests/reach.py)."""
from __future__ import annotations

from grader.catalog import load_catalog
from reach import code_run, entries, run_order

CATALOG = load_catalog()
MODULE = ("import sys\n\n\ndef multiprocess():\n    return _used()\n\n\ndef _used():\n    return _deeper()\n\n\n"
          "def _deeper():\n    return 1\n")
UNUSED = "\n\ndef _unused():\n    return 2\n"


def _compared(source: str) -> str:
    return code_run(source, {"multiprocess"})


def test_a_function_the_entries_cannot_reach_is_left_out():
    assert _compared(MODULE + UNUSED) == _compared(MODULE)
    assert _compared(MODULE.replace("return 1", "return 3")) != _compared(MODULE), "reached through _used"


def test_a_function_whose_definition_runs_code_is_kept():
    assert _compared(MODULE + "\n\n@staticmethod" + UNUSED) != _compared(MODULE)
    assert _compared(MODULE + UNUSED.replace("_unused()", "_unused(at_import=print())")) != _compared(MODULE)
    assert _compared(MODULE + UNUSED.replace("_unused()", "_unused(plain=1)")) == _compared(MODULE)


def test_the_modules_own_code_reaches_a_function_by_name_attribute_or_string():
    for reach in ("_unused()", "globals()['_unused']()", "sys.modules[__name__]._unused()"):
        uses = f"\n\nUSES = lambda: {reach}\n"
        assert _compared(MODULE + UNUSED + uses) != _compared(MODULE + uses), reach


def test_docstrings_comments_and_layout_are_not_code():
    documented = MODULE.replace("def _deeper():\n", 'def _deeper():\n    """Why."""\n    # and how\n\n')
    assert _compared(documented) == _compared(MODULE)


def test_a_check_reaches_what_the_catalog_says_it_calls_and_what_its_code_spells():
    """exercise5's speedup check reads parzen_estimation off the submission (getattr), which its
    catalog entry does not name."""
    for exercise in CATALOG.values():
        for spec in exercise.checks:
            assert set(spec.calls) <= entries(exercise, spec), spec.name
    speedup = CATALOG["exercise5"].check("test_multiprocess_is_faster_than_serial")
    assert "parzen_estimation" not in speedup.calls
    assert "parzen_estimation" in entries(CATALOG["exercise5"], speedup)


def test_the_run_order_holds_every_check_once():
    for exercise in CATALOG.values():
        assert sorted(spec.name for spec in run_order(exercise)) == sorted(spec.name for spec in exercise.checks)
