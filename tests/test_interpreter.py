"""The interpreter facts a report states, with a free-threaded build faked where none is at hand."""
from __future__ import annotations

import sys

from grader.interpreter import Interpreter


def test_a_build_with_the_gil_needs_no_note():
    standard = Interpreter("3.13.5", "CPython", gil=True, start_method="fork")
    assert not standard.has_gil_note("exercise2")


def test_a_free_threaded_build_notes_exercise2_only():
    free = Interpreter("3.14.0", "CPython", gil=False, start_method="forkserver")
    assert free.has_gil_note("exercise2")
    assert not any(free.has_gil_note(f"exercise{n}") for n in (1, 3, 4, 5))


def test_the_gil_is_read_from_the_running_interpreter(monkeypatch):
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    assert Interpreter.current().gil is False
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    assert Interpreter.current().gil is True


def test_before_3_13_every_build_has_the_gil(monkeypatch):
    monkeypatch.delattr(sys, "_is_gil_enabled", raising=False)
    assert Interpreter.current().gil is True


def test_the_default_start_method_is_read_without_fixing_it():
    import multiprocessing
    before = multiprocessing.get_start_method(allow_none=True)
    Interpreter.current()
    assert multiprocessing.get_start_method(allow_none=True) == before


def _report_of_exercise2(gil: bool, lang: str):
    from grader.report import ExerciseResult, Report
    python = Interpreter("3.14.0", "CPython", gil=gil, start_method="forkserver").to_dict()
    return Report([ExerciseResult("exercise2", "Sum"), ExerciseResult("exercise1", "Race")], lang, python)


def test_a_free_threaded_build_is_noted_under_exercise2_in_the_text_report():
    from grader.writers import text
    english = text.write(_report_of_exercise2(gil=False, lang="en"))
    assert english.count("free-threaded build") == 1
    assert english.index("free-threaded") < english.index("exercise1:")
    assert "без GIL" in text.write(_report_of_exercise2(gil=False, lang="ru"))
    assert "free-threaded" not in text.write(_report_of_exercise2(gil=True, lang="en"))


def test_the_json_report_names_the_interpreter_and_reads_it_back():
    import json
    from grader.report import Report
    from grader.writers import json_report
    data = json.loads(json_report.write(_report_of_exercise2(gil=False, lang="en")))
    assert data["python"] == {"version": "3.14.0", "implementation": "CPython", "gil": False,
                              "start_method": "forkserver"}
    assert Report.from_dict(data).python == data["python"]
