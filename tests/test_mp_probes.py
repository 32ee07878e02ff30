"""Tests of the multiprocessing probes: pool method accounting and process/parent-send recording."""
from __future__ import annotations

import multiprocessing
from multiprocessing.pool import ThreadPool

import pytest

from grader.probes.mprocs import process_target_feedback, watch_processes
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
    assert "Process(target=worker())" in process_target_feedback(log)


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
