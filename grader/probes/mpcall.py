"""Calling a student's multiprocessing function under watch, and cleaning up whatever it leaves.

`call_watched` runs one call with the process, pool and /proc probes installed and returns what they
saw. Whatever happens (a return, an exception, the check's timeout), the children and pools the call
left behind are recorded first and then ended, so the next check starts from a clean machine. A
timeout gets a note naming the children that were still alive and, when the main thread was waiting in
`Process.join()`, the "joining processes that use queues" pitfall. An error raised under the `spawn`
start method gets an explanation of what spawn does differently. A call that waits for something that
can never come is stopped at once and told why (see `_StallWatch`): every child it started has died,
the processes it created were never started, or its main thread joins a child that cannot exit because
the results it sent wait unread in a full pipe.
"""
from __future__ import annotations

import multiprocessing
import pickle
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.feedback import Feedback, fail, info
from grader.messages import Message, msg
from grader.probes import processes as proc
from grader.probes.mprocs import ProcessLog, pipe_capacity, unread_bytes, watch_processes
from grader.probes.pools import PoolLog, finish_pools, watch_pools
from grader.submission import describe_exception, student_frames
from grader.verdict import is_timeout

_perf = time.perf_counter
_JOIN_AFTER_KILL_S = 5.0
_WATCH_INTERVAL_S = 0.2
_CRASH_GRACE_S = 1.0
# Longer than any pause between creating a process and starting it, even on a busy machine.
_NEVER_STARTED_GRACE_S = 1.0
_DEADLOCK_GRACE_S = 1.5
# A pipe this full (of its capacity) whose content does not move has a writer blocked on it: Linux
# counts a pipe's space in page-sized slots, so a blocked writer can leave a little of it unused.
_FULL_PIPE_FRACTION = 0.75
_STOP_SIGNAL = signal.SIGUSR2

SPAWN_EXPLAINED = msg("processes.hint.spawn")
QUEUE_PITFALL = msg("processes.hint.queue_pitfall")
NEVER_STARTED = msg("processes.hint.never_started")


@dataclass
class WatchedCall:
    """What one watched call returned and did."""

    description: str | Message
    before: set[int] = field(default_factory=set)
    result: object = None
    wall_seconds: float = 0.0
    processes: ProcessLog | None = None
    pools: PoolLog = field(default_factory=PoolLog)
    left: proc.Leftovers = field(default_factory=proc.Leftovers)
    leftover_lines: list[Message] = field(default_factory=list)
    # Whether a Manager's server process is among what the call left running.
    manager_left: bool = False
    exit_codes: list[int | None] = field(default_factory=list)

    def record_leftovers(self) -> None:
        """Note what the call left behind, before anything (our clean-up included) can reap it. A
        Manager's server process is named as such: its command line is only the parent's."""
        self.left = proc.leftovers(self.before)
        servers = self.processes.manager_pids() if self.processes else set()
        self.leftover_lines = self.left.descriptions({pid: msg("processes.manager_server", pid=pid)
                                                      for pid in servers})
        self.manager_left = bool(servers & (self.left.alive | self.left.zombies))
        self.exit_codes = self.processes.exit_codes() if self.processes else []


class ChildrenDied(Exception):
    """Raised in the main thread when every child of the call has died and the call still waits."""


class ProcessesNeverStarted(Exception):
    """Raised in the main thread when the call waits while processes it created were never started."""


class JoinDeadlock(Exception):
    """Raised in the main thread when it joins a child that cannot exit: the results sent wait unread
    in a full pipe that nobody reads."""

    def __init__(self, unread: int):
        super().__init__(f"{unread} bytes unread")
        self.unread = unread


class NeverStartedFeedback(Feedback):
    """The failure of a call that waited for processes it created but never started. `none_started`
    says whether the call started no process at all (it did no concurrent work)."""

    def __init__(self, message: Message, none_started: bool):
        super().__init__(message, NEVER_STARTED)
        self.none_started = none_started


class _FullPipeWatch:
    """The join-before-drain deadlock's sign: the main thread joins a running child while a pipe the
    call made stays full, its content not moving between two looks."""

    def __init__(self, log: ProcessLog):
        self.log = log
        self._previous: dict[int, int] = {}
        self.unread = 0

    def __call__(self) -> bool:
        joining = self.log.joining
        running = joining is not None and joining._popen is not None and joining._popen.returncode is None
        now = {id(reader): unread_bytes(reader) for reader in self.log.readers}
        stuck = [now[id(r)] for r in self.log.readers if running
                 and now[id(r)] >= _FULL_PIPE_FRACTION * pipe_capacity(r) > 0
                 and self._previous.get(id(r)) == now[id(r)]]
        self._previous = now
        self.unread = max(stuck, default=0)
        return bool(stuck)


class _StallWatch:
    """Ends a call that waits for something that can never come, instead of letting it time out.

    Each sign must hold at every look for its grace period; the main thread is then interrupted with
    the sign's exception, so the check can say what happened in a second or two, not a timeout:
    - every child the call started has ended, at least one with an error (ChildrenDied);
    - processes the call created were never started, none is being started and no started one is
      still running (ProcessesNeverStarted);
    - the main thread joins a child while the results sent wait in a full pipe (JoinDeadlock).
    """

    def __init__(self, log: ProcessLog):
        self.log = log
        self.full_pipe = _FullPipeWatch(log)
        self.signs = ((ChildrenDied, _CRASH_GRACE_S, self._all_died),
                      (ProcessesNeverStarted, _NEVER_STARTED_GRACE_S, self._waits_on_unstarted),
                      (JoinDeadlock, _DEADLOCK_GRACE_S, self.full_pipe))
        self.stall: Exception = ChildrenDied()
        self.returned = threading.Event()
        self.main = threading.main_thread().ident
        self._thread = threading.Thread(target=self._watch, name="grader-stall-watch", daemon=True)

    def _all_died(self) -> bool:
        codes = self.log.exit_codes()
        return bool(codes) and None not in codes and any(code != 0 for code in codes)

    def _waits_on_unstarted(self) -> bool:
        return (bool(self.log.never_started()) and not self.log.starting
                and None not in self.log.exit_codes())

    def _watch(self) -> None:
        since: dict[type, float] = {}
        while not self.returned.wait(_WATCH_INTERVAL_S):
            for stall, grace, holds in self.signs:
                if not holds():
                    since.pop(stall, None)
                elif _perf() - since.setdefault(stall, _perf()) >= grace:
                    self.stall = JoinDeadlock(self.full_pipe.unread) if stall is JoinDeadlock else stall()
                    signal.pthread_kill(self.main, _STOP_SIGNAL)
                    return

    def _raise_stall(self, signum, frame):
        raise self.stall

    def __enter__(self) -> "_StallWatch":
        self._previous = signal.signal(_STOP_SIGNAL, self._raise_stall)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.returned.set()
        self._thread.join()
        signal.signal(_STOP_SIGNAL, self._previous)


def _failed_exit_codes(codes: list[int | None]) -> list[int]:
    """The distinct exit codes of children that ended with an error, in order."""
    return sorted({code for code in codes if code not in (0, None)})


def _died_feedback(call: WatchedCall) -> None:
    __tracebackhide__ = True
    codes = _failed_exit_codes(call.exit_codes)
    spawn = multiprocessing.get_start_method() == "spawn"
    fail("processes.children_died", call=call.description, codes=", ".join(map(str, codes)), n_codes=len(codes),
         hint=SPAWN_EXPLAINED if spawn else msg("processes.hint.read_child_errors"))


def _never_started_feedback(call: WatchedCall) -> None:
    __tracebackhide__ = True
    unstarted = len(call.processes.never_started())
    created = unstarted + len(call.processes.workers())
    raise NeverStartedFeedback(msg("processes.waited_on_unstarted", call=call.description, unstarted=unstarted,
                                   created=created),
                               none_started=not call.processes.workers())


def _deadlock_feedback(call: WatchedCall, unread: int) -> None:
    __tracebackhide__ = True
    fail("processes.join_deadlock", call=call.description, unread=unread, hint=QUEUE_PITFALL)


def _looks_like_pickling(exc: BaseException) -> bool:
    return isinstance(exc, pickle.PicklingError) or "pickle" in str(exc).lower()


def _timeout_lines(call: WatchedCall) -> list[Message]:
    """What the grader saw of the call's children when the check timed out, one message a line."""
    alive = call.leftover_lines
    lines = []
    if alive:
        lines.append(msg("processes.timeout.still_running", processes=proc.joined(alive[:6])))
    # A pool's workers end by SIGTERM when the stopped call unwinds through its `with` block: not
    # something that went wrong before, as a crash is.
    terminated = [code for code in call.exit_codes if code == -signal.SIGTERM]
    crashed = [code for code in call.exit_codes if code not in (0, None, -signal.SIGTERM)]
    if crashed:
        codes = _failed_exit_codes(crashed)
        lines.append(msg("processes.timeout.died", crashed=len(crashed), codes=", ".join(map(str, codes)),
                         n_codes=len(codes)))
        if multiprocessing.get_start_method() == "spawn":
            lines.append(SPAWN_EXPLAINED)
    if terminated:
        lines.append(msg("processes.timeout.terminated", terminated=len(terminated)))
    if call.processes.interrupted_in_join and alive:
        lines.append(msg("processes.timeout.join_before_drain", pitfall=QUEUE_PITFALL))
    unstarted = call.processes.never_started()
    if unstarted:
        lines.append(msg("processes.timeout.never_started", unstarted=len(unstarted), why=NEVER_STARTED))
    return lines


def _spawn_feedback(call: WatchedCall, exc: BaseException, student_file: str) -> None:
    __tracebackhide__ = True
    frames = student_frames(exc.__traceback__, student_file)
    fail("processes.spawn_error", call=call.description, error=describe_exception(exc),
         where=msg("where.at", place=frames[-1].describe()) if frames else "", hint=SPAWN_EXPLAINED)


def call_watched(request, student_file: str, description: str | Message, function: Callable, *args,
                 **kwargs) -> WatchedCall:
    """Call `function(*args, **kwargs)` under the probes; return what it returned and did.

    The leftovers are counted the moment the call returns, before anything could reap them; then
    leaked pools are terminated and leftover processes killed.
    """
    __tracebackhide__ = True
    call = WatchedCall(description, before=proc.descendant_pids())
    started = _perf()
    try:
        with watch_processes() as proc_log, watch_pools() as pool_log:
            call.processes, call.pools = proc_log, pool_log
            with _StallWatch(proc_log):
                call.result = function(*args, **kwargs)
            call.wall_seconds = _perf() - started
            call.record_leftovers()
    except BaseException as exc:
        call.record_leftovers()
        note = _timeout_lines(call) if is_timeout(exc) else []
        _clean_up(call)
        if isinstance(exc, ChildrenDied):
            _died_feedback(call)
        if isinstance(exc, ProcessesNeverStarted):
            _never_started_feedback(call)
        if isinstance(exc, JoinDeadlock):
            _deadlock_feedback(call, exc.unread)
        if note:
            info(request, "processes.timeout.note", call=call.description, lines=note)
        elif (isinstance(exc, Exception) and multiprocessing.get_start_method() == "spawn"
              and _looks_like_pickling(exc)):
            _spawn_feedback(call, exc, student_file)
        raise
    _clean_up(call)
    return call


def _clean_up(call: WatchedCall) -> None:
    finish_pools(call.pools)
    stray = call.left.alive | call.left.zombies
    # Through their Process objects first, so multiprocessing's own bookkeeping learns they ended.
    for started in call.processes.started if call.processes else []:
        if started.pid in stray:
            started.process.kill()
            started.process.join(_JOIN_AFTER_KILL_S)
    still_there = proc.leftovers(call.before)
    if not still_there.clean:
        proc.kill_tree(still_there.alive | still_there.zombies)
