"""How an exception in a check becomes a status, a reason and feedback: a student's mistake is a
failure that names its cause, and only an exception from the grader's own code is a grader error."""
from __future__ import annotations

import threading

import pytest

from grader.feedback import CHECK_HINT, Feedback, fail_without_concurrency, shown
from grader.messages import msg
from grader.verdict import StudentInterrupt, classify

STUDENT_FILE = "/submission/exercise.py"


def _raised(function) -> BaseException:
    try:
        function()
    except BaseException as exc:  # noqa: BLE001 - every kind is what the tests feed classify
        return exc
    raise AssertionError("did not raise")


def _student_code(source: str) -> BaseException:
    """An exception raised by `source` compiled as if it were the student's file."""
    namespace: dict = {"threading": threading}
    exec(compile(source, STUDENT_FILE, "exec"), namespace)
    return _raised(namespace["work"])


def test_a_failure_shows_the_catalog_hint_only_when_it_asks_for_it():
    seen = msg("queue.wrong_result", n_threads=3, got="2")
    own = classify(Feedback(seen, msg("lock.hint.join")), "call", STUDENT_FILE, 10)
    catalog = classify(Feedback(seen, CHECK_HINT), "call", STUDENT_FILE, 10)
    plain = classify(Feedback(seen), "call", STUDENT_FILE, 10)
    assert (own.catalog_hint, catalog.catalog_hint, plain.catalog_hint) == (False, True, False)
    assert "Hint: Call join() on every thread" in own.feedback and "Hint" not in catalog.feedback + plain.feedback


def test_a_gated_check_fails_with_its_reason():
    verdict = classify(_raised(lambda: fail_without_concurrency("lock.no_thread", n_threads=4, increments=1)),
                       "call", STUDENT_FILE, 10)
    assert (verdict.status, verdict.reason) == ("failed", "no concurrent work")
    assert verdict.feedback.startswith("count_with_lock(4, 1) started no thread.")


def test_a_thread_never_started_is_named_first():
    exc = _student_code("def work():\n    t = threading.Thread(target=print)\n    t.join()\n")
    verdict = classify(exc, "call", STUDENT_FILE, 10)
    assert verdict.status == "failed" and not verdict.catalog_hint
    assert verdict.feedback.startswith("A thread was joined before it was started")
    assert "line 3" in verdict.feedback


@pytest.mark.parametrize("source", [
    "def work():\n    raise KeyboardInterrupt\n",
    "class Strange(BaseException):\n    pass\n\ndef work():\n    raise Strange('odd')\n",
])
def test_a_base_exception_from_the_student_is_a_failure(source):
    verdict = classify(StudentInterrupt(_student_code(source)), "call", STUDENT_FILE, 10)
    assert verdict.status == "failed" and verdict.feedback.startswith("Your code raised")


def test_an_exception_that_cannot_be_printed_is_still_described():
    source = ("class Unprintable(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n\n"
              "def work():\n    raise Unprintable()\n")
    verdict = classify(_student_code(source), "call", STUDENT_FILE, 10)
    assert verdict.status == "failed" and "Your code raised Unprintable." in verdict.feedback


def test_an_exception_from_the_grader_is_a_grader_error():
    verdict = classify(_raised(lambda: {}["missing"]), "call", STUDENT_FILE, 10)
    assert (verdict.status, verdict.reason) == ("error", "grader error")


def test_student_values_are_shown_short_and_safely():
    class BadRepr:
        def __repr__(self):
            raise ValueError("no repr")

    assert len(shown(list(range(2_000_000)))) < 200
    assert "BadRepr" in shown(BadRepr())
