"""A submission whose file did not import: every check it asked for ended in an error with reason
"import error" and the same explanation. The writers show that explanation once, at the top, and
list the checks as not run."""
from __future__ import annotations

from grader.report import IMPORT_ERROR, CheckResult, ExerciseResult


def not_run(check: CheckResult) -> bool:
    """Whether the check could not run because the file did not import."""
    return check.reason == IMPORT_ERROR


def explanations(result: ExerciseResult) -> list[str]:
    """Each distinct explanation of the import failure, in the order the checks gave them."""
    seen: list[str] = []
    for check in result.checks:
        if not_run(check) and check.feedback and check.feedback not in seen:
            seen.append(check.feedback)
    return seen
