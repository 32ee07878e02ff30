"""How much parallel work this machine really allows right now, and how much CPU children used.

A speedup check cannot expect "2 processes are 2x faster" on a machine whose cores are busy with
other work, capped by a quota, or two hyperthreads of one physical core. It therefore times a pool of
its own doing the same work in the same run (`pool_seconds`) and scales its expectation to what that
pool achieved.

The clocks and the pool class are captured when this module is imported, before any student module
is, so a submission that later rebinds ``time.perf_counter``, ``resource.getrusage`` or
``multiprocessing.Pool`` cannot fake the measurements. (Patching the methods of the pool class itself
is beyond what a capture can stop; that is the sandbox's concern.)
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Iterable
from multiprocessing import pool as mp_pool

_perf = time.perf_counter
_getrusage = resource.getrusage
_Pool = mp_pool.Pool
# Forked, like the student's pool in the speedup check, so that both pay the same start-up cost.
_FORK = multiprocessing.get_context("fork")


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity where the OS has one, else the CPU count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def pool_seconds(function: Callable, tasks: Iterable[tuple], processes: int = 2) -> float:
    """Wall seconds that a pool of the grader's own, with ``processes`` forked workers, takes to
    run ``function(*args)`` for every ``args`` in ``tasks``, every task submitted before any result
    is awaited, the pool started, closed and joined within the time.

    This is what a correct parallel solution of the same work needs on this machine at this moment:
    other load, a CPU quota and cores that share their execution units all show in it.
    """
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes!r}")
    started = _perf()
    pool = _Pool(processes, context=_FORK)
    try:
        pending = [pool.apply_async(function, args) for args in tasks]
        for result in pending:
            result.get()
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return _perf() - started


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's terminated and waited-for children.

    Children still running, or finished but not yet joined (zombies), are not counted yet. Nor,
    ever, are processes started through the ``forkserver`` start method: they are the forkserver's
    children, not ours, so a check that needs their CPU must use ``fork`` or ``spawn``.
    """
    usage = _getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
