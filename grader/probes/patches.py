"""Checking that an instrument a probe installed is still in place when the probe takes it off.

A probe that replaces a function for the length of a call (`Thread.start`, `socket.socket.connect`,
`sys.stdout`, ...) sees nothing once the student's code puts the original back: it would then judge
a call it did not watch. Each such probe checks, before it restores the original, that what it
installed is still there, and reports tampering otherwise (`grader.guard.report_tampering`).
"""
from __future__ import annotations

from grader.guard import report_tampering
from grader.messages import Message, msg

_MISSING = object()


def check_still_installed(owner: object, installed: dict[str, object], instrument: Message) -> None:
    """Report tampering when an attribute of `owner` is no longer what the probe set it to."""
    removed = [name for name, value in installed.items() if getattr(owner, name, _MISSING) is not value]
    if removed:
        label = getattr(owner, "__name__", type(owner).__name__)
        report_tampering(msg("guard.instrument_off", instrument=instrument,
                             names=", ".join(f"{label}.{n}" for n in removed)))
