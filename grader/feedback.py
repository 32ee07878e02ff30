"""How a check tells the student what went wrong: what was seen, what was expected, a hint.

Checks call `fail(...)`; the plugin turns the exception into the check's feedback text. Checks that
cannot decide (for example a speedup on a machine too busy to measure one) call `not_measurable`.
"""
from __future__ import annotations


class Feedback(AssertionError):
    """A check failed for a reason a student can act on."""

    def __init__(self, seen: str, expected: str = "", hint: str = ""):
        self.seen, self.expected, self.hint = seen, expected, hint
        super().__init__(self.text())

    def text(self) -> str:
        lines = [self.seen.strip()]
        if self.expected:
            lines.append(f"Expected: {self.expected.strip()}")
        if self.hint:
            lines.append(f"Hint: {self.hint.strip()}")
        return "\n".join(lines)


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


def not_measurable(why: str) -> None:
    """Skip the running check because the machine cannot show the behaviour right now."""
    __tracebackhide__ = True
    raise NotMeasurable(why)


def info(request, text: str) -> None:
    """Attach an informational note to the running check, shown even when it passes."""
    request.node.user_properties.append(("info", text))
