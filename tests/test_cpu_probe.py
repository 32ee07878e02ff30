"""Tests for grader.probes.cpu: usable cores, the grader's own pool as a yardstick, children's CPU."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.probes.cpu import children_cpu_seconds, pool_seconds, usable_cores
from grader.probes.processes import descendant_pids

# Other processes may keep this many cores busy and the machine still counts as idle.
_IDLE_OTHERS = 0.25

# A child that spins until it has used this much CPU, whatever else the machine is doing.
_SPIN_CPU = 0.2
_SPIN = f"import time\nwhile time.process_time() < {_SPIN_CPU}: pass"


def spin(seconds: float) -> None:
    """A task for the pool: burn `seconds` of CPU."""
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


def explode() -> None:
    raise RuntimeError("task failed")


def _system_busy_seconds() -> float:
    """CPU seconds all cores together have spent busy since boot (first line of /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _pool_seconds_and_others(processes: int, tasks) -> tuple[float, float]:
    """The pool's wall time, and how many cores other processes kept busy meanwhile."""
    ours_start = children_cpu_seconds() + time.process_time()
    busy_start = _system_busy_seconds()
    seconds = pool_seconds(spin, tasks, processes)
    ours = children_cpu_seconds() + time.process_time() - ours_start
    return seconds, max(0.0, _system_busy_seconds() - busy_start - ours) / seconds


def test_usable_cores_is_at_least_one():
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)


def test_pool_seconds_rejects_no_processes():
    with pytest.raises(ValueError, match="processes"):
        pool_seconds(spin, [(0.01,)], 0)


def test_pool_seconds_includes_every_task():
    assert pool_seconds(spin, [(0.1,)] * 4, 1) >= 0.4


def test_two_pool_workers_beat_one_when_cores_are_free():
    if usable_cores() < 2:
        pytest.skip(f"only {usable_cores()} usable core: two workers cannot beat one")
    tasks = [(0.05,)] * 8
    # Best of 3 interleaved rounds each: load only ever makes a round slower.
    rounds = [(_pool_seconds_and_others(1, tasks), _pool_seconds_and_others(2, tasks)) for _ in range(3)]
    others = max(o for pair in rounds for _, o in pair)
    if others > _IDLE_OTHERS:
        pytest.skip(f"machine not idle: other processes kept {others:.2f} cores busy")
    one = min(one for (one, _), _ in rounds)
    two = min(two for _, (two, _) in rounds)
    assert one / two > 1.3, f"a pool of 2 took {two:.2f} s, a pool of 1 {one:.2f} s (best of 3 each)"


def test_a_failing_task_raises_and_leaves_no_worker():
    before = descendant_pids()
    with pytest.raises(RuntimeError, match="task failed"):
        pool_seconds(explode, [()], 2)
    assert descendant_pids() <= before


def test_pool_seconds_ignores_a_patched_clock(monkeypatch):
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0)
    assert pool_seconds(spin, [(0.1,)], 1) >= 0.1


def test_children_cpu_seconds_counts_a_joined_child():
    before = children_cpu_seconds()
    subprocess.run([sys.executable, "-c", _SPIN], check=True)
    assert children_cpu_seconds() - before >= _SPIN_CPU
