"""One call of a student's function under every thread probe at once."""
from __future__ import annotations

import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable

from grader.guard import report_tampering
from grader.messages import msg
from grader.probes.locks import LockLog, LockRegistry
from grader.probes.prints import PrintLog, watch_prints
from grader.probes.threads import StartedThread, ThreadLog, watch_threads
from grader.probes import tracing
from grader.probes.tracing import Preemption, StudentTracer, TraceLog, no_locks, steady_scheduling


_clock = time.monotonic


@dataclass
class Observation:
    """What a call returned and what it did with threads, shared state, locks and standard output
    (`prints`: what was printed, and by which thread, until the call returned)."""

    result: object
    threads: ThreadLog
    trace: TraceLog
    locks: LockLog | None
    freeze_leftovers: Callable[[], None]
    prints: PrintLog = field(default_factory=PrintLog)


SETTLE_TIMEOUT_S = 2.0


def _settle(leftovers: list[StartedThread]) -> None:
    """Let the non-daemon threads a call left running finish, so that what they do is still seen.

    Joined with the original `Thread.join`, after the thread watch has ended: the grader's waiting
    must not count as the student's join.
    """
    deadline = _clock() + SETTLE_TIMEOUT_S
    for started in leftovers:
        if not started.daemon:
            started.thread.join(max(0.0, deadline - _clock()))


class ProbeFault(RuntimeError):
    """A probe failed inside a thread of the student's: the verdict would rest on broken evidence."""


def _raise_probe_faults(log: ThreadLog) -> None:
    """Raise when a started thread died of an exception raised by the tracer itself.

    Such a thread never did its share of the work, which would otherwise look like the student's
    lost updates; it is the grader's fault, and must end as a grader error, not a failure."""
    for name, error in log.crashed:
        # The tracer's frames are in a traceback only when the exception was raised inside it: it
        # never calls the student's code.
        if any(frame.filename == tracing.__file__ for frame in traceback.extract_tb(error.__traceback__)):
            raise ProbeFault(f"the tracer failed in thread {name}: {error!r}") from error


def _runs_student_code(started: StartedThread, student_file: str) -> bool:
    """Whether the thread's target (or its `run` override) is a function of the student's file."""
    runner = started.target if started.target is not None else type(started.thread).run
    return getattr(getattr(runner, "__code__", None), "co_filename", None) == student_file


def _check_tracing(tracer: StudentTracer, installed: dict, finished: list[StartedThread],
                   student_file: str) -> None:
    """Report tampering when the tracer was changed during the call, or a thread that ran the
    student's code to its end was never seen by it (tracing switched off when it started)."""
    changed = [name for name, value in installed.items() if vars(tracer).get(name) is not value]
    if changed:
        report_tampering(msg("guard.tracer_changed", names=", ".join(changed)))
    untraced = [s for s in finished
                if _runs_student_code(s, student_file) and not tracer.log.ran_student_code(s.thread)]
    if untraced:
        report_tampering(msg("guard.untraced_threads", threads=len(untraced)))


def observe_call(function: Callable, *args, student_file: str, preemption: Preemption | None = None,
                 locks: LockRegistry | None = None, leave_running: bool = False, steady: bool = False,
                 **kwargs) -> Observation:
    """Call `function(*args, **kwargs)` while watching threads and standard output, tracing the
    student's bytecode and recording lock use; exceptions from the call propagate after every probe
    is removed. With `steady`, threads switch only where they block (see `steady_scheduling`).

    Non-daemon threads the call left running are given a moment to finish while still traced. Then
    every thread of the call is frozen when it next runs the student's code, unless `leave_running`
    is set (the caller then freezes them with `Observation.freeze_leftovers` once it has looked)."""
    tracer = StudentTracer(student_file, preemption, locks.held if locks else no_locks)
    try:
        with tracer as trace_log, (locks.recording() if locks else nullcontext()) as lock_log:
            # Kept here, out of the student's reach (frames are refused), to be compared afterwards.
            installed = dict(vars(tracer))
            with steady_scheduling() if steady else nullcontext():
                with watch_threads() as thread_log, watch_prints() as print_log:
                    result = function(*args, **kwargs)
                _settle(thread_log.alive_at_return)
            # Threads that ended while the tracer was on: each ran its whole target under it.
            finished = [s for s in thread_log.started if not s.thread.is_alive()]
            _check_tracing(tracer, installed, finished, student_file)
    except BaseException:
        tracer.freeze_leftovers()
        raise
    if not leave_running:
        tracer.freeze_leftovers()
    _raise_probe_faults(thread_log)
    return Observation(result, thread_log, trace_log, lock_log, tracer.freeze_leftovers, print_log)
