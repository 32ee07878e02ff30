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

import pytest

from grader.feedback import CHECK_HINT, check, fail, fail_without_concurrency, shown
from grader.messages import msg
from grader.probes.locks import LockRegistry
from grader.probes.observe import Observation, observe_call
from grader.probes.queues import QueueLog, watch_queues
from grader.probes.runnable import core_seconds_wanted
from grader.probes.threads import StartedThread, target_mistake
from grader.probes.tracing import Preemption
from grader.questions import check_answer
from grader.validation import check_rejects

_wait = threading.Event().wait

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


def _update_lines(updates) -> str:
    return ", ".join(map(str, sorted({u.line for u in updates})))


def test_answer_race_explains_the_lost_update(target, check_spec):
    check_answer(target, check_spec)


# --- count_with_lock ------------------------------------------------------------------------------

JOIN_HINT = msg("lock.hint.join")


def _require_counting_in_threads(seen: Observation, n_threads: int, increments: int) -> None:
    """Fail without concurrency unless the call started threads and they updated the counter."""
    __tracebackhide__ = True
    started = seen.threads.started
    if not started:
        fail_without_concurrency("lock.no_thread", n_threads=n_threads, increments=increments)
    if not _updates_in_threads(seen):
        in_caller = [u for u in _counter_updates(seen) if u.thread == seen.threads.caller]
        fail_without_concurrency(
            "lock.threads_did_not_count", n_threads=n_threads, increments=increments, started=len(started),
            in_caller=msg("lock.caller_wrote", writes=len(in_caller)) if in_caller else "",
            mistake=target_mistake(seen.threads) or "")


def _check_count(seen: Observation, n_threads: int, increments: int, preempted: bool) -> None:
    """Pass if the call returned every increment; otherwise say why it did not, with the hint of
    that cause (lost updates are what the count checks are named for)."""
    __tracebackhide__ = True
    got, expected = seen.result, n_threads * increments
    if _is_count(got) and got == expected:
        return
    how = msg("lock.how_switched") if preempted else ""
    if not _is_count(got):
        fail("lock.returned_not_int", got=shown(got), how=how, n_threads=n_threads, increments=increments,
             total=expected)
    not_joined = seen.threads.not_joined()
    if got < expected and not_joined:
        fail("lock.returned_before_join", got=got, how=how, not_joined=len(not_joined),
             started=len(seen.threads.started), n_threads=n_threads, increments=increments, total=expected,
             hint=JOIN_HINT)
    if 0 <= got < expected:
        fail("lock.lost_updates", got=got, how=how, lost=expected - got, n_threads=n_threads,
             increments=increments, total=expected, hint=CHECK_HINT)
    fail("lock.wrong_count", got=got, how=how, n_threads=n_threads, increments=increments, total=expected)


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
        mistake = target_mistake(seen.threads)
        if mistake:
            fail("lock.call_mistake", n_threads=n_threads, increments=increments, mistake=mistake)
        check(len(seen.threads.started) == n_threads, "lock.wrong_thread_count", n_threads=n_threads,
              increments=increments, started=len(seen.threads.started), hint=CHECK_HINT)
        in_threads = _updates_in_threads(seen)
        in_caller = [u for u in _counter_updates(seen) if u.thread == seen.threads.caller]
        # At least: a second attribute of the same name updated beside the counter (a progress
        # count on another object of the counter's class) is written by the threads too.
        check(len(in_threads) >= n_threads * increments, "lock.updates_outside_threads", n_threads=n_threads,
              increments=increments, in_threads=len(in_threads), total=n_threads * increments,
              in_caller=msg("lock.and_caller_wrote", writes=len(in_caller)) if in_caller else "",
              hint=CHECK_HINT)


def test_count_with_lock_joins_every_thread(target, observe, thresholds):
    n_threads, increments = thresholds["size"]
    seen = observe(target, n_threads, increments, preemption=Preemption(seed=1))
    _require_counting_in_threads(seen, n_threads, increments)
    running = seen.threads.alive_at_return
    not_joined = seen.threads.not_joined()
    check(not running and not not_joined, "lock.not_joined", not_joined=len(not_joined),
          started=len(seen.threads.started),
          running=msg("lock.still_running", running=len(running)) if running else "", hint=CHECK_HINT)


def test_one_shared_lock_guards_every_update(target, observe, import_instruments):
    seen = observe(target, 4, 5)
    _require_counting_in_threads(seen, 4, 5)
    updates = _updates_in_threads(seen)
    check(bool(seen.locks.acquisitions), "lock.no_lock_taken")
    unguarded = [u for u in updates if not u.locks_held]
    check(not unguarded, "lock.unguarded_updates", lines=_update_lines(unguarded),
          places=len({u.line for u in unguarded}), unguarded=len(unguarded), updates=len(updates))
    common = frozenset.intersection(*(u.locks_held for u in updates))
    if not common:
        used = {lock for u in updates for lock in u.locks_held}
        made_in_threads = [import_instruments.locks[key] for key in used
                           if import_instruments.locks[key].creator in seen.threads.idents()]
        where = msg("lock.created_in_thread", line=made_in_threads[0].line) if made_in_threads else ""
        fail("lock.different_locks", locks=len(used), where=where, hint=CHECK_HINT)


def test_lock_is_taken_with_a_with_statement(target, observe):
    seen = observe(target, 3, 2)
    _require_counting_in_threads(seen, 3, 2)
    # The locks held while the counter was updated, when there are any: another lock the code takes
    # for something else (guarding a hook or a log) is not the counter's.
    guarding = {lock for u in _updates_in_threads(seen) for lock in u.locks_held}
    acquisitions = [a for a in seen.locks.acquisitions if not guarding or a.lock in guarding]
    check(bool(acquisitions), "lock.no_lock_for_with")
    manual = sorted({a.line for a in acquisitions if not a.via_with})
    check(not manual, "lock.manual_acquire", lines=", ".join(map(str, manual)), places=len(manual), hint=CHECK_HINT)


def test_count_with_lock_rejects_n_threads_below_one(target):
    check_rejects(target, "n_threads", n_threads=0, increments=1)
    check_rejects(target, "n_threads", n_threads=-3, increments=1)


# --- count_with_queue -----------------------------------------------------------------------------

GENERATOR_JOIN_HINT = msg("queue.hint.join_generators")


@pytest.fixture
def observe_queue(observe):
    """Call count_with_queue under every probe, with its queues watched; (observation, queue log)."""
    def run(function, n_threads, preemption=None, leave_running=False) -> tuple[Observation, QueueLog]:
        with watch_queues() as queues:
            seen = observe(function, n_threads, preemption=preemption, leave_running=leave_running)
        return seen, queues
    return run


def _relaying_threads(queues: QueueLog, started: set[threading.Thread]) -> set[int]:
    """The started threads that put items on a queue other than the one most of them put on (the
    deltas' queue): a calculator passing each new value on to the printer. It may keep the running
    total in a local variable, which no shared-counter update shows."""
    by_queue = {queue_id: putters & started for queue_id, putters in queues.putters.items()}
    by_queue = {queue_id: putters for queue_id, putters in by_queue.items() if putters}
    if len(by_queue) < 2:
        return set()
    deltas = max(by_queue, key=lambda queue_id: len(by_queue[queue_id]))
    return {t.ident for queue_id, putters in by_queue.items() if queue_id != deltas for t in putters}


def _require_queue_work_in_threads(seen: Observation, queues: QueueLog, n_threads: int) -> None:
    """Fail without concurrency unless the call started threads that did the counting, the printing
    and the putting of deltas (a thread other than the counting one put items on a queue)."""
    __tracebackhide__ = True
    threads = seen.threads.threads()
    if not threads:
        fail_without_concurrency("queue.no_thread", n_threads=n_threads)
    mistake = target_mistake(seen.threads) or ""
    caller = threading.current_thread()
    if seen.prints.by(caller) and not any(seen.prints.by(t) for t in threads):
        fail_without_concurrency("queue.printed_in_caller", n_threads=n_threads, started=len(threads),
                                 mistake=mistake)
    counting = {u.thread for u in _updates_in_threads(seen)} or _relaying_threads(queues, threads)
    if not counting:
        fail_without_concurrency("queue.threads_did_not_count", n_threads=n_threads, started=len(threads),
                                 mistake=mistake)
    putters = queues.threads_that_put()
    if not {t for t in putters & threads if t.ident not in counting}:
        who = msg("queue.caller_put") if caller in putters else msg("queue.nobody_else_put")
        fail_without_concurrency("queue.no_generator_put", n_threads=n_threads, who=who, mistake=mistake)


def test_count_with_queue_returns_n_threads(target, observe, thresholds, capsys):
    for n_threads in thresholds["sizes"]:
        seen = observe(target, n_threads)
        got = seen.result
        if _is_count(got) and got == n_threads:
            continue
        not_joined = _not_joined_workers(seen)
        if _is_count(got) and got < n_threads and not_joined:
            fail("queue.returned_before_join", n_threads=n_threads, got=got, not_joined=len(not_joined),
                 hint=GENERATOR_JOIN_HINT)
        fail("queue.wrong_result", n_threads=n_threads, got=shown(got), hint=CHECK_HINT)


def _printed_lines(seen: Observation) -> list[str]:
    return [line.strip() for line in seen.prints.text().splitlines() if line.strip()]


def _shown_lines(lines: list[str]):
    """The printed lines, cut short, or the message for nothing printed."""
    shown_lines = " ".join(line[:SHOWN_LINE_CHARS] for line in lines[:SHOWN_LINES])
    return (shown_lines + (" ..." if len(lines) > SHOWN_LINES else "")) or msg("queue.nothing_printed")


def _fail_printed(seen: Observation, queues: QueueLog, n_threads: int, printed: list[str],
                  switched: bool) -> None:
    """Fail with the cause of printed lines that are not 1..n in order, and that cause's hint."""
    __tracebackhide__ = True
    expected = [str(i) for i in range(1, n_threads + 1)]
    how = msg("queue.how_switched") if switched else ""
    missing = len(printed) < n_threads and printed == expected[:len(printed)]
    not_joined = _not_joined_workers(seen)
    if missing and not_joined:
        fail("queue.printed_before_join", n_threads=n_threads, printed=_shown_lines(printed), how=how,
             not_joined=len(not_joined), hint=GENERATOR_JOIN_HINT)
    if missing and queues.used_but_not_joined():
        fail("queue.printed_before_queue_join", n_threads=n_threads, printed=_shown_lines(printed), how=how)
    # Some lines, then none: the printing was under way and stopped short (nothing printed at all is
    # another mistake, such as printing elsewhere than to stdout).
    if missing and printed and len(queues.joined) >= 2:
        fail("queue.printed_before_task_done", n_threads=n_threads, printed=_shown_lines(printed), how=how)
    if sorted(printed, key=lambda s: (len(s), s)) == expected:
        fail("queue.wrong_order", n_threads=n_threads, printed=_shown_lines(printed), how=how, hint=CHECK_HINT)
    fail("queue.wrong_lines", n_threads=n_threads, printed=_shown_lines(printed), how=how, hint=CHECK_HINT)


def printing_preemption(thresholds: dict, seed: int) -> Preemption:
    """The forced switches of the printing check: a short pause after each bytecode, and frequent
    stalls just after a thread comes back from a wait (a second printer then prints before the first).

    No random long pauses: an ordering bug shows where a thread resumes after taking a value, and
    long pauses anywhere else cost about 1 ms per bytecode (three times the attempt) for nothing
    the wake stalls miss."""
    return Preemption(long_pause_chance=0.0, wake_pause_chance=thresholds["wake_stall_chance"],
                      wake_pause_s=thresholds["wake_stall_s"], seed=seed)


def test_count_with_queue_prints_1_to_n_in_order(target, observe_queue, thresholds, capsys):
    for n_threads in thresholds["sizes"]:
        expected = [str(i) for i in range(1, n_threads + 1)]
        for attempt in range(thresholds["preempted_attempts"]):
            seen, queues = observe_queue(target, n_threads,
                                         preemption=printing_preemption(thresholds, attempt) if attempt else None)
            if not attempt:
                _require_queue_work_in_threads(seen, queues, n_threads)
            printed = _printed_lines(seen)
            if printed != expected:
                _fail_printed(seen, queues, n_threads, printed, switched=bool(attempt))


def test_count_with_queue_joins_both_queues(target, observe_queue, capsys):
    seen, queues = observe_queue(target, 5)
    _require_queue_work_in_threads(seen, queues, 5)
    check(len(queues.joined) >= 2, "queue.too_few_joined", joined=len(queues.joined), hint=CHECK_HINT)
    check(not queues.used_but_not_joined(), "queue.used_not_joined", queues=len(queues.used_but_not_joined()),
          hint=CHECK_HINT)


def test_count_with_queue_workers_are_daemons(target, observe_queue, capsys):
    seen, queues = observe_queue(target, 4)
    _require_queue_work_in_threads(seen, queues, 4)
    threads = seen.threads
    mistake = target_mistake(threads)
    if mistake:
        fail("queue.call_mistake", n_threads=4, mistake=mistake)
    check(len(threads.started) == 4 + 2, "queue.wrong_thread_count", n_threads=4, started=len(threads.started),
          total=4 + 2)
    daemons = [s for s in threads.started if s.daemon]
    check(len(daemons) >= 2, "queue.wrong_daemon_count", n_threads=4, daemons=len(daemons), hint=CHECK_HINT)
    # Two daemons may be left waiting on their queues (the calculator and the printer); every other
    # thread, daemon or not, must have been joined.
    unjoined = threads.not_joined()
    not_joined = [s for s in unjoined if not s.daemon] + [s for s in unjoined if s.daemon][2:]
    alive = {id(s) for s in threads.alive_at_return}
    running = [s for s in not_joined if id(s) in alive]
    check(not not_joined, "queue.not_joined", n_threads=4, not_joined=len(not_joined),
          running=msg("queue.still_running", running=len(running)) if running else msg("queue.may_be_running"),
          hint=GENERATOR_JOIN_HINT)


def test_count_with_queue_does_not_busy_wait(target, observe_queue, thresholds, capsys):
    seen, queues = observe_queue(target, 5, leave_running=True)
    window = thresholds["window_s"]
    # What the threads wanted, not what they got: a polling loop beside other work gets a fraction
    # of a core and waits for the rest, but wants it all. Several polling threads each want one,
    # more than the CPU a student sees on an idle machine, where the GIL lets one run at a time.
    busy = min(core_seconds_wanted(lambda: _wait(window)) / window, 1.0)
    seen.freeze_leftovers()
    _require_queue_work_in_threads(seen, queues, 5)
    check(busy <= thresholds["max_busy_fraction"], "queue.busy_wait", busy=busy,
          max_busy=thresholds["max_busy_fraction"], hint=CHECK_HINT)


def test_count_with_queue_rejects_n_threads_below_one(target):
    check_rejects(target, "n_threads", n_threads=0)
