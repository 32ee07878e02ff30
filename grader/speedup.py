"""How a speedup measurement (`grader.probes.speedup`) is judged: pass, fail, or not measurable.

Two signals of the function under test: its speedup over the serial work, and how many cores its
workers kept busy over its wall time. Both are only ever lowered by load, so a pass on any rounds is
a pass. A failure must never come from load: it needs both signals to say serial in every round, and
enough of those rounds during which the machine was quiet (other processes kept few cores busy
during the function's call itself, as measured then). The yardstick (the grader's own pool on the
same work) says what this machine allows at all: a quota or shared cores show in it, and below a
minimum nothing can be judged.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.feedback import fail, not_measurable
from grader.messages import Message, msg
from grader.probes.speedup import SpeedupMeasurement

PASS, FAIL = "pass", "fail"
# Not measurable: the yardstick got too little speedup (one core, a quota, a loaded machine) ...
BUSY = "busy"
# ... both signals said serial, but in too few rounds with the machine quiet during the call ...
LOADED = "loaded"
# ... or the numbers fall between a clear pass and a clear failure.
UNDECIDED = "undecided"
OPEN = (BUSY, LOADED, UNDECIDED)


def scaled(minimum: float, available: float) -> float:
    """A speedup expected of 2 cores, scaled to the cores available: (min - 1) per core beyond one."""
    return 1 + (minimum - 1) * (min(available, 2.0) - 1)


@dataclass(frozen=True)
class PassMark:
    """What a pass needs on this machine: a speedup and the workers' cores."""

    speedup: float
    cpu: float


@dataclass(frozen=True)
class SpeedupRule:
    """The thresholds of a speedup check (catalog names in brackets), and the verdict they give."""

    min_speedup: float             # [min_speedup] a pass on 2 free cores
    min_cpu: float                 # [min_cpu_parallelism]
    fail_speedup: float            # [fail_below_speedup] clearly serial, whatever the machine
    fail_cpu: float                # [fail_below_cpu_parallelism]
    min_available: float           # [min_available_parallelism] the yardstick's least speedup
    quiet_others: float            # [quiet_max_other_cores] a quiet round: other load during the call,
                                   # beyond the cores a pool of 2 does not need
    min_quiet_rounds: int          # [min_quiet_rounds] quiet rounds a failure needs

    @classmethod
    def of(cls, t: dict) -> "SpeedupRule":
        """The rule from a check's catalog thresholds."""
        return cls(t["min_speedup"], t["min_cpu_parallelism"], t["fail_below_speedup"],
                   t["fail_below_cpu_parallelism"], t["min_available_parallelism"], t["quiet_max_other_cores"],
                   t["min_quiet_rounds"])

    def pass_mark(self, available: float) -> PassMark:
        """The catalog's pass mark scaled down to the yardstick's speedup, never below the failure
        lines."""
        return PassMark(max(scaled(self.min_speedup, available), self.fail_speedup),
                        max(scaled(self.min_cpu, available), self.fail_cpu))

    def says_serial(self, m: SpeedupMeasurement) -> bool:
        """Both signals, best of the rounds, below the failure lines."""
        return bool(m.rounds) and m.speedup < self.fail_speedup and m.cpu_parallelism < self.fail_cpu

    def quiet_rounds(self, m: SpeedupMeasurement) -> int:
        """How many rounds' calls ran while other processes left the call its two cores: they kept
        busy at most the cores beyond two, and `quiet_others` more."""
        return sum(r.quiet(m.cores - 2 + self.quiet_others) for r in m.rounds)

    def verdict(self, m: SpeedupMeasurement) -> str:
        """PASS, FAIL, or one of OPEN (not measurable yet)."""
        if not m.rounds or m.available < self.min_available:
            return BUSY
        mark = self.pass_mark(m.available)
        if m.speedup >= mark.speedup and m.cpu_parallelism >= mark.cpu:
            return PASS
        if not self.says_serial(m):
            return UNDECIDED
        # Every round says serial (the best of them does); load can have made them so, unless
        # enough of them ran on a quiet machine.
        return FAIL if self.quiet_rounds(m) >= self.min_quiet_rounds else LOADED


def describe(m: SpeedupMeasurement, rule: SpeedupRule, call: str) -> Message:
    """The measured numbers, for the student; `call` names the timed call ("multiprocess(2, ...)")."""
    if not m.rounds:
        return msg("processes.speed.one_core", cores=m.cores)
    return msg("processes.speed.numbers", rounds=len(m.rounds), serial=m.serial, call=call,
               parallel=min(r.parallel for r in m.rounds), speedup=m.speedup, cpu=m.cpu_parallelism,
               yardstick=min(r.yardstick for r in m.rounds), available=m.available, quiet=rule.quiet_rounds(m))


def judge(m: SpeedupMeasurement, rule: SpeedupRule, call: str, hint: object) -> Message:
    """The rule's verdict on `m` told to the student: the measured numbers of a pass are returned; a
    failure (with `hint`, as `fail` takes it: a message, CHECK_HINT or None) or "not measurable" is
    raised. The pass mark is computed before any verdict uses it."""
    __tracebackhide__ = True
    result, need, numbers = rule.verdict(m), rule.pass_mark(m.available), describe(m, rule, call)
    if result == PASS:
        return numbers
    if result == FAIL:
        fail("processes.speed.serial", call=call, numbers=numbers, speedup=need.speedup, cpu=need.cpu, hint=hint)
    if result == BUSY:
        not_measurable("processes.speed.busy", numbers=numbers, min_available=rule.min_available)
    if result == LOADED:
        not_measurable("processes.speed.loaded", call=call, numbers=numbers, quiet_rounds=rule.min_quiet_rounds)
    not_measurable("processes.speed.undecided", numbers=numbers, speedup=need.speedup, cpu=need.cpu)
