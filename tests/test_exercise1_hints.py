"""exercise1's hints speak of the cause seen: a failure of another cause than the one a check is
named for does not carry that check's catalog hint (declared phrases that must appear are in the
variants' `# expect-feedback:` lines; this tests the phrases that must not)."""
from __future__ import annotations

import pytest

from conftest import VARIANTS, run_grade, submission_with
from grader.catalog import load_catalog

EXERCISE = load_catalog()["exercise1"]
LOCK_HINT = EXERCISE.check("test_count_with_lock_returns_every_increment").hint.en

# variant: (checks, a hint none of their feedbacks may carry)
CASES = {
    # Joining a thread never started raises: the lock is not what is wrong.
    "threads_never_started": ([c.name for c in EXERCISE.checks if c.target == "count_with_lock"], LOCK_HINT),
    # The threads are never joined: they lose no update, they are read too early.
    "threads_not_joined": (["test_count_with_lock_keeps_every_increment_when_threads_switch"], LOCK_HINT),
}


@pytest.mark.parametrize("variant", list(CASES))
def test_a_failure_of_another_cause_does_not_carry_the_check_hint(variant, tmp_path):
    checks, hint = CASES[variant]
    folder = submission_with(tmp_path, EXERCISE.module, VARIANTS / "exercise1" / f"{variant}.py")
    graded = run_grade(EXERCISE.id, "--path", str(folder), "--format", "json", "--include-hidden")
    carrying = [name for name in checks if hint in graded.check(name)["feedback"]]
    assert not carrying, f"{variant}: the hint {hint!r} is shown under {carrying}"
