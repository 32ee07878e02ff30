"""How a check tells the student what went wrong: what was seen, what was expected, a hint.

Checks call `fail(...)`; the plugin turns the exception into the check's feedback text. A failure
shows the catalog's hint of its check only when it asks for it (`hint=CHECK_HINT`): the catalog hint
speaks of the behaviour the check is named for, and would mislead under a failure of another cause.
Checks that cannot decide (for example a speedup on a machine too busy to measure one) call
`not_measurable`.
"""
from __future__ import annotations

import reprlib

from grader.report import NO_CONCURRENT_WORK

# A student's value or message can be a whole data set: each part of a feedback is cut to this length.
MAX_PART_CHARS = 2000

_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 80, 80, 12, 12, 8


class _CheckHint(str):
    """The marker for "this failure is what the check's catalog hint is about"."""


CHECK_HINT = _CheckHint("")


class Feedback(AssertionError):
    """A check failed for a reason a student can act on."""

    def __init__(self, seen: str, expected: str = "", hint: str = "", reason: str = ""):
        self.seen, self.expected, self.reason = seen, expected, reason
        self.catalog_hint = isinstance(hint, _CheckHint)
        self.hint = "" if self.catalog_hint else hint
        super().__init__(self.text())

    def text(self) -> str:
        lines = [_cut(self.seen)]
        if self.expected:
            lines.append(f"Expected: {_cut(self.expected)}")
        if self.hint:
            lines.append(f"Hint: {_cut(self.hint)}")
        return "\n".join(lines)


def _cut(text: str) -> str:
    text = str(text).strip()
    return text if len(text) <= MAX_PART_CHARS else text[:MAX_PART_CHARS] + " ..."


def shown(value: object) -> str:
    """A short, safe repr of a value a student's function returned, for feedback: long sequences
    are abbreviated, and a repr that raises is replaced by the type's name."""
    try:
        return _SHORT.repr(value)
    except Exception:  # noqa: BLE001 - a student's object whose __repr__ raises
        return f"<a {type(value).__name__} object>"


class NotMeasurable(Exception):
    """The machine gave too little to decide; the check is skipped, never failed."""


def fail(seen: str, expected: str = "", hint: str = "") -> None:
    """Fail the running check with feedback written for the student."""
    __tracebackhide__ = True
    raise Feedback(seen, expected, hint)


def check(condition: bool, seen: str, expected: str = "", hint: str = "") -> None:
    """Fail the running check unless `condition` holds."""
    __tracebackhide__ = True
    if not condition:
        raise Feedback(seen, expected, hint)


def fail_without_concurrency(seen: str, expected: str) -> None:
    """Fail a check about *how* concurrent work is done, because the function did not do that work.

    `seen` says what the call did instead (no thread started, no pool opened, ...); `expected` what
    the exercise asks the function to start. Such a property (threads joined, pool closed, lock held)
    holds vacuously when nothing was started, and earns nothing until the work is done concurrently.
    """
    __tracebackhide__ = True
    raise Feedback(f"{seen.strip()} This check judges how the function's concurrent work is done, so it "
                   "cannot pass until the function does that work the way the exercise asks.",
                   expected, reason=NO_CONCURRENT_WORK)


def not_measurable(why: str) -> None:
    """Skip the running check because the machine cannot show the behaviour right now."""
    __tracebackhide__ = True
    raise NotMeasurable(why)


def info(request, text: str) -> None:
    """Attach an informational note to the running check, shown even when it passes."""
    request.node.user_properties.append(("info", text))
