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

from grader.feedback import Feedback
from grader.feedback import english_fail as fail, english_info as info
from grader.messages import msg, render
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
_NEVER_STARTED_GRACE_S = 2.0
_DEADLOCK_GRACE_S = 1.5
# A pipe this full (of its capacity) whose content does not move has a writer blocked on it: Linux
# counts a pipe's space in page-sized slots, so a blocked writer can leave a little of it unused.
_FULL_PIPE_FRACTION = 0.75
_STOP_SIGNAL = signal.SIGUSR2

SPAWN_EXPLAINED = (
    "Under the `spawn` start method (the default on macOS and Windows; Python 3.14 makes `forkserver`, "
    "which behaves the same way here, the default on Linux) a child does not get a copy of the parent: "
    "it starts a fresh interpreter, imports your module by name and receives its target and arguments "
    "pickled. So the target must be a module-level function (no lambda, no nested function), your "
    "module must do no work at import time, and globals the parent set while running are not there "
    "in the child: pass everything the child needs as arguments.")

_QUEUE_PITFALL = (
    "A child that has put data on a multiprocessing.Queue cannot exit until that data has been read from "
    "the queue's pipe, so joining it before taking its results off the queue deadlocks once the data "
    "outgrows the pipe's buffer (the multiprocessing docs' programming guideline \"Joining processes "
    "that use queues\"). Take the results off the queue first, then join.")

JOIN_BEFORE_DRAIN = ("The main thread was waiting in Process.join() for a child that never finished. "
                     + _QUEUE_PITFALL)

NEVER_STARTED = (
    "A Process object does nothing until its start() is called: creating it runs nothing, so the "
    "results the parent waits for never come. Call start() on every process you create, take their "
    "results, then join them.")


@dataclass
class WatchedCall:
    """What one watched call returned and did."""

    description: str
    before: set[int] = field(default_factory=set)
    result: object = None
    wall_seconds: float = 0.0
    processes: ProcessLog | None = None
    pools: PoolLog = field(default_factory=PoolLog)
    left: proc.Leftovers = field(default_factory=proc.Leftovers)
    leftover_lines: list[str] = field(default_factory=list)
    exit_codes: list[int | None] = field(default_factory=list)

    def record_leftovers(self) -> None:
        """Note what the call left behind, before anything (our clean-up included) can reap it."""
        self.left = proc.leftovers(self.before)
        self.leftover_lines = self.left.descriptions()
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

    def __init__(self, seen: str, expected: str, hint: str, none_started: bool):
        super().__init__(msg("untranslated", text=seen, expected=expected), msg("untranslated.hint", text=hint))
        self.seen, self.expected, self.none_started = seen, expected, none_started


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


def _died_feedback(call: WatchedCall) -> None:
    __tracebackhide__ = True
    codes = sorted({code for code in call.exit_codes if code not in (0, None)})
    spawn = multiprocessing.get_start_method() == "spawn"
    fail(f"{call.description} kept waiting after every child process it started had died (exit "
         f"code{'s' if len(codes) > 1 else ''} {', '.join(map(str, codes))}): the results they should "
         "have sent can never come.",
         "children that do their work and send it back, under every start method",
         SPAWN_EXPLAINED if spawn else "Look at the error the children print: run the function "
                                       "yourself and read what they say before they die.")


def _never_started_feedback(call: WatchedCall) -> None:
    __tracebackhide__ = True
    unstarted = len(call.processes.never_started())
    created = unstarted + len(call.processes.workers())
    raise NeverStartedFeedback(
        f"{call.description} waited for results, but {unstarted} of the {created} processes it created "
        "were never started (start() was never called on them).",
        "every process started with start() before the parent waits for its result", NEVER_STARTED,
        none_started=not call.processes.workers())


def _deadlock_feedback(call: WatchedCall, unread: int) -> None:
    __tracebackhide__ = True
    fail(f"{call.description} deadlocked: its main thread waited in Process.join() for a child that "
         f"could not exit, while {unread:_} bytes of results sat unread in the full pipe between the "
         "children and the parent (the grader stopped it).",
         "the results taken off the queue before the children are joined", _QUEUE_PITFALL)


def _looks_like_pickling(exc: BaseException) -> bool:
    return isinstance(exc, pickle.PicklingError) or "pickle" in str(exc).lower()


def _timeout_note(call: WatchedCall) -> str:
    alive = call.leftover_lines
    lines = [f"While the grader waited for {call.description}:"]
    if alive:
        lines.append("child processes still running (the grader killed them): " + "; ".join(alive[:6]))
    crashed = [code for code in call.exit_codes if code not in (0, None)]
    if crashed:
        lines.append(f"{len(crashed)} child process(es) had already died with exit code(s) "
                     f"{sorted(set(crashed))}: a result they should have sent never came.")
        if multiprocessing.get_start_method() == "spawn":
            lines.append(SPAWN_EXPLAINED)
    if call.processes.interrupted_in_join and alive:
        lines.append(JOIN_BEFORE_DRAIN)
    unstarted = call.processes.never_started()
    if unstarted:
        lines.append(f"{len(unstarted)} process(es) the call created were never started. " + NEVER_STARTED)
    return "\n".join(lines)


def _spawn_feedback(call: WatchedCall, exc: BaseException, student_file: str) -> None:
    __tracebackhide__ = True
    frames = student_frames(exc.__traceback__, student_file)
    where = f" at {render(frames[-1].describe())}" if frames else ""
    fail(f"{call.description} raised {describe_exception(exc)}{where} under the `spawn` start method.",
         "the same result under every start method", SPAWN_EXPLAINED)


def call_watched(request, student_file: str, description: str, function: Callable, *args,
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
        note = _timeout_note(call) if is_timeout(exc) else ""
        _clean_up(call)
        if isinstance(exc, ChildrenDied):
            _died_feedback(call)
        if isinstance(exc, ProcessesNeverStarted):
            _never_started_feedback(call)
        if isinstance(exc, JoinDeadlock):
            _deadlock_feedback(call, exc.unread)
        if note:
            info(request, note)
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
        if started.process.pid in stray:
            started.process.kill()
            started.process.join(_JOIN_AFTER_KILL_S)
    still_there = proc.leftovers(call.before)
    if not still_there.clean:
        proc.kill_tree(still_there.alive | still_there.zombies)
