"""How much parallel work this machine really allows right now, and how much CPU children used.

A speedup check cannot expect "2 processes are 2x faster" on a machine whose cores are busy with
other work, capped by a quota, or two hyperthreads of one physical core. It therefore times a pool of
its own doing the same work in the same run (`pool_seconds`) and scales its expectation to what that
pool achieved. That pool is timed at another moment than the student's call, though, and load comes
and goes: `OtherLoad` measures, during the student's call itself, how many cores processes other than
the grader and its children kept busy.

The clocks, the pool class and the file functions are captured when this module is imported, before
any student module is, so a submission that later rebinds ``time.perf_counter``,
``resource.getrusage``, ``os.read`` or ``multiprocessing.Pool`` cannot fake the measurements.
(Patching the methods of the pool class itself is beyond what a capture can stop; that is the
sandbox's concern.)
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Iterable
from multiprocessing import pool as mp_pool
from grader.probes.pools import terminate

_perf = time.perf_counter
_getrusage = resource.getrusage
_os_open, _os_read, _os_close = os.open, os.read, os.close
_Pool = mp_pool.Pool
_PROC_STAT = "/proc/stat"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Columns of /proc/stat's "cpu" line that count a core as busy: user, nice, system, irq, softirq and
# steal (a hypervisor running someone else on our core). idle and iowait are not busy.
_BUSY_COLUMNS = (0, 1, 2, 5, 6, 7)
# Forked, like the student's pool in the speedup check, so that both pay the same start-up cost.
_FORK = multiprocessing.get_context("fork")


def usable_cpus() -> set[int]:
    """The numbers of the cores this process may run on (all of them where the OS cannot say)."""
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity where the OS has one, else the CPU count."""
    return len(usable_cpus())


def pool_seconds(function: Callable, tasks: Iterable[tuple], processes: int = 2,
                 results: list | None = None) -> float:
    """Wall seconds that a pool of the grader's own, with ``processes`` forked workers, takes to
    run ``function(*args)`` for every ``args`` in ``tasks``, every task submitted before any result
    is awaited, the pool started, closed and joined within the time. ``results``, when given, is
    filled with the function's results in task order.

    This is what a correct parallel solution of the same work needs on this machine at this moment:
    other load, a CPU quota and cores that share their execution units all show in it.
    """
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes!r}")
    started = _perf()
    pool = _Pool(processes, context=_FORK)
    try:
        pending = [pool.apply_async(function, args) for args in tasks]
        values = [result.get() for result in pending]
        pool.close()
    except BaseException:
        terminate(pool)
        raise
    finally:
        pool.join()
    seconds = _perf() - started
    if results is not None:
        results[:] = values
    return seconds


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's terminated and waited-for children.

    Children still running, or finished but not yet joined (zombies), are not counted yet. Nor,
    ever, are processes started through the ``forkserver`` start method: they are the forkserver's
    children, not ours, so a check that needs their CPU must use ``fork`` or ``spawn``.
    """
    usage = _getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process, all its threads, and its terminated
    and waited-for children."""
    usages = [_getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(usage.ru_utime + usage.ru_stime for usage in usages)


def _cpu_lines(path: str) -> list[bytes]:
    """The per-core lines ("cpu0 ...", "cpu1 ...") at the top of /proc/stat."""
    fd = _os_open(path, os.O_RDONLY)
    try:
        text = b""
        # The cpu lines come first; the "intr" line after them can be very long, so read no further.
        while b"\nintr" not in text and (chunk := _os_read(fd, 65536)):
            text += chunk
    finally:
        _os_close(fd)
    return [line for line in text.split(b"\n") if line.startswith(b"cpu") and line[3:4].isdigit()]


def system_busy_seconds(cpus: set[int], path: str = _PROC_STAT) -> float | None:
    """CPU seconds that the cores numbered `cpus` have spent busy since boot, whoever ran on them,
    from /proc/stat; None where it cannot be read (not Linux, or a sandbox that hides /proc) or does
    not list every one of those cores (a container's own numbering): a partial sum would miss load."""
    try:
        busy = {}
        for line in _cpu_lines(path):
            fields = line.split()
            if int(fields[0][3:]) in cpus:
                busy[int(fields[0][3:])] = sum(int(fields[1 + column]) for column in _BUSY_COLUMNS)
    except (OSError, ValueError, IndexError):
        return None
    return sum(busy.values()) / _CLOCK_TICKS if set(busy) == set(cpus) else None


class OtherLoad:
    """How many cores other processes kept busy while the ``with`` block ran: the busy CPU time of the
    cores this process may use, less what this process and its children used (they run on no other
    cores), over the block's wall time.

    Children that have not been waited for by the end of the block count as other processes: a
    reading can only come out too high, never too low. ``cores`` is None where /proc/stat cannot be
    read; ``seconds`` is the block's wall time.
    """

    def __init__(self, path: str = _PROC_STAT):
        self.path, self.cpus, self.cores, self.seconds = path, usable_cpus(), None, 0.0

    def __enter__(self) -> "OtherLoad":
        self._busy, self._own = system_busy_seconds(self.cpus, self.path), own_cpu_seconds()
        self._started = _perf()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds, busy = _perf() - self._started, system_busy_seconds(self.cpus, self.path)
        if self._busy is not None and busy is not None and self.seconds > 0:
            others = busy - self._busy - (own_cpu_seconds() - self._own)
            self.cores = max(0.0, others) / self.seconds
