"""Checks of exercise1, the counter race. Each test is one catalog entry of exercise1.yaml.

The lock checks decide on what the student's code does, seen bytecode by bytecode: which threads
wrote the counter, which traced locks they held at that moment, and how they took them. Lost updates
are made visible by forcing thread switches between bytecodes (see grader.probes.tracing).
"""
from __future__ import annotations

import threading
import time

import pytest

from grader.feedback import check, fail
from grader.probes.locks import LockRegistry
from grader.probes.observe import Observation, observe_call
from grader.probes.queues import watch_queues
from grader.probes.threads import target_mistake_feedback
from grader.probes.tracing import Preemption
from grader.questions import check_answer
from grader.validation import check_rejects

_cpu_clock, _wait = time.process_time, threading.Event().wait


@pytest.fixture(scope="session")
def import_instruments(student_file) -> LockRegistry:
    """Trace the student's locks, including those created at module level when it is imported."""
    registry = LockRegistry(str(student_file))
    registry.install()
    return registry


@pytest.fixture
def observe(student_file, import_instruments):
    """Call a student's function under the thread, lock and bytecode probes."""
    def run(function, *args, preemption=None, leave_running=False):
        return observe_call(function, *args, student_file=str(student_file), preemption=preemption,
                            locks=import_instruments, leave_running=leave_running)
    return run


def _counter_updates(seen: Observation):
    """The writes of the counter: the shared name written most often during the call."""
    return seen.trace.updates_of(seen.trace.busiest_key())


def _guarded_updates(seen: Observation):
    """The counter updates a lock must guard: those of the started threads, or, when the caller did
    the counting itself, the caller's after its first write (which sets the counter up)."""
    updates = _counter_updates(seen)
    in_threads = [u for u in updates if u.thread in seen.threads.idents()]
    return in_threads or [u for u in updates if u.thread == seen.threads.caller][1:]


def _update_place(updates) -> str:
    lines = sorted({u.line for u in updates})
    return f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"


def test_answer_race_explains_the_lost_update(target, check_spec):
    check_answer(target, check_spec)


LOST_UPDATE_HINT = (
    "A thread can be paused between reading the counter and writing it back; while it waits, others "
    "update the counter and the paused thread then overwrites their work. Hold one shared lock around "
    "the read and the write, and join every thread before reading the result.")


def _check_count(got, n_threads: int, increments: int, preempted: bool) -> None:
    __tracebackhide__ = True
    expected = n_threads * increments
    if got == expected:
        return
    call = f"count_with_lock({n_threads}, {increments})"
    how = (" when the grader made the threads switch between bytecodes, as a busy machine can"
           if preempted else "")
    lost = (f": {expected - got} of {expected} updates were lost (or read before every thread had finished)"
            if isinstance(got, int) and 0 <= got < expected else "")
    fail(f"{call} returned {got!r}{how}{lost}.",
         f"{expected} ({n_threads} threads x {increments} increments), however the threads are scheduled",
         LOST_UPDATE_HINT)


def test_count_with_lock_returns_every_increment(target, observe, thresholds):
    for n_threads, increments in thresholds["plain_sizes"]:
        _check_count(observe(target, n_threads, increments).result, n_threads, increments, preempted=False)
    for n_threads, increments in thresholds["preempted_sizes"]:
        for attempt in range(thresholds["preempted_attempts"]):
            got = observe(target, n_threads, increments, preemption=Preemption(seed=attempt)).result
            _check_count(got, n_threads, increments, preempted=True)


def test_count_with_lock_starts_n_threads_that_do_the_counting(target, observe, thresholds):
    for n_threads, increments in thresholds["sizes"]:
        seen = observe(target, n_threads, increments)
        call = f"count_with_lock({n_threads}, {increments})"
        mistake = target_mistake_feedback(seen.threads)
        if mistake:
            fail(f"{call}: {mistake}")
        check(len(seen.threads.started) == n_threads,
              f"{call} started {len(seen.threads.started)} threads.", f"exactly {n_threads}")
        updates = _counter_updates(seen)
        in_threads = [u for u in updates if u.thread in seen.threads.idents()]
        in_caller = [u for u in updates if u.thread == seen.threads.caller]
        check(len(in_threads) == n_threads * increments,
              f"{call}: the started threads updated the counter {len(in_threads)} times"
              + (f", and the calling thread {len(in_caller)} times" if in_caller else "") + ".",
              f"{n_threads * increments} updates, each adding 1, all made inside the started threads",
              "Each thread runs the loop that adds 1 to the shared counter `increments` times; the "
              "caller only starts the threads, joins them and returns the counter.")


def test_count_with_lock_joins_every_thread(target, observe):
    seen = observe(target, 6, 20, preemption=Preemption(seed=1))
    running = seen.threads.alive_at_return
    not_joined = seen.threads.not_joined()
    check(not running and not not_joined,
          f"count_with_lock(6, 20) returned without joining {len(not_joined)} of its "
          f"{len(seen.threads.started)} threads"
          + (f"; {len(running)} were still running when it returned." if running else "."),
          "join() called on every started thread before the counter is returned",
          "Without join() you read the counter while threads may still be adding to it.")


def test_one_shared_lock_guards_every_update(target, observe, import_instruments):
    seen = observe(target, 4, 5)
    updates = _guarded_updates(seen)
    check(bool(updates), "count_with_lock(4, 5) never wrote a shared counter.",
          "threads adding 1 to one shared counter")
    check(bool(seen.locks.acquisitions),
          "count_with_lock(4, 5) took no lock at all: nothing stops two threads from updating the "
          "counter at the same time.",
          "one threading.Lock (or RLock) held around every update")
    unguarded = [u for u in updates if not u.locks_held]
    check(not unguarded,
          f"The counter was written on {_update_place(unguarded)} while no lock was held "
          f"({len(unguarded)} of {len(updates)} updates). A lock around the read alone does not help: "
          "another thread can update the counter between your read and your write.",
          "every update (the read and the write) made while holding the shared lock")
    common = frozenset.intersection(*(u.locks_held for u in updates))
    if not common:
        used = {lock for u in updates for lock in u.locks_held}
        made_in_threads = [import_instruments.locks[key] for key in used
                           if import_instruments.locks[key].creator in seen.threads.idents()]
        where = (f" Each was created inside the thread function (line {made_in_threads[0].line}), so every "
                 "thread made and took its own lock." if made_in_threads else "")
        fail(f"The updates were guarded by {len(used)} different locks, so no single lock kept the threads "
             f"apart.{where}",
             "one lock, created once and shared by all threads",
             "A lock protects only against threads that take the same lock object: create it once, "
             "outside the thread function, and pass it to every thread.")


def test_lock_is_taken_with_a_with_statement(target, observe):
    seen = observe(target, 3, 2)
    acquisitions = seen.locks.acquisitions
    check(bool(acquisitions), "count_with_lock(3, 2) took no lock.",
          "the shared lock taken with `with lock:`")
    manual = sorted({a.line for a in acquisitions if not a.via_with})
    check(not manual,
          f"The lock was taken with lock.acquire() on line {', '.join(map(str, manual))}.",
          "`with lock:` around the update",
          "With manual acquire()/release() an exception between the two leaves the lock held forever "
          "and every other thread waits on it; `with` always releases it.")


def test_count_with_lock_rejects_n_threads_below_one(target):
    check_rejects(target, "n_threads", n_threads=0, increments=1)
    check_rejects(target, "n_threads", n_threads=-3, increments=1)


def test_count_with_queue_returns_n_threads(target, observe, thresholds, capsys):
    for n_threads in thresholds["sizes"]:
        got = observe(target, n_threads).result
        check(got == n_threads, f"count_with_queue({n_threads}) returned {got!r}.", f"{n_threads}")


def _printed_lines(capsys) -> list[str]:
    return [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_count_with_queue_prints_1_to_n_in_order(target, observe, thresholds, capsys):
    for n_threads in thresholds["sizes"]:
        expected = [str(i) for i in range(1, n_threads + 1)]
        for attempt in range(thresholds["preempted_attempts"]):
            capsys.readouterr()
            stalls = Preemption(long_pause_chance=thresholds["stall_chance"],
                                long_pause_s=thresholds["stall_s"], seed=attempt)
            observe(target, n_threads, preemption=stalls if attempt else None)
            printed = _printed_lines(capsys)
            if printed == expected:
                continue
            shown = " ".join(printed[:30]) + (" ..." if len(printed) > 30 else "")
            if sorted(printed, key=lambda s: (len(s), s)) == expected:
                seen = f"count_with_queue({n_threads}) printed the right numbers in the wrong order: {shown}"
            else:
                seen = f"count_with_queue({n_threads}) printed: {shown or '(nothing)'}"
            fail(seen + (" (with threads forced to switch between bytecodes)." if attempt else "."),
                 f"the lines 1 to {n_threads}, in order, one per line",
                 "Only the printer thread prints, one value per line, taken in order from the printing "
                 "queue; the calculator alone updates the counter. Nothing else prints.")


def test_count_with_queue_joins_both_queues(target, observe, capsys):
    with watch_queues() as queues:
        observe(target, 5)
    check(len(queues.joined) >= 2,
          f"count_with_queue(5) waited with join() on {len(queues.joined)} queue(s).",
          "join() on both the calculation queue and the printing queue")
    check(not queues.used_but_not_joined(),
          f"{len(queues.used_but_not_joined())} queue(s) received items but were never joined.",
          "every queue you put work on joined before returning")


def test_count_with_queue_workers_are_daemons(target, observe, capsys):
    threads = observe(target, 4).threads
    mistake = target_mistake_feedback(threads)
    if mistake:
        fail(f"count_with_queue(4): {mistake}")
    check(len(threads.started) == 4 + 2,
          f"count_with_queue(4) started {len(threads.started)} threads.",
          "4 delta generators, one calculator and one printer: 6 threads")
    daemons = [s for s in threads.started if s.daemon]
    check(len(daemons) == 2, f"count_with_queue(4) started {len(daemons)} daemon thread(s).",
          "exactly two daemon threads: the calculator and the printer")
    lingering = [s for s in threads.alive_at_return if not s.daemon]
    check(not lingering,
          f"{len(lingering)} non-daemon thread(s) were still running after count_with_queue returned; "
          "the program could never exit.",
          "only daemon threads left waiting on their queues")


def test_count_with_queue_does_not_busy_wait(target, observe, thresholds, capsys):
    seen = observe(target, 5, leave_running=True)
    window = thresholds["window_s"]
    before = _cpu_clock()
    _wait(window)
    busy = (_cpu_clock() - before) / window
    seen.freeze_leftovers()
    check(busy <= thresholds["max_busy_fraction"],
          f"After count_with_queue returned, its threads kept the CPU {busy:.0%} busy while waiting "
          "for work that never comes.",
          f"waiting threads using at most {thresholds['max_busy_fraction']:.0%} of a core "
          "(a blocking get() uses none)",
          "Use queue.get() (it blocks), not a loop around get_nowait() or empty().")


def test_count_with_queue_rejects_n_threads_below_one(target):
    check_rejects(target, "n_threads", n_threads=0)
