"""Opcode-level tracing of the student's code: who wrote shared state, under which locks, and forced
preemption between bytecodes.

CPython rarely switches threads between the load and the store of `counter += 1`, so a racy counter
usually gives the right number. With preemption on, every bytecode the student's code runs in a
worker thread is followed by a short sleep, which hands the interpreter to another thread exactly
where a real scheduler could: a lost update then shows nearly every time, while correctly locked code
is only slowed down (a thread sleeping inside `with lock:` still holds the lock). Every thread started
during the call, whatever it runs, also waits until a moment after the call's last thread start, so
that a caller that does not join its threads reads their work before it is done.

New threads get the tracer from the grader's own start-up wrapper, not from `threading.settrace`: the
interpreter refuses (up to 3.11) a trace function installed while another thread is installing one,
and a thread whose start-up is refused dies before running its target. The audit hook's Python code
that runs inside every installation lets another thread in, so under load two workers starting
together lost one of them. The wrapper installs under one lock, and tries again when something
outside the grader was installing at the same moment.
"""
from __future__ import annotations

import dis
import random
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Callable, Iterator

from grader.guard import report_tampering
from grader.messages import msg
from grader.probes.store_targets import StoreTargets

_sleep = time.sleep
_clock = time.perf_counter
# Taken before any student module is imported: a submission that rebinds them cannot make the tracer
# install nothing.
_sys_settrace, _sys_gettrace = sys.settrace, sys.gettrace
_ORIGINAL_BOOTSTRAP = threading.Thread._bootstrap_inner
# Every installation of a trace function by the grader, in any thread, holds this lock.
_INSTALLING = threading.Lock()
INSTALL_ATTEMPTS, INSTALL_RETRY_S = 200, 1e-3
SHARED_STORES = ("STORE_GLOBAL", "STORE_DEREF", "STORE_ATTR", "STORE_SUBSCR")


@dataclass(frozen=True)
class Preemption:
    """How hard to shake the scheduler: a random pause after each bytecode in worker threads, and a
    random pause before every thread started during the call begins to run.

    Most bytecode pauses are short; now and then one is long, so that a thread can fall far behind
    the others, as it does when the operating system deschedules it: that is what exposes ordering
    bugs. A thread that has just come back from a wait (a queue's get, a lock, a sleep: a gap between
    two of its bytecodes longer than `wake_gap_s` that the tracer did not make) may stall before it
    goes on, as a thread the operating system has woken is not always run at once: a consumer that
    took an item is then overtaken by another consumer. The start pause reaches every new thread,
    whatever its target: one running only the standard library (`Thread(target=q.put, args=(1,))`)
    executes none of the student's bytecodes, yet a busy machine delays it too, and a caller that does
    not join it then runs ahead of it.
    """

    max_pause_s: float = 2e-4
    long_pause_s: float = 3e-3
    long_pause_chance: float = 0.05
    # Every thread started during the call waits before it runs until between start_pause_s and twice
    # that have passed since the call's last thread start, so that a loop starting many threads has
    # finished before the first of them runs, however slow each start is (one took up to 4 ms here,
    # the interpreter handed back late). Counted from each thread's own start instead, the first
    # never-joined generators of count_with_queue(12) ran before the caller reached its queue's join
    # in 2 to 3 of 8 preempted calls (3 runs, the machine loaded), and in all 8 calls of one grading
    # under a busy core: the race was missed. The 10 ms itself: with the count from each thread's
    # own start, at a load average of 4 to 7, 2 ms showed the race in 9 of 40 calls and 10 ms in 79
    # of 80. A caller that keeps starting threads holds the first ones back at most START_HOLD_MAX_S.
    start_pause_s: float = 1e-2
    wake_pause_s: float = 0.0
    wake_pause_chance: float = 0.0
    wake_gap_s: float = 1e-3
    seed: int | None = None


# The interpreter forces a thread switch when a thread has held the GIL this long while another waits.
# A plain call runs with it far above the work of the calls the checks make, so that threads switch
# only where they block (a lock taken by another thread, a join, a sleep), even when the machine is
# busy and a thread loses its core in the middle of a read-then-write: a plain run gives the value a
# function computes without the races, and the checks that force switches show those. (Measured at a
# load average of 7 on 2 cores: 480 of 480 plain calls of racy and of never-joined count_with_lock
# variants returned the full count; at the default 5 ms, half the calls of one lost updates.)
STEADY_SWITCH_INTERVAL_S = 0.5
# A caller that keeps starting threads does not hold the first ones back longer than this.
START_HOLD_MAX_S = 0.25


@contextmanager
def steady_scheduling(interval_s: float = STEADY_SWITCH_INTERVAL_S) -> Iterator[None]:
    """Let threads switch only where they block while the block runs."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval_s)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@dataclass(frozen=True)
class Store:
    """One write to state outside a function's locals, made by the student's code."""

    thread: int
    kind: str
    name: str
    line: int
    locks_held: frozenset[int]
    # The object written into (its id), where the source of the store names it; None otherwise.
    owner: int | None = None

    @property
    def key(self) -> tuple[str, str, int | None]:
        return self.kind, self.name, self.owner


@dataclass
class TraceLog:
    """What the student's code did, bytecode by bytecode, during one traced call."""

    caller: int
    stores: list[Store] = field(default_factory=list)
    threads_running_student_code: set[int] = field(default_factory=set)
    thread_objects_running_student_code: set[threading.Thread] = field(default_factory=set)

    def ran_student_code(self, thread: threading.Thread) -> bool:
        """Whether `thread` executed any of the student's code (identity, not a reusable ident)."""
        return thread in self.thread_objects_running_student_code

    def busiest_key(self, threads: set[int] | None = None) -> tuple[str, str, int | None] | None:
        """The shared name written most often (by `threads` only, when given): for a counter
        exercise, the counter."""
        counts = Counter(store.key for store in self.stores if threads is None or store.thread in threads)
        return counts.most_common(1)[0][0] if counts else None

    def updates_of(self, key: tuple[str, str, int | None] | None) -> list[Store]:
        return [store for store in self.stores if store.key == key]


def no_locks(thread: int) -> frozenset[int]:
    """The lock oracle for code that uses no traced locks."""
    return frozenset()


def _park_forever() -> None:
    threading.Event().wait()


def install_trace(function) -> None:
    """`sys.settrace(function)` in the calling thread. When code outside the grader kept installing a
    trace function at the same moments, the thread stays untraced, which the tracer's own checks
    report (its hook missing at exit, or a thread that ran the student's code unseen)."""
    for _ in range(INSTALL_ATTEMPTS):
        with _INSTALLING:
            try:
                _sys_settrace(function)
                return
            except RuntimeError:
                pass
        _sleep(INSTALL_RETRY_S)


@dataclass
class _Moments:
    """When the call's threads did what the pauses depend on. One object for the whole call: the
    tracer's own attributes must keep their identity while it runs (the tamper check compares them)."""

    last_start: float = 0.0
    # When each worker thread last left the tracer: a longer gap before its next bytecode was a wait.
    left_at: dict[int, float] = field(default_factory=dict)


class StudentTracer:
    """A context manager tracing the student's file in the calling thread and every new thread."""

    def __init__(self, student_file: str, preemption: Preemption | None = None,
                 held_locks: Callable[[int], frozenset[int]] = no_locks):
        self.student_file = student_file
        self.preemption = preemption
        self.held_locks = held_locks
        self.log = TraceLog(caller=threading.get_ident())
        self._random = random.Random(preemption.seed if preemption else None)
        self._instructions: dict[CodeType, dict[int, dis.Instruction]] = {}
        self._targets = StoreTargets()
        self._active = False
        self._frozen = False
        self._delayed: set[threading.Thread] = set()
        self._moments = _Moments()
        # One bound method, installed and later looked for by identity.
        self._hook = self._on_call
        self._bootstrap = self._make_bootstrap()

    def _make_bootstrap(self):
        hook = self._hook

        def traced_bootstrap(thread: threading.Thread) -> None:
            # Before the thread is marked started: the caller's start() has not returned yet.
            self._moments.last_start = _clock()
            install_trace(hook)
            _ORIGINAL_BOOTSTRAP(thread)
        return traced_bootstrap

    def _instruction(self, frame: FrameType) -> dis.Instruction | None:
        table = self._instructions.get(frame.f_code)
        if table is None:
            table = {i.offset: i for i in dis.get_instructions(frame.f_code)}
            self._instructions[frame.f_code] = table
        return table.get(frame.f_lasti)

    def _on_opcode(self, frame: FrameType, event: str, arg):
        me = threading.get_ident()
        if not self._active:
            self._park_if_frozen(me)
            return self._on_opcode
        if event != "opcode":
            return self._on_opcode
        instruction = self._instruction(frame)
        if instruction is not None and instruction.opname in SHARED_STORES:
            shared, owner = self._targets.target(frame, instruction)
            if shared:
                name = instruction.argval if isinstance(instruction.argval, str) else ""
                self.log.stores.append(Store(me, instruction.opname, name, frame.f_lineno, self.held_locks(me),
                                             owner))
        if self.preemption is not None and me != self.log.caller:
            _sleep(self._pause(self.preemption, me))
            self._moments.left_at[me] = _clock()
        return self._on_opcode

    def _pause(self, preemption: Preemption, me: int) -> float:
        if preemption.wake_pause_chance and self._woke(preemption, me) \
                and self._random.random() < preemption.wake_pause_chance:
            return self._random.uniform(preemption.wake_pause_s, 2 * preemption.wake_pause_s)
        if self._random.random() < preemption.long_pause_chance:
            return self._random.uniform(0.0, preemption.long_pause_s)
        return self._random.uniform(0.0, preemption.max_pause_s)

    def _woke(self, preemption: Preemption, me: int) -> bool:
        left = self._moments.left_at.get(me)
        return left is not None and _clock() - left > preemption.wake_gap_s

    def _delay_start(self, thread: threading.Thread, preemption: Preemption) -> None:
        # The first call a new thread makes is its `run`, whichever file its target is in.
        if thread in self._delayed:
            return
        self._delayed.add(thread)
        pause = self._random.uniform(preemption.start_pause_s, 2 * preemption.start_pause_s)
        latest = _clock() + START_HOLD_MAX_S
        while True:
            left = min(self._moments.last_start + pause, latest) - _clock()
            if left <= 0:
                return
            _sleep(left)

    def _on_call(self, frame: FrameType, event: str, arg):
        me = threading.get_ident()
        if self._active and self.preemption is not None and me != self.log.caller:
            current = threading._active.get(me)
            if current is None:
                # Still in threading's start-up, which is traced from its beginning: the thread
                # counts as started (and is delayed) only from its `run` on.
                return None
            self._delay_start(current, self.preemption)
        if frame.f_code.co_filename != self.student_file:
            return None
        if not self._active:
            self._park_if_frozen(me)
            return None
        current = threading.current_thread()
        if me != self.log.caller and current not in self.log.thread_objects_running_student_code:
            self.log.threads_running_student_code.add(me)
            self.log.thread_objects_running_student_code.add(current)
        # From 3.12 on, opcode events are switched on for a code object only when `f_trace_opcodes`
        # is set on a frame that already has its trace function: set `f_trace` first, or threads
        # entering the code after the first one run untraced (and unpreempted).
        frame.f_trace = self._on_opcode
        frame.f_trace_lines = False
        frame.f_trace_opcodes = True
        return self._on_opcode

    def __enter__(self) -> TraceLog:
        self._active = True
        threading.Thread._bootstrap_inner = self._bootstrap
        install_trace(self._hook)
        return self.log

    def __exit__(self, *exc) -> None:
        if _sys_gettrace() is not self._hook or vars(threading.Thread).get("_bootstrap_inner") is not self._bootstrap:
            report_tampering(msg("guard.tracing_off"))
        install_trace(None)
        threading.Thread._bootstrap_inner = _ORIGINAL_BOOTSTRAP
        self._active = False

    def _park_if_frozen(self, me: int) -> None:
        # A thread holding one of the student's locks is let run until it releases it; parked
        # there, it would deadlock every later call that takes the same lock.
        if self._frozen and me != self.log.caller and not self.held_locks(me):
            _park_forever()

    def freeze_leftovers(self) -> None:
        """Stop for good every thread of the call that runs the student's code again.

        Threads a call leaves behind (a daemon polling its queue, a worker never joined) would
        otherwise compete for the interpreter with every later check of the run.
        """
        self._frozen = True
