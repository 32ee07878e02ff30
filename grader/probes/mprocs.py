"""Watching the child processes a student's function starts, and what the parent itself sends.

`watch_processes()` wraps `multiprocessing.process.BaseProcess.start` and `join` for the length of one
call, so it sees every `Process` however the student imported it and whatever the start method. It
also records results the PARENT puts on a `multiprocessing.Queue`, sends down a `Pipe` or appends to a
`Manager` list: work that should have happened in the children. Forked children inherit the wrappers,
so each wrapper records only in the process that installed it.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import connection, managers, queues
from multiprocessing.process import BaseProcess
from typing import Iterator

_ORIGINAL_START = BaseProcess.start
_ORIGINAL_JOIN = BaseProcess.join
_ORIGINAL_PUT = queues.Queue.put
_ORIGINAL_GET = queues.Queue.get
_ORIGINAL_SEND = connection._ConnectionBase.send
_ORIGINAL_CALLMETHOD = managers.BaseProxy._callmethod

_MULTIPROCESSING_DIR = os.path.dirname(multiprocessing.__file__)

# Proxy methods that add a result to a Manager's shared object.
_PROXY_WRITES = {"append", "extend", "insert", "__setitem__", "__iadd__", "put", "update"}


@dataclass
class StartedProcess:
    """A process started during the watched call."""

    process: BaseProcess
    target: object

    @property
    def internal(self) -> bool:
        """True for a Manager's server process: a helper, not a worker (pool workers do count)."""
        return getattr(self.target, "__module__", "") == "multiprocessing.managers"

    @property
    def has_no_work(self) -> bool:
        """True when the process was given no callable target and runs no `run` override."""
        no_target = self.target is None or not callable(self.target)
        return no_target and type(self.process).run is BaseProcess.run


@dataclass
class ProcessLog:
    """What the watched call did with processes, and what the parent sent itself."""

    parent_pid: int
    started: list[StartedProcess] = field(default_factory=list)
    joined: set[int] = field(default_factory=set)
    interrupted_in_join: bool = False
    parent_sends: list[str] = field(default_factory=list)
    queue_gets: int = 0

    def workers(self) -> list[StartedProcess]:
        """The processes started to do the work: the student's own and pool workers."""
        return [s for s in self.started if not s.internal]

    def without_work(self) -> list[StartedProcess]:
        return [s for s in self.workers() if s.has_no_work]

    def exit_codes(self) -> list[int | None]:
        """The workers' exit codes, None for those still running (reaps those that have ended)."""
        return [s.process.exitcode if s.process._popen else None for s in self.workers()]

    def in_parent(self) -> bool:
        return os.getpid() == self.parent_pid

    def parent_call_from_user_code(self) -> bool:
        """True in the watching process when the wrapped call was made by code outside multiprocessing
        (a Manager and a Pool send on connections too; that is their business, not a result)."""
        if not self.in_parent():
            return False
        frame = sys._getframe(2)
        # Proxy methods are generated with exec(): their frames come from "<string>".
        while frame is not None and frame.f_code.co_filename == "<string>":
            frame = frame.f_back
        return frame is not None and not frame.f_code.co_filename.startswith(_MULTIPROCESSING_DIR)


def process_target_feedback(log: ProcessLog) -> str:
    """Feedback for processes handed the result of a call instead of a function, or ''."""
    bad = log.without_work()
    if not bad:
        return ""
    example = bad[0].target
    given = "None" if example is None else f"a {type(example).__name__} ({example!r:.40})"
    return (f"{len(bad)} of the {len(log.workers())} processes you started had no function to run: "
            f"their `target` was {given}. `Process(target=worker())` calls `worker` right away, in the "
            "PARENT process, and passes its result as the target; the child then does nothing. Pass the "
            "function itself: `Process(target=worker, args=(...))`.")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@contextmanager
def watch_processes() -> Iterator[ProcessLog]:
    """Record processes started and joined, and results the parent sent itself, during the block."""
    log = ProcessLog(parent_pid=os.getpid())

    def start(self):
        if log.in_parent():
            log.started.append(StartedProcess(self, getattr(self, "_target", None)))
        return _ORIGINAL_START(self)

    def join(self, timeout=None):
        try:
            result = _ORIGINAL_JOIN(self, timeout)
        except BaseException:
            log.interrupted_in_join = True
            raise
        if self._popen is not None and self._popen.returncode is not None:
            log.joined.add(id(self))
        return result

    def put(self, obj, block=True, timeout=None):
        if log.parent_call_from_user_code():
            log.parent_sends.append(f"Queue.put({_short(obj)})")
        return _ORIGINAL_PUT(self, obj, block, timeout)

    def get(self, block=True, timeout=None):
        item = _ORIGINAL_GET(self, block, timeout)
        if log.in_parent():
            log.queue_gets += 1
        return item

    def send(self, obj):
        if log.parent_call_from_user_code():
            log.parent_sends.append(f"Connection.send({_short(obj)})")
        return _ORIGINAL_SEND(self, obj)

    def callmethod(self, methodname, args=(), kwds={}):  # noqa: B006 - the signature being wrapped
        if methodname in _PROXY_WRITES and log.parent_call_from_user_code():
            log.parent_sends.append(f"{type(self).__name__}.{methodname}{_short(tuple(args))}")
        return _ORIGINAL_CALLMETHOD(self, methodname, args, kwds)

    BaseProcess.start, BaseProcess.join = start, join
    queues.Queue.put, queues.Queue.get = put, get
    connection._ConnectionBase.send = send
    managers.BaseProxy._callmethod = callmethod
    try:
        yield log
    finally:
        BaseProcess.start, BaseProcess.join = _ORIGINAL_START, _ORIGINAL_JOIN
        queues.Queue.put, queues.Queue.get = _ORIGINAL_PUT, _ORIGINAL_GET
        connection._ConnectionBase.send = _ORIGINAL_SEND
        managers.BaseProxy._callmethod = _ORIGINAL_CALLMETHOD
