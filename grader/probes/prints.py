"""Watching what a call prints, and which threads print it.

`watch_prints()` puts a thin wrapper in front of `sys.stdout` for the length of the call; everything
written still reaches the stream it replaced (the check's capture), and the wrapper keeps a copy and
notes the thread that wrote each non-blank piece. `print` looks `sys.stdout` up on every call, so a
thread started during the call is seen too.
"""
from __future__ import annotations

import _thread
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from grader.messages import msg
from grader.probes.patches import check_still_installed


@dataclass
class PrintLog:
    """What was written to standard output during the watched call, in order, and how many non-blank
    pieces each thread wrote (thread objects: an ident can be reused)."""

    pieces: list[str] = field(default_factory=list)
    writes: Counter[threading.Thread] = field(default_factory=Counter)

    def by(self, thread: threading.Thread) -> int:
        """How many non-blank pieces `thread` wrote."""
        return self.writes[thread]

    def text(self) -> str:
        """Everything written, as the reader of standard output saw it."""
        return "".join(self.pieces)


class _NotingStream:
    """Standard output as before, noting which thread writes."""

    def __init__(self, inner, log: PrintLog):
        self._inner, self._log = inner, log
        self._counting = _thread.allocate_lock()

    def write(self, text):
        if isinstance(text, str):
            with self._counting:
                self._log.pieces.append(text)
                if text.strip():
                    self._log.writes[threading.current_thread()] += 1
        return self._inner.write(text)

    def __getattr__(self, name):
        return getattr(self._inner, name)


@contextmanager
def watch_prints() -> Iterator[PrintLog]:
    """Record the threads that write to `sys.stdout` while the block runs."""
    log = PrintLog()
    previous = sys.stdout
    sys.stdout = noting = _NotingStream(previous, log)
    try:
        yield log
    finally:
        check_still_installed(sys, {"stdout": noting}, msg("guard.watch.prints"))
        sys.stdout = previous
