"""Timing a parallel function against the same work done serially, in interleaved rounds.

Each round times three things one after the other: the serial work, the function under test, and a
yardstick (a pool of the grader's own doing the same work: what two processes can gain on this
machine). Because the three are timed at different moments of a round, and load on a machine comes
and goes, each round also records how many cores other processes kept busy during the function's
call itself (`grader.probes.cpu.OtherLoad`): a burst of load then shows in the round it spoiled.

This module records; `grader.speedup` judges.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.probes.cpu import OtherLoad, children_cpu_seconds, usable_cores

_perf = time.perf_counter


@dataclass(frozen=True)
class Round:
    """One round's numbers, in seconds of wall time unless said otherwise."""

    serial: float
    parallel: float
    # The CPU seconds of the call's child processes over the call's wall time: how many cores its
    # workers kept busy.
    cpu: float
    yardstick: float
    # Cores that processes other than the grader and its children kept busy during the call; None
    # where the machine does not say (no /proc/stat).
    others: float | None

    def quiet(self, max_others: float) -> bool:
        """Whether other processes left the machine to the call: known, and at most `max_others`
        cores."""
        return self.others is not None and self.others <= max_others


@dataclass
class SpeedupMeasurement:
    """The rounds timed so far on a process that may use `cores` cores.

    Every signal is the best of the rounds: load on the machine only ever makes it look worse.
    """

    cores: int
    rounds: list[Round] = field(default_factory=list)

    @property
    def serial(self) -> float:
        """The serial work's best time: what it costs without interference."""
        return min(r.serial for r in self.rounds)

    @property
    def speedup(self) -> float:
        return self.serial / min(r.parallel for r in self.rounds)

    @property
    def cpu_parallelism(self) -> float:
        return max(r.cpu for r in self.rounds)

    @property
    def available(self) -> float:
        """The yardstick's speedup, at most the usable cores: what two processes get here; 0 before
        any round."""
        if not self.rounds:
            return 0.0
        return min(self.cores, self.serial / min(r.yardstick for r in self.rounds))

    def details(self) -> dict:
        """The measured numbers, rounded, for a report's details."""
        numbers = {"speedup": self.speedup, "yardstick_speedup": self.available,
                   "serial_s": [r.serial for r in self.rounds], "multiprocess_s": [r.parallel for r in self.rounds],
                   "yardstick_s": [r.yardstick for r in self.rounds], "worker_cores": [r.cpu for r in self.rounds],
                   "other_cores": [r.others for r in self.rounds]}
        return {key: [_rounded(v) for v in value] if isinstance(value, list) else _rounded(value)
                for key, value in numbers.items()}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def time_round(serial: Callable[[], object], parallel: Callable[[], float],
               yardstick: Callable[[], float], serial_share: float = 1.0) -> Round:
    """Time one round. `serial` is timed here; `parallel` runs the call under test and returns its
    own wall seconds (the caller may time it more exactly than around its bookkeeping); `yardstick`
    returns its wall seconds.

    `serial` may do a share of the work only (every fourth task: 0.25), spread evenly over it: its
    time is scaled up to the whole. One process doing equal tasks one after the other takes a time
    proportional to their number, so a share measures the same thing for a fraction of the wait."""
    if not 0 < serial_share <= 1:
        raise ValueError(f"serial_share must be in (0, 1], got {serial_share!r}")
    started = _perf()
    serial()
    serial_seconds = (_perf() - started) / serial_share
    with OtherLoad() as load:
        cpu_before = children_cpu_seconds()
        parallel_seconds = parallel()
        cpu = (children_cpu_seconds() - cpu_before) / parallel_seconds
    return Round(serial_seconds, parallel_seconds, cpu, yardstick(), load.cores)


def measure(timed_round: Callable[[], Round], settled: Callable[[SpeedupMeasurement], bool],
            at_least: int, max_seconds: float, budget_seconds: float = float("inf")) -> SpeedupMeasurement:
    """At least `at_least` rounds; more until `settled` says the measurement decides, or
    `max_seconds` have gone. No round at all on a process that may use fewer than 2 cores: nothing
    there can run in parallel.

    No round, not even one of the first `at_least`, is started that would end later than
    `budget_seconds` after the first began if it took as long as the longest so far: on a heavily
    loaded machine rounds grow many times longer, and the check's own timeout must not cut off what
    was measured. Fewer rounds than asked can pass, or be not measurable; they never fail anyone,
    since a failure needs several quiet rounds (`grader.speedup`)."""
    m = SpeedupMeasurement(usable_cores())
    if m.cores < 2:
        return m
    started, longest = _perf(), 0.0
    while len(m.rounds) < at_least or (not settled(m) and _perf() - started < max_seconds):
        if _perf() - started + longest > budget_seconds:
            break
        began = _perf()
        m.rounds.append(timed_round())
        longest = max(longest, _perf() - began)
    return m
