"""Every check of every exercise against submissions whose functions return the wrong kind of value
or raise unusual exceptions: each such check must fail with feedback for the student, and no check
may end in the grader's own error.

Each submission is the reference solution with every graded function replaced by one behaviour, and
every answer constant by the same kind of wrong value, so that the checks of the other parts of the
file see the reference's behaviour.
"""
from __future__ import annotations

import pytest

from conftest import GRADER_ERROR, ONE_CHILD, ROOT, grade_here
from grader.catalog import load_catalog

CATALOG = load_catalog()

PRELUDE = '''

class _Strange(BaseException):
    """Not an Exception: a BaseException subclass of the student's own."""


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("this exception cannot be printed")

    __repr__ = __str__
'''

# behaviour: (the body of every graded function, the value of every answer constant)
BEHAVIOURS = {
    "returns_none": ("return None", "None"),
    "returns_a_string": ("return 'not a result'", "'not a result'"),
    "returns_a_generator": ("return (i for i in range(3))", "(i for i in range(3))"),
    "returns_a_huge_list": ("return list(range(2_000_000))", "list(range(2_000_000))"),
    "raises_keyboard_interrupt": ("raise KeyboardInterrupt", "'?'"),
    "raises_a_base_exception_subclass": ("raise _Strange('strange')", "'?'"),
    "raises_an_unprintable_exception": ("raise _Unprintable()", "'?'"),
}


def _targets(exercise) -> tuple[list[str], list[str]]:
    """The exercise's graded functions and its answer constants."""
    targets = list(dict.fromkeys(spec.target for spec in exercise.checks))
    return [t for t in targets if not t.isupper()], [t for t in targets if t.isupper()]


def wrong_submission(exercise, behaviour: str) -> str:
    """The reference solution with every graded function and answer replaced by `behaviour`."""
    body, answer = BEHAVIOURS[behaviour]
    functions, answers = _targets(exercise)
    source = (ROOT / "solutions" / exercise.module).read_text(encoding="utf-8") + PRELUDE
    for name in functions:
        source += f"\n\ndef {name}(*args, **kwargs):\n    {body}\n"
    for name in answers:
        source += f"\n{name} = {answer}\n"
    return source


CASES = [(exercise, behaviour) for exercise in CATALOG.values() for behaviour in BEHAVIOURS]


@pytest.mark.parametrize("exercise, behaviour", CASES, ids=[f"{e.id}-{b}" for e, b in CASES])
def test_every_check_fails_the_wrong_submission_without_a_grader_error(exercise, behaviour, tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / exercise.module).write_text(wrong_submission(exercise, behaviour), encoding="utf-8")
    graded = grade_here(exercise.id, "--path", str(folder), "--format", "json", "--include-hidden", *ONE_CHILD)
    checks = graded.report["exercises"][0]["checks"]
    assert not [c for c in checks if c["reason"] == GRADER_ERROR], graded.stdout
    not_failed = [f"{c['name']}: {c['status']} ({c['reason']}): {c['feedback'][:300]}" for c in checks
                  if c["status"] != "failed"]
    assert not not_failed, "\n".join(not_failed)
    assert all(len(c["feedback"]) < 10_000 for c in checks)
    assert graded.exit_code == 1
