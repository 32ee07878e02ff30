"""Locks that report how they are used: by whom, how often, and whether through `with`.

`LockRegistry.install()` replaces the lock factories of `threading` with ones that hand the student's
file traced locks (locks made anywhere else, the standard library's own, stay untouched). It must be
installed before the student's module is imported, so that module-level locks are traced too.
"""
from __future__ import annotations

import sys
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

FACTORY_NAMES = ("Lock", "RLock", "Semaphore", "BoundedSemaphore")


@dataclass
class Acquisition:
    """One successful acquisition of a traced lock."""

    lock: int
    thread: int
    via_with: bool
    line: int


@dataclass
class LockLog:
    """Lock use recorded during one watched call."""

    acquisitions: list[Acquisition] = field(default_factory=list)


class TracedLock:
    """A wrapper around a real lock that records acquisitions and knows which threads hold it."""

    def __init__(self, inner, kind: str, registry: "LockRegistry", line: int, creator: int):
        self._inner, self.kind, self._registry = inner, kind, registry
        self.line, self.creator = line, creator
        self._holders: Counter[int] = Counter()

    def _acquired(self, via_with: bool, line: int) -> None:
        me = threading.get_ident()
        self._holders[me] += 1
        self._registry.record(Acquisition(id(self), me, via_with, line))

    def _released(self) -> None:
        me = threading.get_ident()
        holder = me if self._holders[me] else next(iter(+self._holders), None)
        if holder is not None:
            self._holders[holder] -= 1

    def held_by(self, thread: int) -> bool:
        return self._holders[thread] > 0

    def acquire(self, *args, **kwargs):
        got = self._inner.acquire(*args, **kwargs)
        if got:
            self._acquired(via_with=False, line=sys._getframe(1).f_lineno)
        return got

    def release(self):
        self._released()
        self._inner.release()

    def __enter__(self):
        self._inner.acquire()
        self._acquired(via_with=True, line=sys._getframe(1).f_lineno)
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"<traced {self.kind} made on line {self.line}>"


def _maker(frame):
    """The frame that asked for a lock: the caller, or, when the caller is generated code (a
    dataclass's `__init__` running `field(default_factory=threading.Lock)`, file `<string>`), the
    first frame above it that is not."""
    while frame is not None and frame.f_code.co_filename.startswith("<"):
        frame = frame.f_back
    return frame


class LockRegistry:
    """Hands out traced locks to code in one file and records their use while recording."""

    def __init__(self, student_file: str):
        self.student_file = student_file
        self.locks: dict[int, TracedLock] = {}
        self._log: LockLog | None = None
        self._originals: dict[str, object] = {}

    def _factory(self, kind: str, original):
        def make(*args, **kwargs):
            inner = original(*args, **kwargs)
            caller = _maker(sys._getframe(1))
            if caller is None or caller.f_code.co_filename != self.student_file:
                return inner
            lock = TracedLock(inner, kind, self, caller.f_lineno, threading.get_ident())
            self.locks[id(lock)] = lock
            return lock
        return make

    def install(self) -> None:
        """Replace the `threading` lock factories for the rest of the grading process (idempotent)."""
        if self._originals:
            return
        for name in FACTORY_NAMES:
            original = getattr(threading, name)
            self._originals[name] = original
            setattr(threading, name, self._factory(name, original))

    def record(self, acquisition: Acquisition) -> None:
        if self._log is not None:
            self._log.acquisitions.append(acquisition)

    def held(self, thread: int) -> frozenset[int]:
        """Ids of the traced locks `thread` holds right now."""
        return frozenset(key for key, lock in list(self.locks.items()) if lock.held_by(thread))

    @contextmanager
    def recording(self) -> Iterator[LockLog]:
        """Record every acquisition made while the block runs."""
        self._log = log = LockLog()
        try:
            yield log
        finally:
            self._log = None
