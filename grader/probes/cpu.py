"""How much CPU is really available, and how much a call's child processes used.

A speedup check cannot expect "4 processes are 4x faster" on a machine with 2 cores, or with one of
them busy: it scales its expectation by what this module measures.

The clocks are captured when this module is imported, so a student module that later patches
``time`` (or ``resource``) cannot fake the measurements. ``_monotonic`` is CLOCK_MONOTONIC on Linux,
one clock for every process, which lets workers' timestamps be compared with each other.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_monotonic = time.monotonic
_perf = time.perf_counter
_getrusage = resource.getrusage

# Spawned workers start from a clean interpreter: forking a grader that runs threads is unsafe.
_CONTEXT = multiprocessing.get_context("spawn")

# How long the workers may take to start before the measurement gives up (not part of the window).
_STARTUP_TIMEOUT = 60.0


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity where the OS has one, else the CPU count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class _WorkerReport:
    iterations: int
    started: float
    finished: float


def _busy_worker(barrier, duration: float, reports) -> None:
    """Spin in pure Python for ``duration`` wall seconds after ``barrier``; report the work done."""
    barrier.wait()
    started = _monotonic()
    deadline = started + duration
    iterations = 0
    while _monotonic() < deadline:
        iterations += 1
    reports.put(_WorkerReport(iterations, started, _monotonic()))


def _work_rate(workers: int, duration: float) -> float:
    """Loop iterations per wall second that ``workers`` busy processes manage together."""
    barrier = _CONTEXT.Barrier(workers + 1)
    reports = _CONTEXT.Queue()
    processes = [
        _CONTEXT.Process(target=_busy_worker, args=(barrier, duration, reports), daemon=True)
        for _ in range(workers)
    ]
    try:
        for p in processes:
            p.start()
        barrier.wait(timeout=_STARTUP_TIMEOUT)
        results = [reports.get(timeout=_STARTUP_TIMEOUT + duration) for _ in processes]
    except BaseException:
        for p in processes:
            if p.pid is not None:
                p.kill()
        raise
    finally:
        for p in processes:
            if p.pid is not None:
                p.join()
    window = max(r.finished for r in results) - min(r.started for r in results)
    return sum(r.iterations for r in results) / window


def measure_available_parallelism(workers: int, duration: float = 0.3) -> float:
    """How many cores' worth of work ``workers`` busy processes get done together: ~2.0 on an idle
    2-core machine.

    Runs one pure-Python busy-loop process, then ``workers`` of them side by side, each for
    ``duration`` wall seconds after a barrier (start-up stays out of the window), and returns the
    work done per second by all of them over the work done per second by one. Work, not CPU seconds:
    on a virtual machine whose host takes the cores away, a process is charged CPU time for seconds
    in which it got little done, and only the work shows that. Other load, an affinity mask or a CPU
    quota lowers it.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration!r}")
    return _work_rate(workers, duration) / _work_rate(1, duration)


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's terminated and waited-for children.

    Children still running, or finished but not yet joined (zombies), are not counted yet. Nor,
    ever, are processes started through the ``forkserver`` start method: they are the forkserver's
    children, not ours, so a check that needs their CPU must use ``fork`` or ``spawn``.
    """
    usage = _getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class ChildrenCpu:
    """CPU used by the children a block of code started and joined, and the block's wall time."""

    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def parallelism(self) -> float:
        """Average number of cores the children kept busy during the block."""
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


@contextmanager
def track_children_cpu() -> Iterator[ChildrenCpu]:
    """Measure a block: ``with track_children_cpu() as usage: call()``, then read ``usage``.

    The result is filled in when the block ends. Only children joined inside the block count (see
    ``children_cpu_seconds``): a pool closed and joined by the call is counted whole.
    """
    usage = ChildrenCpu()
    cpu_start = children_cpu_seconds()
    wall_start = _perf()
    try:
        yield usage
    finally:
        usage.wall_seconds = _perf() - wall_start
        usage.cpu_seconds = children_cpu_seconds() - cpu_start
