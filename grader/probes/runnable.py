"""How much of a core this process's threads wanted: the time each spent running on a core, plus the
time it spent ready to run, waiting in the kernel's run queue for a core to come free.

A thread that polls in a loop wants a core all the time, however busy the machine: when other work
takes the cores it waits in the run queue instead of running, and the CPU time it gets falls with
the load (a quarter of a core beside six busy processes on two cores), while a thread blocked on a
queue or a lock wants none. Linux counts both times per thread (`/proc/self/task/<tid>/schedstat`:
nanoseconds on a core, nanoseconds waiting for one); where it does not, the process's CPU time is
what is left, which only an idle machine makes as telling.

The file functions and the clock are captured when this module is imported, before any student
module is, so that a submission that rebinds ``os.read`` or ``time.process_time`` cannot fake the
reading.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

_os_open, _os_read, _os_close, _listdir = os.open, os.read, os.close, os.listdir
_native_id = threading.get_native_id
_process_time = time.process_time
_TASKS = "/proc/self/task"


def _schedstat(tid: str) -> int | None:
    """Nanoseconds thread `tid` has run plus waited to run, or None if it is gone or not counted."""
    try:
        fd = _os_open(f"{_TASKS}/{tid}/schedstat", os.O_RDONLY)
    except OSError:
        return None
    try:
        fields = _os_read(fd, 256).split()
    except OSError:
        return None
    finally:
        _os_close(fd)
    return int(fields[0]) + int(fields[1]) if len(fields) >= 2 else None


def _threads_wanted() -> dict[str, int] | None:
    """Per thread of this process, the nanoseconds it has run or waited to run; None where the kernel
    keeps no such count."""
    try:
        tids = _listdir(_TASKS)
    except OSError:
        return None
    counts = {tid: _schedstat(tid) for tid in tids}
    if not counts or all(count is None for count in counts.values()):
        return None
    return {tid: count for tid, count in counts.items() if count is not None}


def core_seconds_wanted(wait: Callable[[], object]) -> float:
    """Seconds of a core that this process's threads other than the caller wanted (ran, or waited
    in the run queue to run) while the caller ran `wait()`. Where the kernel keeps no such count,
    the process's CPU time over the same moment, the caller's included."""
    me = str(_native_id())
    cpu_before, before = _process_time(), _threads_wanted()
    wait()
    after, cpu_after = _threads_wanted(), _process_time()
    if before is None or after is None:
        return cpu_after - cpu_before
    wanted = sum(count - before.get(tid, 0) for tid, count in after.items() if tid != me)
    return max(wanted, 0) / 1e9
