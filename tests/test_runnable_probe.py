"""How much of a core a process's threads wanted (grader.probes.runnable): a polling thread wants a
whole core and a blocked one none, whatever else keeps the machine's cores busy."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import threading
import time

import pytest

from grader.probes.cpu import usable_cores
from grader.probes.runnable import core_seconds_wanted

WINDOW = 0.3
FORK = multiprocessing.get_context("fork")

pytestmark = pytest.mark.skipif(not os.path.exists(f"/proc/self/task/{threading.get_native_id()}/schedstat"),
                                reason="this kernel keeps no run-queue times per thread")


def _spin(started, stop) -> None:
    started.put(os.getpid())
    while not stop.is_set():
        pass


@contextlib.contextmanager
def _cores_kept_busy(processes: int):
    """`processes` processes spinning, each running before this yields."""
    started, stop = FORK.Queue(), FORK.Event()
    hogs = [FORK.Process(target=_spin, args=(started, stop), daemon=True) for _ in range(processes)]
    for hog in hogs:
        hog.start()
    try:
        for _ in hogs:
            started.get(timeout=30)
        yield
    finally:
        stop.set()
        for hog in hogs:
            hog.join()


def _wait_a_window() -> None:
    threading.Event().wait(WINDOW)


def test_a_polling_thread_wants_a_whole_core_however_busy_the_machine():
    stop = threading.Event()
    queue_polled: queue.Queue = queue.Queue()

    def poll() -> None:
        while not stop.is_set():
            with contextlib.suppress(queue.Empty):
                queue_polled.get_nowait()

    poller = threading.Thread(target=poll)
    with _cores_kept_busy(3 * usable_cores()):
        poller.start()
        try:
            wanted = core_seconds_wanted(_wait_a_window)
        finally:
            stop.set()
            poller.join()
    assert wanted / WINDOW >= 0.8


def test_a_thread_blocked_on_a_queue_wants_nothing_however_busy_the_machine():
    blocked: queue.Queue = queue.Queue()
    waiter = threading.Thread(target=blocked.get)
    waiter.start()
    try:
        with _cores_kept_busy(3 * usable_cores()):
            wanted = core_seconds_wanted(_wait_a_window)
    finally:
        blocked.put(None)
        waiter.join()
    assert wanted / WINDOW <= 0.1


def test_the_callers_own_work_is_not_counted():
    def spin_a_window() -> None:
        end = time.perf_counter() + WINDOW
        while time.perf_counter() < end:
            pass

    assert core_seconds_wanted(spin_a_window) / WINDOW <= 0.1
