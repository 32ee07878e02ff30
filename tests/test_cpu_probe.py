"""Tests for grader.probes.cpu: usable cores, the grader's own pool as a yardstick, children's CPU,
and the load of other processes."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.probes.cpu import (OtherLoad, children_cpu_seconds, own_cpu_seconds, pool_seconds, system_busy_seconds,
                               usable_cores, usable_cpus)
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


def _pool_seconds_and_others(processes: int, tasks) -> tuple[float, float]:
    """The pool's wall time, and how many cores other processes kept busy meanwhile."""
    with OtherLoad() as others:
        seconds = pool_seconds(spin, tasks, processes)
    return seconds, others.cores if others.cores is not None else 0.0


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


def _stat_line(cpu: int, busy_ticks: int, idle_ticks: int = 1000) -> str:
    # user nice system idle iowait irq softirq steal guest guest_nice: the busy ticks split over the
    # busy columns, so that every one of them is counted.
    user, nice, system, irq, softirq, steal = busy_ticks - 5, 1, 1, 1, 1, 1
    return f"cpu{cpu} {user} {nice} {system} {idle_ticks} 7 {irq} {softirq} {steal} 0 0"


def _write_stat(path: Path, busy_ticks: dict[int, int]) -> None:
    total = sum(busy_ticks.values())
    lines = [_stat_line(0, total).replace("cpu0", "cpu ", 1)] + [_stat_line(c, b) for c, b in busy_ticks.items()]
    path.write_text("\n".join(lines) + "\nintr 1 2 3\nctxt 4\n")


def test_system_busy_seconds_counts_the_busy_columns_of_the_given_cores(tmp_path):
    stat = tmp_path / "stat"
    _write_stat(stat, {0: 300, 1: 500, 2: 10_000})
    ticks = os.sysconf("SC_CLK_TCK")
    assert system_busy_seconds({0, 1}, str(stat)) == pytest.approx(800 / ticks)


def test_a_proc_stat_without_one_of_the_cores_gives_no_reading(tmp_path):
    stat = tmp_path / "stat"
    _write_stat(stat, {0: 300, 1: 500})
    assert system_busy_seconds({0, 4}, str(stat)) is None


def test_an_unreadable_proc_stat_gives_no_reading(tmp_path):
    assert system_busy_seconds({0}, str(tmp_path / "missing")) is None
    with OtherLoad(str(tmp_path / "missing")) as others:
        pass
    assert others.cores is None


def test_other_load_leaves_out_this_process_and_its_children(tmp_path):
    """A child's CPU shows in the machine's busy time but is ours: only the rest counts as others."""
    stat, cpus = tmp_path / "stat", sorted(usable_cpus())
    ticks = os.sysconf("SC_CLK_TCK")
    _write_stat(stat, {cpu: 1000 for cpu in cpus})
    with OtherLoad(str(stat)) as others:
        ours = own_cpu_seconds()
        subprocess.run([sys.executable, "-c", _SPIN], check=True)
        ours = own_cpu_seconds() - ours
        # The machine's busy time grows by the child's CPU and ours, and by one second of others'.
        _write_stat(stat, {cpu: 1000 + (round(ours * ticks) + ticks if cpu == cpus[0] else 0) for cpu in cpus})
    assert others.cores * others.seconds == pytest.approx(1.0, abs=0.05)


def test_other_load_reads_the_real_machine():
    if system_busy_seconds(usable_cpus()) is None:
        pytest.skip("/proc/stat cannot be read here")
    with OtherLoad() as others:
        spin(0.05)
    assert others.cores is not None and others.cores >= 0


def square(x: int) -> int:
    return x * x


def test_pool_seconds_gives_the_results_in_task_order():
    results: list = ["left over"]
    pool_seconds(square, [(x,) for x in range(7, -1, -1)], 2, results=results)
    assert results == [x * x for x in range(7, -1, -1)]
