"""Tests for grader.probes.cpu: available cores, measured parallelism, children's CPU."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.probes.cpu import (
    children_cpu_seconds,
    measure_available_parallelism,
    track_children_cpu,
    usable_cores,
)

# Other processes may keep this many cores busy and the machine still counts as idle.
_IDLE_OTHERS = 0.25

# A child that spins until it has used this much CPU, whatever else the machine is doing.
_SPIN_CPU = 0.2
_SPIN = f"import time\nwhile time.process_time() < {_SPIN_CPU}: pass"


def _system_busy_seconds() -> float:
    """CPU seconds all cores together have spent busy since boot (first line of /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _measure(workers: int) -> tuple[float, float]:
    """The measured parallelism, and how many cores other processes kept busy meanwhile."""
    ours_start = children_cpu_seconds() + time.process_time()
    busy_start = _system_busy_seconds()
    wall_start = time.perf_counter()
    parallelism = measure_available_parallelism(workers)
    wall = time.perf_counter() - wall_start
    ours = children_cpu_seconds() + time.process_time() - ours_start
    return parallelism, max(0.0, _system_busy_seconds() - busy_start - ours) / wall


def test_usable_cores_is_at_least_one():
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)


def test_parallelism_rejects_no_workers():
    with pytest.raises(ValueError, match="workers"):
        measure_available_parallelism(0)


def _skip_unless_idle(others: float) -> None:
    if others > _IDLE_OTHERS:
        pytest.skip(f"machine not idle: other processes kept {others:.2f} cores busy")


def test_parallelism_scales_with_workers_when_cores_are_free():
    one, others = _measure(1)
    assert one <= 1.2, "one single-threaded worker cannot use much more than one core"
    _skip_unless_idle(others)
    assert one >= 0.5, f"1 worker got only {one:.2f} cores on an idle machine"
    if usable_cores() < 2:
        pytest.skip(f"only {usable_cores()} usable core: two workers cannot beat one")
    two, others = _measure(2)
    _skip_unless_idle(others)
    assert two > one * 1.3, f"2 workers got {two:.2f} cores, 1 worker {one:.2f}"


def test_track_children_cpu_counts_a_joined_child():
    with track_children_cpu() as usage:
        subprocess.run([sys.executable, "-c", _SPIN], check=True)
    assert usage.cpu_seconds >= _SPIN_CPU
    assert usage.wall_seconds >= usage.cpu_seconds
    assert 0 < usage.parallelism <= 1.0


def test_track_children_cpu_ignores_a_patched_clock(monkeypatch):
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0)
    with track_children_cpu() as usage:
        subprocess.run([sys.executable, "-c", _SPIN], check=True)
    assert usage.wall_seconds >= usage.cpu_seconds >= _SPIN_CPU
