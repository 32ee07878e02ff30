"""The rule that turns exercise5's speedup rounds into pass, fail or not measurable (grader.speedup),
how many rounds the measurement takes (grader.probes.speedup), and how the verdict is told to the
student. Numbers are replayed, one (speedup, workers' cores, yardstick speedup, other cores) a round,
with a serial time of 1 s. Last, what the check decides without a clock: a pool that never had two
tasks at once (grader.probes.pools)."""
import multiprocessing
import time

import pytest

from grader.catalog import CHECKS_DIR, load_exercise
from grader.feedback import Feedback, NotMeasurable
from grader.messages import msg, render
from grader.probes import speedup as probe
from grader.probes.pools import watch_pools
from grader.probes.speedup import Round, SpeedupMeasurement, measure
from grader.speedup import BUSY, FAIL, LOADED, OPEN, PASS, UNDECIDED, SpeedupRule, judge

SPEEDUP_CHECK = "test_multiprocess_is_faster_than_serial"
HINT = msg("processes.hint.read_child_errors")
QUIET, BURST = 0.05, 1.5


@pytest.fixture(scope="module")
def thresholds():
    exercise = load_exercise(CHECKS_DIR / "exercise5.yaml")
    return next(c for c in exercise.checks if c.name == SPEEDUP_CHECK).thresholds


@pytest.fixture(scope="module")
def rule(thresholds):
    return SpeedupRule.of(thresholds)


def one_round(speedup: float, cpu: float, yardstick: float, others: float | None = QUIET) -> Round:
    return Round(1.0, 1 / speedup, cpu, 1 / yardstick, others)


def measured(*rounds: tuple, cores: int = 2) -> SpeedupMeasurement:
    return SpeedupMeasurement(cores, [one_round(*r) for r in rounds])


def test_two_idle_cores_need_the_catalog_speedup(rule, thresholds):
    mark = rule.pass_mark(2.0)
    assert (mark.speedup, mark.cpu) == (thresholds["min_speedup"], thresholds["min_cpu_parallelism"])


def test_fewer_available_cores_lower_the_need_but_never_below_the_failure_line(rule, thresholds):
    needs = [rule.pass_mark(a).speedup for a in (2.0, 1.8, 1.5, 1.0, 0.0)]
    assert needs == sorted(needs, reverse=True)
    assert needs[1] < thresholds["min_speedup"]
    assert needs[-1] == needs[-2] == thresholds["fail_below_speedup"]


@pytest.mark.parametrize("speedup, cpu, verdict", [
    (1.7, 1.8, PASS),
    (1.0, 1.0, FAIL),
    (1.0, 0.1, FAIL),
    (1.0, 1.8, UNDECIDED),
    (1.3, 1.3, UNDECIDED),
    (1.7, 1.0, UNDECIDED),
])
def test_a_failure_needs_both_signals_to_say_serial(rule, speedup, cpu, verdict):
    assert rule.verdict(measured((speedup, cpu, 2.0), (speedup, cpu, 2.0))) == verdict


def test_a_measurement_takes_the_best_round_of_each_signal():
    m = SpeedupMeasurement(2, [Round(0.8, 0.5, 1.6, 0.5, 0.0), Round(0.75, 0.45, 1.7, 0.42, 0.0)])
    assert m.speedup == pytest.approx(0.75 / 0.45)
    assert m.cpu_parallelism == 1.7
    assert m.available == pytest.approx(0.75 / 0.42)


def test_the_yardstick_never_counts_more_cores_than_this_process_may_use():
    assert measured((1.0, 1.0, 2.4)).available == 2


def test_a_parallel_solution_passes_when_it_keeps_up_with_the_yardstick(rule):
    assert rule.verdict(measured((1.6, 1.7, 1.65))) == PASS
    assert rule.verdict(measured((1.35, 1.5, 1.4))) == PASS


def test_a_pass_needs_no_quiet_round(rule):
    assert rule.verdict(measured((1.6, 1.7, 1.65, BURST), (1.6, 1.7, 1.65, None))) == PASS


def test_a_serial_solution_fails_in_quiet_rounds_however_little_the_yardstick_got(rule, thresholds):
    assert rule.verdict(measured((0.8, 0.9, 1.9), (0.8, 0.9, 1.9))) == FAIL
    gate = thresholds["min_available_parallelism"]
    assert rule.verdict(measured((1.0, 0.0, gate), (1.0, 0.0, gate))) == FAIL


def test_just_above_the_gate_a_parallel_solution_never_fails(rule, thresholds):
    just_above = thresholds["min_available_parallelism"] + 0.05
    assert rule.verdict(measured((just_above, 1.8, just_above))) == PASS
    assert rule.verdict(measured((1.0, 1.8, just_above), (1.0, 1.8, just_above))) == UNDECIDED
    assert rule.verdict(measured((1.0, 1.0, just_above), (1.0, 1.0, just_above))) == FAIL


def test_too_little_yardstick_speedup_is_busy_not_a_failure(rule, thresholds):
    below_the_gate = thresholds["min_available_parallelism"] - 0.05
    assert rule.verdict(measured((0.8, 0.8, below_the_gate), (0.8, 0.8, below_the_gate))) == BUSY
    assert rule.verdict(SpeedupMeasurement(1)) == BUSY


# Replayed from a 2-core VM, two rounds of the reference solution while a competing pool of 2 workers
# started and stopped beside other gradings: the yardstick, timed at another moment of the round,
# got 1.27x and 1.17x, while both of the student's signals said serial during a burst. The rule
# before /proc/stat was read failed it.
BURST_DURING_THE_CALL = [(0.80, 0.26, 1.27, 1.70), (0.52, 0.28, 1.17, 1.68)]


def test_a_burst_during_the_call_alone_is_never_a_failure(rule):
    m = measured(*BURST_DURING_THE_CALL)
    assert rule.says_serial(m) and m.available >= rule.min_available  # what failed it before
    assert rule.verdict(m) == LOADED
    with pytest.raises(NotMeasurable, match="other processes were busy"):
        judge(m, rule, "multiprocess(2, ...)", None)


def test_one_quiet_round_is_not_enough_for_a_failure(rule, thresholds):
    assert thresholds["min_quiet_rounds"] >= 2
    assert rule.verdict(measured((0.9, 0.9, 1.5), (0.9, 0.9, 1.5, BURST))) == LOADED


def test_a_round_counts_as_quiet_only_below_the_catalog_line(rule, thresholds):
    line = thresholds["quiet_max_other_cores"]
    serial = (0.9, 0.9, 1.5)
    assert rule.verdict(measured((*serial, line), (*serial, line))) == FAIL
    assert rule.verdict(measured((*serial, line), (*serial, line + 0.01))) == LOADED


def test_other_load_is_allowed_on_the_cores_a_pool_of_two_does_not_need(rule):
    serial = (0.9, 0.9, 1.5)
    assert rule.verdict(measured((*serial, 2.1), (*serial, 2.1), cores=4)) == FAIL
    assert rule.verdict(measured((*serial, 2.1), (*serial, 2.1), cores=2)) == LOADED


def test_without_proc_stat_no_round_is_quiet_so_timing_alone_never_fails(rule):
    assert rule.verdict(measured((0.9, 0.9, 1.5, None), (0.9, 0.9, 1.5, None), (0.9, 0.9, 1.5, None))) == LOADED


def test_one_round_showing_parallel_work_prevents_a_failure(rule):
    assert rule.verdict(measured((0.9, 0.9, 1.5), (0.9, 0.9, 1.5), (1.0, 1.3, 1.5, BURST))) == UNDECIDED


# How the verdict is told: every branch runs, with the pass mark computed before any uses it.

def test_a_failure_reports_the_pass_mark_and_the_hint(rule):
    m = measured((0.9, 0.9, 2.0), (0.95, 0.9, 2.0))
    with pytest.raises(Feedback) as failure:
        judge(m, rule, "multiprocess(2, ...)", HINT)
    mark = rule.pass_mark(m.available)
    seen, expected = render(failure.value.message).splitlines()
    assert seen.startswith("multiprocess(2, ...) did not compute in parallel. serial best of 2: 1.00 s;")
    assert expected.startswith(f"Expected: a speedup of at least {mark.speedup:.2f}x")
    assert f"{mark.cpu:.2f} cores" in expected
    assert failure.value.hint == HINT
    assert render(failure.value.message, "ru").startswith("multiprocess(2, ...) не вычисляла параллельно.")


def test_a_pass_returns_the_numbers(rule):
    assert render(judge(measured((1.6, 1.7, 1.65)), rule, "multiprocess(2, ...)", None)).startswith("serial best of 1")


@pytest.mark.parametrize("m, words", [
    (SpeedupMeasurement(1), "too busy"),
    (measured((0.8, 0.8, 1.0)), "too busy"),
    (measured((1.3, 1.3, 2.0)), "a pass needs 1.50x and 1.40 cores"),
    (measured((0.9, 0.9, 2.0, BURST)), "other processes were busy"),
])
def test_an_open_verdict_is_not_measurable_and_says_why(rule, m, words):
    with pytest.raises(NotMeasurable, match=words):
        judge(m, rule, "multiprocess(2, ...)", None)


class FakeRounds:
    """A timed round that replays numbers, one (speedup, cpu, yardstick speedup, other cores) a round."""

    def __init__(self, rounds):
        self.rounds, self.done = list(rounds), 0

    def __call__(self) -> Round:
        self.done += 1
        return one_round(*self.rounds[self.done - 1])


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(probe, "usable_cores", lambda: 2)


def measure_with(rule, thresholds, timed_round, **overrides):
    t = {**thresholds, **overrides}
    return measure(timed_round, lambda m: rule.verdict(m) not in OPEN, t["rounds"], t["max_seconds"],
                   t["budget_seconds"])


def test_a_clear_result_takes_the_minimum_of_rounds(rule, thresholds, two_cores):
    rounds = FakeRounds([(1.6, 1.7, 1.7)] * 10)
    assert rule.verdict(measure_with(rule, thresholds, rounds)) == PASS
    assert rounds.done == thresholds["rounds"]


def test_an_open_result_is_timed_again_until_it_is_clear(rule, thresholds, two_cores):
    busy, undecided, clear = (1.0, 1.7, 1.0), (1.2, 1.7, 1.7), (1.6, 1.7, 1.7)
    rounds = FakeRounds([busy, undecided, clear] + [(1.0, 1.0, 1.0)] * 5)
    assert (rule.verdict(measure_with(rule, thresholds, rounds, rounds=1)), rounds.done) == (PASS, 3)


def test_a_serial_solution_is_timed_until_enough_quiet_rounds(rule, thresholds, two_cores):
    rounds = FakeRounds([(0.9, 0.9, 1.5, BURST), (0.9, 0.9, 1.5), (0.9, 0.9, 1.5, BURST), (0.9, 0.9, 1.5)]
                        + [(0.9, 0.9, 1.5)] * 5)
    assert (rule.verdict(measure_with(rule, thresholds, rounds, rounds=2)), rounds.done) == (FAIL, 4)


def test_one_round_passes_but_never_fails(rule, thresholds, two_cores):
    quiet_serial = FakeRounds([(0.9, 0.9, 1.5)] * 5)
    assert (rule.verdict(measure_with(rule, thresholds, quiet_serial, rounds=1)), quiet_serial.done) == (
        FAIL, thresholds["min_quiet_rounds"])
    parallel = FakeRounds([(1.6, 1.7, 1.7)] * 5)
    assert (rule.verdict(measure_with(rule, thresholds, parallel, rounds=1)), parallel.done) == (PASS, 1)


def test_bursts_during_every_call_end_not_measurable_after_max_seconds(rule, thresholds, two_cores):
    rounds = FakeRounds(BURST_DURING_THE_CALL * 5)
    m = measure_with(rule, thresholds, rounds, rounds=3, max_seconds=0)
    assert (rule.verdict(m), rounds.done) == (LOADED, 3)


def test_an_open_result_stops_being_timed_after_max_seconds(rule, thresholds, two_cores):
    rounds = FakeRounds([(1.0, 1.0, 1.0)] * 10)
    m = measure_with(rule, thresholds, rounds, rounds=3, max_seconds=0)
    assert (rule.verdict(m), rounds.done) == (BUSY, 3)


class SlowRounds(FakeRounds):
    """Rounds that each take `seconds` on a fake clock, as on a heavily loaded machine."""

    def __init__(self, rounds, seconds: float, monkeypatch):
        super().__init__(rounds)
        self.seconds, self.now = seconds, 0.0
        monkeypatch.setattr(probe, "_perf", lambda: self.now)

    def __call__(self) -> Round:
        self.now += self.seconds
        return super().__call__()


def test_a_round_that_would_end_past_the_budget_is_not_started_and_fewer_rounds_fail_nobody(
        rule, thresholds, two_cores, monkeypatch):
    serial = [(0.9, 0.9, 1.5)] * 5
    rounds = SlowRounds(serial, thresholds["budget_seconds"] * 0.6, monkeypatch)
    assert (rule.verdict(measure_with(rule, thresholds, rounds)), rounds.done) == (LOADED, 1)


def test_rounds_that_fit_the_budget_are_all_timed_and_can_fail_a_serial_solution(
        rule, thresholds, two_cores, monkeypatch):
    serial = [(0.9, 0.9, 1.5)] * 5
    rounds = SlowRounds(serial, thresholds["budget_seconds"] * 0.4, monkeypatch)
    assert (rule.verdict(measure_with(rule, thresholds, rounds)), rounds.done) == (
        FAIL, max(thresholds["rounds"], thresholds["min_quiet_rounds"]))


def test_one_usable_core_is_not_timed_at_all(rule, thresholds, monkeypatch):
    monkeypatch.setattr(probe, "usable_cores", lambda: 1)
    rounds = FakeRounds([])
    assert rule.verdict(measure_with(rule, thresholds, rounds)) == BUSY
    assert rounds.done == 0


# Decided without a clock: a pool that never had two tasks at once computed like a serial loop.

FORK = multiprocessing.get_context("fork")


def test_waiting_for_each_result_before_the_next_submission_is_one_task_at_a_time():
    with watch_pools() as log, FORK.Pool(2) as pool:
        results = [pool.apply_async(abs, (-i,)).get() for i in range(4)]
    assert results == [0, 1, 2, 3]
    assert log.pools[0].most_in_flight() == 1 and log.pools[0].one_task_at_a_time()


def test_submitting_every_task_first_is_not_one_task_at_a_time():
    with watch_pools() as log, FORK.Pool(2) as pool:
        pending = [pool.apply_async(abs, (-i,)) for i in range(4)]
        [p.get() for p in pending]
    assert log.pools[0].most_in_flight() == 4 and not log.pools[0].one_task_at_a_time()


def test_a_wait_that_times_out_does_not_count_as_finished():
    with watch_pools() as log, FORK.Pool(2) as pool:
        slow = pool.apply_async(time.sleep, (0.5,))
        slow.wait(0.001)
        pool.apply_async(abs, (-1,)).get()
        slow.get()
    assert log.pools[0].most_in_flight() == 2 and not log.pools[0].one_task_at_a_time()


def test_blocking_apply_alone_is_one_task_at_a_time():
    with watch_pools() as log, FORK.Pool(2) as pool:
        [pool.apply(abs, (-i,)) for i in range(3)]
    assert log.pools[0].one_task_at_a_time()


class FakeClock:
    """A clock that stands still until a timed function moves it on."""

    def __init__(self, monkeypatch):
        self.now = 0.0
        monkeypatch.setattr(probe, "_perf", lambda: self.now)

    def takes(self, seconds: float, value=None):
        def run():
            self.now += seconds
            return value
        return run


def test_a_round_scales_the_serial_share_up_to_the_whole_work(monkeypatch):
    clock = FakeClock(monkeypatch)
    timed = probe.time_round(clock.takes(0.5), clock.takes(0.7, 0.7), lambda: 0.6, serial_share=0.5)
    assert (timed.serial, timed.parallel, timed.yardstick) == (1.0, 0.7, 0.6)


@pytest.mark.parametrize("share", [0, -0.5, 1.5])
def test_a_round_rejects_a_serial_share_outside_zero_to_one(share):
    with pytest.raises(ValueError, match="serial_share"):
        probe.time_round(lambda: None, lambda: 1.0, lambda: 1.0, serial_share=share)
