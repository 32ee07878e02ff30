"""Checks of exercise1, the counter race. Each test is one catalog entry of exercise1.yaml.

The lock checks decide on what the student's code does, seen bytecode by bytecode: which threads
wrote the counter, which traced locks they held at that moment, and how they took them. Lost updates
are made visible by forcing thread switches between bytecodes, and a missing join by delaying every
new thread at its start (see grader.probes.tracing).

A check about how the concurrent work is done (catalog kind `concurrency`) first makes sure that it
was done at all: for `count_with_lock`, threads were started and the counter was updated in them; for
`count_with_queue`, threads were started, the counting and the printing happened in them, and the
deltas were put on a queue by threads other than the counting one. Otherwise such a check fails with
`fail_without_concurrency`: a lock or a join is nothing to judge in a function that counts alone.
"""
from __future__ import annotations

import threading
import time

import pytest

from grader.feedback import CHECK_HINT, check, fail, fail_without_concurrency, shown
from grader.probes.locks import LockRegistry
from grader.probes.observe import Observation, observe_call
from grader.probes.queues import QueueLog, watch_queues
from grader.probes.threads import StartedThread, target_mistake_feedback
from grader.probes.tracing import Preemption
from grader.questions import check_answer
from grader.validation import check_rejects

_cpu_clock, _wait = time.process_time, threading.Event().wait

# Printed lines shown in a feedback, and the characters shown of each.
SHOWN_LINES, SHOWN_LINE_CHARS = 30, 20


@pytest.fixture(scope="session")
def import_instruments(student_file) -> LockRegistry:
    """Trace the student's locks, including those created at module level when it is imported."""
    registry = LockRegistry(str(student_file))
    registry.install()
    return registry


@pytest.fixture
def observe(student_file, import_instruments):
    """Call a student's function under the thread, lock, output and bytecode probes."""
    def run(function, *args, preemption=None, leave_running=False, steady=False):
        return observe_call(function, *args, student_file=str(student_file), preemption=preemption,
                            locks=import_instruments, leave_running=leave_running, steady=steady)
    return run


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _counter_updates(seen: Observation):
    """The writes of the counter: the shared name the started threads wrote most often, or, when they
    wrote none, the one the call wrote most often. (The caller's own writes, such as the attributes
    of a Thread subclass set up in `__init__`, must not outnumber the counting.)"""
    trace = seen.trace
    return trace.updates_of(trace.busiest_key(seen.threads.idents()) or trace.busiest_key())


def _updates_in_threads(seen: Observation):
    """The counter updates made by the threads the call started (not by the caller)."""
    started = seen.threads.idents()
    return [u for u in _counter_updates(seen) if u.thread in started]


def _not_joined_workers(seen: Observation) -> list[StartedThread]:
    """Non-daemon threads the call never joined (count_with_queue may leave only its two daemons)."""
    return [s for s in seen.threads.not_joined() if not s.daemon]


def _update_place(updates) -> str:
    lines = sorted({u.line for u in updates})
    return f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"


def test_answer_race_explains_the_lost_update(target, check_spec):
    check_answer(target, check_spec)


# --- count_with_lock ------------------------------------------------------------------------------

JOIN_HINT = ("Call join() on every thread you started before reading the counter: until then they may "
             "still be adding to it.")


def _require_counting_in_threads(seen: Observation, n_threads: int, increments: int) -> None:
    """Fail without concurrency unless the call started threads and they updated the counter."""
    __tracebackhide__ = True
    call = f"count_with_lock({n_threads}, {increments})"
    expected = f"{n_threads} threads started, each adding 1 to one shared counter, {increments} time(s)"
    started = seen.threads.started
    if not started:
        fail_without_concurrency(f"{call} started no thread.", expected)
    if not _updates_in_threads(seen):
        in_caller = [u for u in _counter_updates(seen) if u.thread == seen.threads.caller]
        mistake = target_mistake_feedback(seen.threads)
        fail_without_concurrency(
            f"{call} started {len(started)} thread(s), but none of them updated a shared counter"
            + (f"; the calling thread wrote it {len(in_caller)} times" if in_caller else "") + "."
            + (f" {mistake}" if mistake else ""), expected)


def _check_count(seen: Observation, n_threads: int, increments: int, preempted: bool) -> None:
    """Pass if the call returned every increment; otherwise say why it did not, with the hint of
    that cause (lost updates are what the count checks are named for)."""
    __tracebackhide__ = True
    got, expected = seen.result, n_threads * increments
    if _is_count(got) and got == expected:
        return
    call = f"count_with_lock({n_threads}, {increments})"
    how = " when the grader made the threads switch between bytecodes, as a busy machine can" if preempted else ""
    wanted = f"{expected} ({n_threads} threads x {increments} increments), however the threads are scheduled"
    if not _is_count(got):
        fail(f"{call} returned {shown(got)}{how}.", f"the final counter, an int: {wanted}",
             "Return the counter's value (an int) once every thread has been joined.")
    not_joined = seen.threads.not_joined()
    if got < expected and not_joined:
        fail(f"{call} returned {got}{how}: it returned without joining {len(not_joined)} of its "
             f"{len(seen.threads.started)} threads, so it read the counter while they were still adding to it.",
             wanted, JOIN_HINT)
    if 0 <= got < expected:
        fail(f"{call} returned {got}{how}: {expected - got} of {expected} updates were lost.", wanted, CHECK_HINT)
    fail(f"{call} returned {got}{how}.", wanted,
         "Start the counter at 0 in every call; each of the n_threads threads adds 1 to it, increments "
         "times, and nothing else changes it.")


def test_count_with_lock_returns_every_increment(target, observe, thresholds):
    for n_threads, increments in thresholds["plain_sizes"]:
        _check_count(observe(target, n_threads, increments, steady=True), n_threads, increments, preempted=False)


def test_count_with_lock_keeps_every_increment_when_threads_switch(target, observe, thresholds):
    for n_threads, increments in thresholds["preempted_sizes"]:
        for attempt in range(thresholds["preempted_attempts"]):
            seen = observe(target, n_threads, increments, preemption=Preemption(seed=attempt))
            _require_counting_in_threads(seen, n_threads, increments)
            _check_count(seen, n_threads, increments, preempted=True)


def test_count_with_lock_starts_n_threads_that_do_the_counting(target, observe, thresholds):
    for n_threads, increments in thresholds["sizes"]:
        seen = observe(target, n_threads, increments)
        _require_counting_in_threads(seen, n_threads, increments)
        call = f"count_with_lock({n_threads}, {increments})"
        mistake = target_mistake_feedback(seen.threads)
        if mistake:
            fail(f"{call}: {mistake}")
        check(len(seen.threads.started) == n_threads,
              f"{call} started {len(seen.threads.started)} threads.", f"exactly {n_threads}", CHECK_HINT)
        in_threads = _updates_in_threads(seen)
        in_caller = [u for u in _counter_updates(seen) if u.thread == seen.threads.caller]
        check(len(in_threads) == n_threads * increments,
              f"{call}: the started threads updated the counter {len(in_threads)} times"
              + (f", and the calling thread {len(in_caller)} times" if in_caller else "") + ".",
              f"{n_threads * increments} updates, each adding 1, all made inside the started threads",
              CHECK_HINT)


def test_count_with_lock_joins_every_thread(target, observe):
    seen = observe(target, 6, 20, preemption=Preemption(seed=1))
    _require_counting_in_threads(seen, 6, 20)
    running = seen.threads.alive_at_return
    not_joined = seen.threads.not_joined()
    check(not running and not not_joined,
          f"count_with_lock(6, 20) returned without joining {len(not_joined)} of its "
          f"{len(seen.threads.started)} threads"
          + (f"; {len(running)} were still running when it returned." if running else "."),
          "join() called on every started thread before the counter is returned", CHECK_HINT)


def test_one_shared_lock_guards_every_update(target, observe, import_instruments):
    seen = observe(target, 4, 5)
    _require_counting_in_threads(seen, 4, 5)
    updates = _updates_in_threads(seen)
    check(bool(seen.locks.acquisitions),
          "count_with_lock(4, 5) took no lock at all: nothing stops two threads from updating the "
          "counter at the same time.",
          "one threading.Lock (or RLock) held around every update",
          "Create one threading.Lock() before starting the threads, give it to every thread, and hold "
          "it with `with lock:` around each read-and-write of the counter.")
    unguarded = [u for u in updates if not u.locks_held]
    check(not unguarded,
          f"The counter was written on {_update_place(unguarded)} while no lock was held "
          f"({len(unguarded)} of {len(updates)} updates). A lock around the read alone does not help: "
          "another thread can update the counter between your read and your write.",
          "every update (the read and the write) made while holding the shared lock",
          "Put both the read of the counter and the write of its new value inside the same `with lock:` block.")
    common = frozenset.intersection(*(u.locks_held for u in updates))
    if not common:
        used = {lock for u in updates for lock in u.locks_held}
        made_in_threads = [import_instruments.locks[key] for key in used
                           if import_instruments.locks[key].creator in seen.threads.idents()]
        where = (f" Each was created inside the thread function (line {made_in_threads[0].line}), so every "
                 "thread made and took its own lock." if made_in_threads else "")
        fail(f"The updates were guarded by {len(used)} different locks, so no single lock kept the threads "
             f"apart.{where}",
             "one lock, created once and shared by all threads", CHECK_HINT)


def test_lock_is_taken_with_a_with_statement(target, observe):
    seen = observe(target, 3, 2)
    _require_counting_in_threads(seen, 3, 2)
    acquisitions = seen.locks.acquisitions
    check(bool(acquisitions), "count_with_lock(3, 2) took no lock.",
          "the shared lock taken with `with lock:`",
          "Create one threading.Lock() shared by the threads and take it with `with lock:` around each update.")
    manual = sorted({a.line for a in acquisitions if not a.via_with})
    check(not manual,
          f"The lock was taken with lock.acquire() on line {', '.join(map(str, manual))}.",
          "`with lock:` around the update", CHECK_HINT)


def test_count_with_lock_rejects_n_threads_below_one(target):
    check_rejects(target, "n_threads", n_threads=0, increments=1)
    check_rejects(target, "n_threads", n_threads=-3, increments=1)


# --- count_with_queue -----------------------------------------------------------------------------

GENERATOR_JOIN_HINT = ("Join every delta generator thread before calculation_queue.join(): a queue's join() "
                       "waits only for the items already put on it, not for those a running thread has yet to put.")


@pytest.fixture
def observe_queue(observe):
    """Call count_with_queue under every probe, with its queues watched; (observation, queue log)."""
    def run(function, n_threads, preemption=None, leave_running=False) -> tuple[Observation, QueueLog]:
        with watch_queues() as queues:
            seen = observe(function, n_threads, preemption=preemption, leave_running=leave_running)
        return seen, queues
    return run


def _require_queue_work_in_threads(seen: Observation, queues: QueueLog, n_threads: int) -> None:
    """Fail without concurrency unless the call started threads that did the counting, the printing
    and the putting of deltas (a thread other than the counting one put items on a queue)."""
    __tracebackhide__ = True
    call = f"count_with_queue({n_threads})"
    expected = (f"{n_threads} delta generator threads putting 1 on a calculation queue, one calculator "
                "thread adding the deltas up and one printer thread printing the values")
    threads = seen.threads.threads()
    if not threads:
        fail_without_concurrency(f"{call} started no thread.", expected)
    mistake = target_mistake_feedback(seen.threads)
    mistake = f" {mistake}" if mistake else ""
    caller = threading.current_thread()
    if seen.prints.by(caller) and not any(seen.prints.by(t) for t in threads):
        fail_without_concurrency(f"{call} printed its values in the calling thread; none of the "
                                 f"{len(threads)} thread(s) it started printed anything.{mistake}", expected)
    counting = {u.thread for u in _updates_in_threads(seen)}
    if not counting:
        fail_without_concurrency(f"{call} started {len(threads)} thread(s), but none of them updated a "
                                 f"shared counter.{mistake}", expected)
    putters = queues.threads_that_put()
    if not {t for t in putters & threads if t.ident not in counting}:
        who = ("the calling thread put the deltas on the queue itself" if caller in putters
               else "no thread it started put a delta on a queue, apart from the one that counts")
        fail_without_concurrency(f"{call}: {who}; no delta generator thread did.{mistake}", expected)


def test_count_with_queue_returns_n_threads(target, observe, thresholds, capsys):
    for n_threads in thresholds["sizes"]:
        seen = observe(target, n_threads)
        got = seen.result
        if _is_count(got) and got == n_threads:
            continue
        call = f"count_with_queue({n_threads})"
        not_joined = _not_joined_workers(seen)
        if _is_count(got) and got < n_threads and not_joined:
            fail(f"{call} returned {got}: {len(not_joined)} thread(s) it started were never joined, so it "
                 "returned before every delta was counted.", f"{n_threads}", GENERATOR_JOIN_HINT)
        fail(f"{call} returned {shown(got)}.", f"{n_threads}", CHECK_HINT)


def _printed_lines(seen: Observation) -> list[str]:
    return [line.strip() for line in seen.prints.text().splitlines() if line.strip()]


def _shown_lines(lines: list[str]) -> str:
    shown_lines = " ".join(line[:SHOWN_LINE_CHARS] for line in lines[:SHOWN_LINES])
    return (shown_lines + (" ..." if len(lines) > SHOWN_LINES else "")) or "nothing"


def _fail_printed(seen: Observation, queues: QueueLog, n_threads: int, printed: list[str],
                  switched: bool) -> None:
    """Fail with the cause of printed lines that are not 1..n in order, and that cause's hint."""
    __tracebackhide__ = True
    call = f"count_with_queue({n_threads})"
    expected = [str(i) for i in range(1, n_threads + 1)]
    how = " (with threads forced to switch between bytecodes)" if switched else ""
    wanted = f"the lines 1 to {n_threads}, in order, one per line, all printed before the function returns"
    missing = len(printed) < n_threads and printed == expected[:len(printed)]
    not_joined = _not_joined_workers(seen)
    if missing and not_joined:
        fail(f"{call} had printed {_shown_lines(printed)} when it returned{how}: {len(not_joined)} of the "
             "threads it started were never joined, and it returned before they had put their deltas.",
             wanted, GENERATOR_JOIN_HINT)
    if missing and queues.used_but_not_joined():
        fail(f"{call} had printed {_shown_lines(printed)} when it returned{how}: a queue it used was never "
             "joined, so it returned before everything was printed.", wanted,
             "Wait with printing_queue.join() as well: calculation_queue.join() returns as soon as the "
             "calculator has taken every delta, before the printer has printed the last values.")
    if sorted(printed, key=lambda s: (len(s), s)) == expected:
        fail(f"{call} printed the right numbers in the wrong order{how}: {_shown_lines(printed)}.", wanted, CHECK_HINT)
    fail(f"{call} printed{how}: {_shown_lines(printed)}.", wanted, CHECK_HINT)


def test_count_with_queue_prints_1_to_n_in_order(target, observe_queue, thresholds, capsys):
    for n_threads in thresholds["sizes"]:
        expected = [str(i) for i in range(1, n_threads + 1)]
        for attempt in range(thresholds["preempted_attempts"]):
            stalls = Preemption(long_pause_chance=thresholds["stall_chance"],
                                long_pause_s=thresholds["stall_s"], seed=attempt)
            seen, queues = observe_queue(target, n_threads, preemption=stalls if attempt else None)
            if not attempt:
                _require_queue_work_in_threads(seen, queues, n_threads)
            printed = _printed_lines(seen)
            if printed != expected:
                _fail_printed(seen, queues, n_threads, printed, switched=bool(attempt))


def test_count_with_queue_joins_both_queues(target, observe_queue, capsys):
    seen, queues = observe_queue(target, 5)
    _require_queue_work_in_threads(seen, queues, 5)
    check(len(queues.joined) >= 2,
          f"count_with_queue(5) waited with join() on {len(queues.joined)} queue(s).",
          "join() on both the calculation queue and the printing queue", CHECK_HINT)
    check(not queues.used_but_not_joined(),
          f"{len(queues.used_but_not_joined())} queue(s) received items but were never joined.",
          "every queue you put work on joined before returning", CHECK_HINT)


def test_count_with_queue_workers_are_daemons(target, observe_queue, capsys):
    seen, queues = observe_queue(target, 4)
    _require_queue_work_in_threads(seen, queues, 4)
    threads = seen.threads
    mistake = target_mistake_feedback(threads)
    if mistake:
        fail(f"count_with_queue(4): {mistake}")
    check(len(threads.started) == 4 + 2,
          f"count_with_queue(4) started {len(threads.started)} threads.",
          "4 delta generators, one calculator and one printer: 6 threads",
          "Start n_threads delta generator threads, one calculator and one printer.")
    daemons = [s for s in threads.started if s.daemon]
    check(len(daemons) == 2, f"count_with_queue(4) started {len(daemons)} daemon thread(s).",
          "exactly two daemon threads: the calculator and the printer", CHECK_HINT)
    not_joined = _not_joined_workers(seen)
    running = [s for s in threads.alive_at_return if not s.daemon]
    check(not not_joined,
          f"count_with_queue(4) returned without joining {len(not_joined)} non-daemon thread(s); "
          + (f"{len(running)} of them were still running when it returned." if running
             else "they could still have been running when it returned."),
          "every thread joined before returning, except the two daemons left waiting on their queues",
          GENERATOR_JOIN_HINT)


def test_count_with_queue_does_not_busy_wait(target, observe_queue, thresholds, capsys):
    seen, queues = observe_queue(target, 5, leave_running=True)
    window = thresholds["window_s"]
    before = _cpu_clock()
    _wait(window)
    busy = (_cpu_clock() - before) / window
    seen.freeze_leftovers()
    _require_queue_work_in_threads(seen, queues, 5)
    check(busy <= thresholds["max_busy_fraction"],
          f"After count_with_queue returned, its threads kept the CPU {busy:.0%} busy while waiting "
          "for work that never comes.",
          f"waiting threads using at most {thresholds['max_busy_fraction']:.0%} of a core "
          "(a blocking get() uses none)", CHECK_HINT)


def test_count_with_queue_rejects_n_threads_below_one(target):
    check_rejects(target, "n_threads", n_threads=0)
