"""Tests of the multiprocessing probes: pool method accounting, process and parent-send/receive
recording, and the watched call that stops a call waiting for what can never come."""
from __future__ import annotations

import multiprocessing
import os
import sys
from multiprocessing.pool import ThreadPool

import pytest

from grader.feedback import Feedback
from grader.probes.mpcall import NeverStartedFeedback, call_watched
from grader.messages import render
from grader.probes.mprocs import process_target_mistake, watch_processes
from grader.probes.pools import finish_pools, watch_pools

FORK = multiprocessing.get_context("fork")


def square(x):
    return x * x


def put_item(queue):
    queue.put("item")


def test_apply_async_submissions_are_counted_before_the_first_get():
    with watch_pools() as log, FORK.Pool(2) as pool:
        pending = [pool.apply_async(square, (x,)) for x in range(4)]
        [p.get() for p in pending]
        pool.close()
        pool.join()
    record = log.pools[0]
    assert (record.submissions, record.submitted_before_first_await(), record.workers) == (4, 4, 2)
    assert record.closed and record.joined and not record.uses_threads


def test_get_after_each_submit_is_seen_and_apply_is_not_counted_as_apply_async():
    with watch_pools() as log, FORK.Pool(1) as pool:
        [pool.apply_async(square, (x,)).get() for x in range(3)]
        pool.apply(square, (2,))
    record = log.pools[0]
    assert record.submitted_before_first_await() == 1
    assert (record.count("apply_async"), record.count("apply")) == (3, 1)


def test_a_thread_pool_is_recognised():
    with watch_pools() as log, ThreadPool(2) as pool:
        pool.map(square, range(3))
    assert log.pools[0].uses_threads


def test_a_leaked_pool_is_kept_alive_until_finished():
    with watch_pools() as log:
        FORK.Pool(1).map(square, range(2))
    record = log.pools[0]
    assert not record.closed
    assert all(p.is_alive() for p in record.pool._pool)
    finish_pools(log)
    assert not any(p.is_alive() for p in record.pool._pool)


def test_process_given_no_target_is_reported():
    with watch_processes() as log:
        process = FORK.Process(target=None)
        process.start()
        process.join()
    assert "Process(target=worker())" in render(process_target_mistake(log))


def test_only_the_parents_own_puts_are_recorded():
    queue = FORK.Queue()
    with watch_processes() as log:
        child = FORK.Process(target=put_item, args=(queue,))
        child.start()
        assert queue.get(timeout=30) == "item"
        child.join()
        queue.put("made in the parent")
        queue.get(timeout=30)
    assert len(log.workers()) == 1 and log.exit_codes() == [0]
    assert log.parent_sends == ["Queue.put('made in the parent')"]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_manager_list_is_not_mistaken_for_parent_work(method):
    context = multiprocessing.get_context(method)
    with watch_processes() as log, context.Manager() as manager:
        shared = manager.list()
        list(shared)
    assert log.parent_sends == [] and log.workers() == []


def send_item_down(connection):
    connection.send("item")
    connection.close()


def append_item(shared):
    shared.append("item")


def put_long_string(queue):
    queue.put("x" * 1_000_000)


def test_processes_created_but_never_started_are_reported():
    queue = FORK.Queue()
    with watch_processes() as log:
        unstarted = [FORK.Process(target=put_item, args=(queue,)) for _ in range(2)]
        started = FORK.Process(target=put_item, args=(queue,))
        started.start()
        queue.get(timeout=30)
        started.join()
    assert log.never_started() == unstarted
    assert len(log.workers()) == 1 and log.received_from_children()


def test_what_the_parent_receives_is_counted_but_not_what_it_sends():
    with watch_processes() as log:
        receiver, sender = FORK.Pipe(duplex=False)
        child = FORK.Process(target=send_item_down, args=(sender,))
        child.start()
        assert receiver.recv() == "item"
        child.join()
    assert log.parent_receives == 1 and log.parent_sends == []
    assert receiver in log.readers


def test_a_parent_that_receives_nothing_is_seen():
    with watch_processes() as log:
        child = FORK.Process(target=square, args=(3,))
        child.start()
        child.join()
    assert not log.received_from_children()


@pytest.mark.parametrize("read_first", [True, False], ids=["read_before_join", "read_after_join"])
def test_a_manager_list_read_while_a_child_runs_is_an_early_read(read_first):
    with FORK.Manager() as manager, watch_processes() as log:
        shared = manager.list()
        child = FORK.Process(target=append_item, args=(shared,))
        child.start()
        if read_first:
            shared[:]
        child.join()
        list(shared)
    assert log.received_from_children()
    assert bool(log.early_reads) is read_first


def _wait_on_unstarted():
    queue = FORK.Queue()
    FORK.Process(target=put_item, args=(queue,))
    return queue.get()


def _join_before_drain():
    queue = FORK.Queue()
    child = FORK.Process(target=put_long_string, args=(queue,))
    child.start()
    child.join()
    return queue.get()


class _Request:
    """Just enough of a pytest request for call_watched's informational notes."""

    class node:
        user_properties: list = []


def test_a_call_waiting_on_processes_it_never_started_is_stopped_and_told_so():
    with pytest.raises(NeverStartedFeedback) as stopped:
        call_watched(_Request(), __file__, "wait_on_unstarted()", _wait_on_unstarted)
    assert stopped.value.none_started
    assert "1 of the 1 process it created was never started" in str(stopped.value)


def test_a_join_before_drain_deadlock_is_stopped_and_told_so():
    with pytest.raises(Feedback, match="deadlocked") as stopped:
        call_watched(_Request(), __file__, "join_before_drain()", _join_before_drain)
    assert "Joining processes that use queues" in str(stopped.value)


_LOCK_TAKEN = None  # set before the pool forks, so its worker shares it


def _die_holding_the_result_lock():
    """A worker that ends in the middle of writing a result, as one killed there does."""
    frame = sys._getframe()
    while "outqueue" not in frame.f_locals:
        frame = frame.f_back
    frame.f_locals["outqueue"]._wlock.acquire()
    _LOCK_TAKEN.set()
    os._exit(1)


def test_a_leaked_pool_ends_even_when_a_worker_died_holding_the_result_lock():
    global _LOCK_TAKEN
    _LOCK_TAKEN = FORK.Event()
    with watch_pools() as log:
        pool = FORK.Pool(1)
        pool.apply_async(_die_holding_the_result_lock)
    assert _LOCK_TAKEN.wait(30), "the worker never took the lock"
    finish_pools(log)
    assert not pool._task_handler.is_alive()
    assert not any(p.is_alive() for p in pool._pool)


@pytest.mark.parametrize("codes, said, not_said", [
    ([-15, -15], "2 child processes were ended by SIGTERM", "had already died"),
    ([1, -15], "1 child process had already died with exit code 1", "2 child processes"),
])
def test_a_timeout_tells_workers_terminated_as_the_call_unwound_from_crashed_ones(codes, said, not_said):
    from grader.probes.mpcall import WatchedCall, _timeout_lines
    from grader.probes.mprocs import ProcessLog

    call = WatchedCall("multiprocess(2, ...)", processes=ProcessLog(parent_pid=os.getpid()), exit_codes=codes)
    text = "\n".join(render(line) for line in _timeout_lines(call))
    assert said in text and not_said not in text
