"""Watching the child processes a student's function starts, and what the parent itself sends.

`watch_processes()` wraps `multiprocessing.process.BaseProcess` (`__init__`, `start`, `join`) for the
length of one call, so it sees every `Process` however the student imported it and whatever the start
method: those created, those started, those joined, and the one the main thread is joining now. It
also records results the PARENT puts on a `multiprocessing.Queue`, sends down a `Pipe` or appends to a
`Manager` list (work that should have happened in the children), what the parent received from the
children (a queue's `get`, a pipe's `recv`, a read of a Manager object), and which Manager objects it
read while a child was still running. It keeps the queues and one-way pipes the call created, so a
watcher can see how much of their data waits unread. Forked children inherit the wrappers, so each
wrapper records only in the process that installed it.
"""
from __future__ import annotations

import array
import fcntl
import multiprocessing
import os
import sys
import termios
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import connection, managers, queues
from multiprocessing.process import BaseProcess
from typing import Iterator

from grader.messages import Message, msg
from grader.probes.patches import check_still_installed

_ORIGINAL_INIT = BaseProcess.__init__
_ORIGINAL_START = BaseProcess.start
_ORIGINAL_JOIN = BaseProcess.join
_ORIGINAL_QUEUE_INIT = queues.Queue.__init__
_ORIGINAL_PUT = queues.Queue.put
_ORIGINAL_GET = queues.Queue.get
_ORIGINAL_SIMPLE_PUT = queues.SimpleQueue.put
_ORIGINAL_SIMPLE_GET = queues.SimpleQueue.get
_ORIGINAL_PIPE = connection.Pipe
_ORIGINAL_SEND = connection._ConnectionBase.send
_ORIGINAL_RECV = connection._ConnectionBase.recv
_ORIGINAL_CALLMETHOD = managers.BaseProxy._callmethod

_MULTIPROCESSING_DIR = os.path.dirname(multiprocessing.__file__)
# `multiprocessing.Pipe()` is the context's method: a pipe made through it is the caller's own.
_CONTEXT_FILE = os.path.join(_MULTIPROCESSING_DIR, "context.py")

# Proxy methods that add a result to a Manager's shared object.
_PROXY_WRITES = {"append", "extend", "insert", "__setitem__", "__iadd__", "put", "update"}
# Manager objects that hold results (not queues): reading one before the children finished reads
# whatever they happened to have written so far.
_SHARED_CONTAINERS = {"list", "dict", "Value", "Array", "Namespace"}


@dataclass
class StartedProcess:
    """A process started during the watched call."""

    process: BaseProcess
    target: object
    # The target's arguments, kept at start(): the Process object drops them once it has started.
    arguments: tuple = ()
    # Read when a join sees the process end: `Process.close()` discards it, and a closed process
    # raises on every question asked of it.
    exit_code_at_join: int | None = None

    @property
    def closed(self) -> bool:
        return getattr(self.process, "_closed", False) is True

    @property
    def pid(self) -> int | None:
        return None if self.closed else self.process.pid

    def exit_code(self) -> int | None:
        """The exit code, None while running. A process closed without a join seen to end it has
        ended (close() refuses a running one), with a code nobody can read any more: taken as 0."""
        if self.closed:
            return self.exit_code_at_join if self.exit_code_at_join is not None else 0
        return self.process.exitcode if self.process._popen else None

    @property
    def internal(self) -> bool:
        """True for a Manager's server process: a helper, not a worker (pool workers do count)."""
        return _is_internal(self.target)

    @property
    def has_no_work(self) -> bool:
        """True when the process was given no callable target and runs no `run` override."""
        no_target = self.target is None or not callable(self.target)
        return no_target and type(self.process).run is BaseProcess.run


def _is_internal(target: object) -> bool:
    return getattr(target, "__module__", "") == "multiprocessing.managers"


def unread_bytes(reader: connection.Connection) -> int:
    """How many bytes wait unread in the pipe behind `reader` (0 once it is closed)."""
    try:
        count = array.array("i", [0])
        fcntl.ioctl(reader.fileno(), termios.FIONREAD, count, True)
    except (OSError, ValueError):
        return 0
    return count[0]


def pipe_capacity(reader: connection.Connection) -> int:
    """The capacity of the pipe behind `reader`, or 0 when it is not a pipe (or is closed)."""
    try:
        return fcntl.fcntl(reader.fileno(), fcntl.F_GETPIPE_SZ)
    except (OSError, ValueError):
        return 0


@dataclass
class ProcessLog:
    """What the watched call did with processes, and what the parent sent and received itself."""

    parent_pid: int
    created: list[BaseProcess] = field(default_factory=list)
    started: list[StartedProcess] = field(default_factory=list)
    joined: set[int] = field(default_factory=set)
    interrupted_in_join: bool = False
    parent_sends: list[str] = field(default_factory=list)
    queue_gets: int = 0
    parent_receives: int = 0
    # What the parent took from its children (queue items, pipe messages, Manager reads), to tell
    # results the children sent from results the parent made beside them.
    received: list = field(default_factory=list)
    early_reads: list[str] = field(default_factory=list)
    readers: list[connection.Connection] = field(default_factory=list)
    starting: int = 0
    joining: BaseProcess | None = None

    def workers(self) -> list[StartedProcess]:
        """The processes started to do the work: the student's own and pool workers."""
        return [s for s in self.started if not s.internal]

    def manager_pids(self) -> set[int]:
        """The pids of the Manager server processes the call started."""
        return {s.pid for s in self.started if s.internal and s.pid is not None}

    def without_work(self) -> list[StartedProcess]:
        return [s for s in self.workers() if s.has_no_work]

    def never_started(self) -> list[BaseProcess]:
        """The processes the call created (helpers aside) whose start() was never called."""
        started = {id(s.process) for s in self.started}
        return [p for p in self.created
                if id(p) not in started and not _is_internal(getattr(p, "_target", None))]

    def exit_codes(self) -> list[int | None]:
        """The workers' exit codes, None for those still running (reaps those that have ended)."""
        return [s.exit_code() for s in self.workers()]

    def received_from_children(self) -> bool:
        """Whether the parent took anything the children sent: a queue item, a pipe message, a read of
        a Manager object."""
        return bool(self.queue_gets or self.parent_receives)

    def unfinished_workers(self) -> list[StartedProcess]:
        """Started workers not yet known to have ended (neither joined nor seen to exit)."""
        return [s for s in self.workers() if not s.closed and s.process._popen and s.process._popen.returncode is None]

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

    def pipe_made_by_caller(self) -> bool:
        """True in the watching process when `Pipe()` was called by the caller's code (directly or as
        `multiprocessing.Pipe()`), not inside a Queue, a Pool or a Manager."""
        if not self.in_parent():
            return False
        caller = sys._getframe(2).f_code.co_filename
        return caller == _CONTEXT_FILE or not caller.startswith(_MULTIPROCESSING_DIR)


def process_target_mistake(log: ProcessLog) -> Message | None:
    """The message for processes handed the result of a call instead of a function, or None."""
    bad = log.without_work()
    if not bad:
        return None
    example = bad[0].target
    given = "None" if example is None else f"{type(example).__name__} ({_short(example)})"
    return msg("processes.target_called", bad=len(bad), started=len(log.workers()), given=given)


def _short(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a student's object whose __repr__ raises
        text = f"<a {type(value).__name__} object>"
    return text if len(text) <= 40 else text[:37] + "..."


@contextmanager
def watch_processes() -> Iterator[ProcessLog]:
    """Record processes created, started and joined, and what the parent sent and received itself,
    during the block."""
    log = ProcessLog(parent_pid=os.getpid())

    def init(self, *args, **kwargs):
        _ORIGINAL_INIT(self, *args, **kwargs)
        if log.in_parent():
            log.created.append(self)

    def start(self):
        if not log.in_parent():
            return _ORIGINAL_START(self)
        arguments = (*getattr(self, "_args", ()), *getattr(self, "_kwargs", {}).values())
        log.started.append(StartedProcess(self, getattr(self, "_target", None), arguments))
        log.starting += 1
        try:
            return _ORIGINAL_START(self)
        finally:
            log.starting -= 1

    def join(self, timeout=None):
        main = log.in_parent() and threading.current_thread() is threading.main_thread()
        if main:
            log.joining = self
        try:
            result = _ORIGINAL_JOIN(self, timeout)
        except BaseException:
            log.interrupted_in_join = True
            raise
        finally:
            if main:
                log.joining = None
        if self._popen is not None and self._popen.returncode is not None:
            log.joined.add(id(self))
            for started in log.started:
                if started.process is self:
                    started.exit_code_at_join = self._popen.returncode
        return result

    def queue_init(self, *args, **kwargs):
        _ORIGINAL_QUEUE_INIT(self, *args, **kwargs)
        if log.in_parent():
            log.readers.append(self._reader)

    def pipe(duplex=True):
        ends = _ORIGINAL_PIPE(duplex)
        if not duplex and log.pipe_made_by_caller():
            log.readers.append(ends[0])
        return ends

    def put(self, obj, block=True, timeout=None):
        if log.parent_call_from_user_code():
            log.parent_sends.append(f"Queue.put({_short(obj)})")
        return _ORIGINAL_PUT(self, obj, block, timeout)

    def get(self, block=True, timeout=None):
        item = _ORIGINAL_GET(self, block, timeout)
        if log.in_parent():
            log.queue_gets += 1
            log.received.append(item)
        return item

    def simple_put(self, obj):
        if log.parent_call_from_user_code():
            log.parent_sends.append(f"SimpleQueue.put({_short(obj)})")
        return _ORIGINAL_SIMPLE_PUT(self, obj)

    def simple_get(self):
        item = _ORIGINAL_SIMPLE_GET(self)
        if log.parent_call_from_user_code():
            log.queue_gets += 1
            log.received.append(item)
        return item

    def send(self, obj):
        if log.parent_call_from_user_code():
            log.parent_sends.append(f"Connection.send({_short(obj)})")
        return _ORIGINAL_SEND(self, obj)

    def recv(self):
        item = _ORIGINAL_RECV(self)
        if log.parent_call_from_user_code():
            log.parent_receives += 1
            log.received.append(item)
        return item

    def callmethod(self, methodname, args=(), kwds={}):  # noqa: B006 - the signature being wrapped
        from_parent = log.parent_call_from_user_code()
        if from_parent and methodname in _PROXY_WRITES:
            log.parent_sends.append(f"{type(self).__name__}.{methodname}{_short(tuple(args))}")
        elif from_parent:
            _record_read(log, self, methodname)
        value = _ORIGINAL_CALLMETHOD(self, methodname, args, kwds)
        if from_parent and methodname not in _PROXY_WRITES:
            log.received.append(value)
        return value

    BaseProcess.__init__, BaseProcess.start, BaseProcess.join = init, start, join
    queues.Queue.__init__, queues.Queue.put, queues.Queue.get = queue_init, put, get
    queues.SimpleQueue.put, queues.SimpleQueue.get = simple_put, simple_get
    connection.Pipe = pipe
    connection._ConnectionBase.send, connection._ConnectionBase.recv = send, recv
    managers.BaseProxy._callmethod = callmethod
    try:
        yield log
    finally:
        for owner, installed in ((BaseProcess, {"__init__": init, "start": start, "join": join}),
                                 (queues.Queue, {"__init__": queue_init, "put": put, "get": get}),
                                 (queues.SimpleQueue, {"put": simple_put, "get": simple_get}),
                                 (connection, {"Pipe": pipe}),
                                 (connection._ConnectionBase, {"send": send, "recv": recv}),
                                 (managers.BaseProxy, {"_callmethod": callmethod})):
            check_still_installed(owner, installed, msg("guard.watch.processes"))
        BaseProcess.__init__, BaseProcess.start, BaseProcess.join = _ORIGINAL_INIT, _ORIGINAL_START, _ORIGINAL_JOIN
        queues.Queue.__init__, queues.Queue.put, queues.Queue.get = _ORIGINAL_QUEUE_INIT, _ORIGINAL_PUT, _ORIGINAL_GET
        queues.SimpleQueue.put, queues.SimpleQueue.get = _ORIGINAL_SIMPLE_PUT, _ORIGINAL_SIMPLE_GET
        connection.Pipe = _ORIGINAL_PIPE
        connection._ConnectionBase.send, connection._ConnectionBase.recv = _ORIGINAL_SEND, _ORIGINAL_RECV
        managers.BaseProxy._callmethod = _ORIGINAL_CALLMETHOD


def _record_read(log: ProcessLog, proxy: managers.BaseProxy, methodname: str) -> None:
    """A read of a Manager object by the parent: something received, and too early while a child is
    still running when the object is a shared container (a queue's get is meant to wait)."""
    log.parent_receives += 1
    typeid = getattr(getattr(proxy, "_token", None), "typeid", "")
    if typeid in _SHARED_CONTAINERS and log.unfinished_workers():
        log.early_reads.append(f"{type(proxy).__name__}.{methodname}")
