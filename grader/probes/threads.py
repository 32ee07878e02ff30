"""Watching the threads a student's function starts: how many, with what target, joined or not.

`watch_threads()` wraps `threading.Thread.start` and `join` and the thread excepthook for the length
of one call, so it sees every thread however the student's module imported `Thread`.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from grader.feedback import shown
from grader.messages import Message, msg
from grader.probes.patches import check_still_installed

_ORIGINAL_START = threading.Thread.start
_ORIGINAL_JOIN = threading.Thread.join
# Every thread that died of an exception during the running check, kept beyond any watched call:
# when a check times out, the thread that died without doing its part is often why.
_CRASHES: list[tuple[str, BaseException]] = []


@contextmanager
def recording_crashes() -> Iterator[None]:
    """Record every thread that dies of an exception while the block runs (a whole check), also
    those started outside a watched call; the record starts empty."""
    _CRASHES.clear()
    previous_hook = threading.excepthook

    def excepthook(args):
        _CRASHES.append((args.thread.name if args.thread else "?", args.exc_value))

    threading.excepthook = excepthook
    try:
        yield
    finally:
        threading.excepthook = previous_hook


def crashes_seen() -> list[tuple[str, BaseException]]:
    """(thread name, exception) of each thread that died in the check `recording_crashes()` covers."""
    return list(_CRASHES)


@dataclass
class StartedThread:
    """A thread started during the watched call."""

    thread: threading.Thread
    started_by: int
    target: object
    daemon: bool

    @property
    def has_no_work(self) -> bool:
        """True when the thread was given no target (and runs no `run` override): it does nothing."""
        return self.target is None and type(self.thread).run is threading.Thread.run

    @property
    def target_not_callable(self) -> bool:
        return self.target is not None and not callable(self.target)


@dataclass
class ThreadLog:
    """What the watched call did with threads."""

    caller: int
    started: list[StartedThread] = field(default_factory=list)
    joined: set[int] = field(default_factory=set)
    crashed: list[tuple[str, BaseException]] = field(default_factory=list)
    alive_at_return: list[StartedThread] = field(default_factory=list)
    # The most threads started and not yet joined at any one start: 1 when every thread is joined
    # before the next one is started, which no scheduling can change.
    most_unjoined: int = 0
    unjoined: set[int] = field(default_factory=set)

    def not_joined(self) -> list[StartedThread]:
        """Threads on which `join()` was never completed."""
        return [s for s in self.started if id(s.thread) not in self.joined]

    def without_work(self) -> list[StartedThread]:
        """Threads given no callable target: `Thread(target=job())` passes job's result."""
        return [s for s in self.started if s.has_no_work or s.target_not_callable]

    def idents(self) -> set[int]:
        return {s.thread.ident for s in self.started if s.thread.ident is not None}

    def threads(self) -> set[threading.Thread]:
        """The started threads themselves (objects: an ident can be reused once a thread ends)."""
        return {s.thread for s in self.started}


def target_mistake(log: ThreadLog) -> Message | None:
    """The message for threads that were handed the result of a call instead of a function, or None."""
    bad = log.without_work()
    if not bad:
        return None
    example = bad[0].target
    given = "None" if example is None else f"{type(example).__name__} ({shown(example)})"
    return msg("threads.target_called", bad=len(bad), started=len(log.started), given=given)


@contextmanager
def watch_threads() -> Iterator[ThreadLog]:
    """Record the threads started, joined and crashed while the block runs."""
    log = ThreadLog(caller=threading.get_ident())
    previous_hook = threading.excepthook

    def start(self, *args, **kwargs):
        log.started.append(StartedThread(self, threading.get_ident(), getattr(self, "_target", None),
                                         self.daemon))
        log.unjoined.add(id(self))
        log.most_unjoined = max(log.most_unjoined, len(log.unjoined))
        return _ORIGINAL_START(self, *args, **kwargs)

    def join(self, timeout=None):
        result = _ORIGINAL_JOIN(self, timeout)
        if not self.is_alive():
            log.joined.add(id(self))
            log.unjoined.discard(id(self))
        return result

    def excepthook(args):
        crash = (args.thread.name if args.thread else "?", args.exc_value)
        log.crashed.append(crash)
        _CRASHES.append(crash)

    threading.Thread.start, threading.Thread.join = start, join
    threading.excepthook = excepthook
    try:
        yield log
    finally:
        # A submission may install its own thread excepthook and leave it there: that is no tampering.
        # It can only hide its own threads' crashes from this record, which no verdict in its favour
        # rests on; the hook is put back to what it was before the call all the same.
        check_still_installed(threading.Thread, {"start": start, "join": join}, msg("guard.watch.threads"))
        threading.Thread.start, threading.Thread.join = _ORIGINAL_START, _ORIGINAL_JOIN
        threading.excepthook = previous_hook
        log.alive_at_return = [s for s in log.started if s.thread.is_alive()]
