"""One call of a student's function under every thread probe at once."""
from __future__ import annotations

from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from typing import Callable

from grader.probes.locks import LockLog, LockRegistry
from grader.probes.threads import ThreadLog, watch_threads
from grader.probes.tracing import Preemption, StudentTracer, TraceLog, no_locks


@dataclass
class Observation:
    """What a call returned and what it did with threads, shared state and locks."""

    result: object
    threads: ThreadLog
    trace: TraceLog
    locks: LockLog | None


def observe_call(function: Callable, *args, student_file: str, preemption: Preemption | None = None,
                 locks: LockRegistry | None = None, **kwargs) -> Observation:
    """Call `function(*args, **kwargs)` while watching threads, tracing the student's bytecode and
    recording lock use; exceptions from the call propagate after every probe is removed."""
    with ExitStack() as stack:
        thread_log = stack.enter_context(watch_threads())
        lock_log = stack.enter_context(locks.recording() if locks else nullcontext())
        tracer = StudentTracer(student_file, preemption, locks.held if locks else no_locks)
        trace_log = stack.enter_context(tracer)
        result = function(*args, **kwargs)
    return Observation(result, thread_log, trace_log, lock_log)
