"""How a check tells the student what went wrong: what was seen, what was expected, a hint.

Checks call `fail("lock.lost_updates", call=..., got=...)`: a message key and its values, whose
sentences in every language live in `grader/checks/messages/` (see `grader.messages`). The plugin
carries the message as data; it becomes text only when rendered in the student's language.

A failure shows the catalog's hint of its check only when it asks for it (`hint=CHECK_HINT`): the
catalog hint speaks of the behaviour the check is named for, and would mislead under a failure of
another cause. A hint of its own is a message (`hint=msg("hint.join_threads")`). Checks that cannot
decide (for example a speedup on a machine too busy to measure one) call `not_measurable`.
"""
from __future__ import annotations

import reprlib
from typing import Any

from grader.messages import Message, msg, render
from grader.report import NO_CONCURRENT_WORK

_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 80, 80, 12, 12, 8


class _CheckHint:
    """The marker for "this failure is what the check's catalog hint is about"."""


CHECK_HINT = _CheckHint()


class Feedback(AssertionError):
    """A check failed for a reason a student can act on."""

    def __init__(self, message: Message, hint: Message | _CheckHint | None = None, reason: str = ""):
        self.message, self.reason = message, reason
        self.catalog_hint = isinstance(hint, _CheckHint)
        self.hint = hint if isinstance(hint, Message) else None
        super().__init__(render(self.parts()))

    def parts(self) -> list[Message]:
        """The messages a student reads, in order: the failure, then why it earns nothing, a hint."""
        parts = [self.message]
        if self.reason == NO_CONCURRENT_WORK:
            parts.append(msg("feedback.no_concurrent_work"))
        if self.hint is not None:
            parts.append(msg("feedback.hint", hint=self.hint))
        return parts


def shown(value: object) -> str:
    """A short, safe repr of a value a student's function returned, for feedback: long sequences
    are abbreviated, and a repr that raises is replaced by the type's name."""
    try:
        return _SHORT.repr(value)
    except Exception:  # noqa: BLE001 - a student's object whose __repr__ raises
        return f"<{type(value).__name__}>"


class NotMeasurable(Exception):
    """The machine gave too little to decide; the check is skipped, never failed."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(render(message))


class DependencyMissing(Exception):
    """An optional library the check needs is not installed; the check is skipped, never failed."""

    def __init__(self, message: Message):
        self.message = message
        super().__init__(render(message))


def fail(key: str, /, hint: Message | _CheckHint | None = None, **values: Any) -> None:
    """Fail the running check with the message `key` and its values."""
    __tracebackhide__ = True
    raise Feedback(msg(key, **values), hint)


def check(condition: bool, key: str, /, hint: Message | _CheckHint | None = None, **values: Any) -> None:
    """Fail the running check with the message `key` unless `condition` holds."""
    __tracebackhide__ = True
    if not condition:
        raise Feedback(msg(key, **values), hint)


def fail_without_concurrency(key: str, /, **values: Any) -> None:
    """Fail a check about *how* concurrent work is done, because the function did not do that work.

    The message says what the call did instead (no thread started, no pool opened, ...) and what
    the exercise asks the function to start. Such a property (threads joined, pool closed, lock held)
    holds vacuously when nothing was started, and earns nothing until the work is done concurrently.
    """
    __tracebackhide__ = True
    raise Feedback(msg(key, **values), reason=NO_CONCURRENT_WORK)


def not_measurable(key: str, /, **values: Any) -> None:
    """Skip the running check because the machine cannot show the behaviour right now."""
    __tracebackhide__ = True
    raise NotMeasurable(msg(key, **values))


def info(request, key: str, /, **values: Any) -> None:
    """Attach an informational note to the running check, shown even when it passes."""
    request.node.user_properties.append(("info", msg(key, **values).to_data()))


def dependency_missing(key: str, /, **values: Any) -> None:
    """Skip the running check because an optional library it needs is not installed."""
    __tracebackhide__ = True
    raise DependencyMissing(msg(key, **values))
