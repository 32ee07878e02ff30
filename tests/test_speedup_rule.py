"""The rule that turns exercise5's speedup measurements into pass, fail, "undecided" or "busy", and
how many rounds the measurement takes."""
import pytest

from grader.catalog import CHECKS_DIR, load_exercise
from grader.checks import exercise5
from grader.checks.exercise5 import SpeedupMeasurement, SpeedupRule, measure_speedup, verdict

SPEEDUP_CHECK = "test_multiprocess_is_faster_than_serial"


@pytest.fixture(scope="module")
def thresholds():
    exercise = load_exercise(CHECKS_DIR / "exercise5.yaml")
    return next(c for c in exercise.checks if c.name == SPEEDUP_CHECK).thresholds


def measured(speedup: float, cpu: float, yardstick_speedup: float, cores: int = 2) -> SpeedupMeasurement:
    """One round with a serial time of 1 s."""
    return SpeedupMeasurement(cores, serial=[1.0], parallel=[1 / speedup], cpu=[cpu],
                              yardstick=[1 / yardstick_speedup])


def test_two_idle_cores_need_the_catalog_speedup(thresholds):
    rule = SpeedupRule.scaled(thresholds, 2.0)
    assert (rule.speedup, rule.cpu) == (thresholds["min_speedup"], thresholds["min_cpu_parallelism"])


def test_fewer_available_cores_lower_the_need_but_never_below_the_failure_line(thresholds):
    rules = [SpeedupRule.scaled(thresholds, a) for a in (2.0, 1.8, 1.5, 1.0)]
    needs = [r.speedup for r in rules]
    assert needs == sorted(needs, reverse=True)
    assert needs[1] < thresholds["min_speedup"]
    assert rules[-1].speedup == thresholds["fail_below_speedup"]


@pytest.mark.parametrize("speedup, cpu, verdict", [
    (1.7, 1.8, "pass"),
    (1.0, 1.0, "fail"),
    (1.0, 0.1, "fail"),
    (1.0, 1.8, "undecided"),
    (1.3, 1.3, "undecided"),
    (1.7, 1.0, "undecided"),
])
def test_judge_fails_only_when_both_signals_say_serial(thresholds, speedup, cpu, verdict):
    assert SpeedupRule.scaled(thresholds, 2.0).judge(speedup, cpu) == verdict


def test_a_measurement_takes_the_best_round_of_each_signal():
    m = SpeedupMeasurement(2, serial=[0.8, 0.75], parallel=[0.5, 0.45], cpu=[1.6, 1.7], yardstick=[0.5, 0.42])
    assert m.speedup == pytest.approx(0.75 / 0.45)
    assert m.cpu_parallelism == 1.7
    assert m.available == pytest.approx(0.75 / 0.42)


def test_the_yardstick_never_counts_more_cores_than_this_process_may_use():
    assert measured(1.0, 1.0, yardstick_speedup=2.4, cores=2).available == 2


def test_a_parallel_solution_passes_when_it_keeps_up_with_the_yardstick(thresholds):
    assert verdict(measured(1.6, 1.7, yardstick_speedup=1.65), thresholds) == "pass"
    assert verdict(measured(1.35, 1.5, yardstick_speedup=1.4), thresholds) == "pass"


def test_a_serial_solution_fails_however_little_the_yardstick_got(thresholds):
    assert verdict(measured(0.8, 0.9, yardstick_speedup=1.9), thresholds) == "fail"
    assert verdict(measured(1.0, 0.0, yardstick_speedup=thresholds["min_available_parallelism"]),
                   thresholds) == "fail"


def test_just_above_the_gate_a_parallel_solution_never_fails(thresholds):
    just_above = thresholds["min_available_parallelism"] + 0.05
    assert verdict(measured(just_above, 1.8, yardstick_speedup=just_above), thresholds) == "pass"
    assert verdict(measured(1.0, 1.8, yardstick_speedup=just_above), thresholds) == "undecided"
    assert verdict(measured(1.0, 1.0, yardstick_speedup=just_above), thresholds) == "fail"


def test_too_little_yardstick_speedup_is_busy_not_a_failure(thresholds):
    below_the_gate = thresholds["min_available_parallelism"] - 0.05
    assert verdict(measured(0.8, 0.8, yardstick_speedup=below_the_gate), thresholds) == "busy"
    assert verdict(SpeedupMeasurement(1), thresholds) == "busy"


class FakeRounds:
    """A timed_round that replays measured numbers, one (speedup, cpu, yardstick speedup) a round."""

    def __init__(self, rounds):
        self.rounds, self.done = list(rounds), 0

    def __call__(self, m: SpeedupMeasurement) -> None:
        speedup, cpu, yardstick = self.rounds[self.done]
        self.done += 1
        m.serial.append(1.0)
        m.parallel.append(1 / speedup)
        m.cpu.append(cpu)
        m.yardstick.append(1 / yardstick)


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(exercise5, "usable_cores", lambda: 2)


def test_a_clear_result_takes_the_minimum_of_rounds(thresholds, two_cores):
    rounds = FakeRounds([(1.6, 1.7, 1.7)] * 10)
    assert verdict(measure_speedup(thresholds, rounds), thresholds) == "pass"
    assert rounds.done == thresholds["rounds"]


def test_an_open_result_is_timed_again_until_it_is_clear(thresholds, two_cores):
    busy, undecided, clear = (1.0, 1.7, 1.0), (1.2, 1.7, 1.7), (1.6, 1.7, 1.7)
    rounds = FakeRounds([busy, undecided, clear] + [(1.0, 1.0, 1.0)] * 5)
    m = measure_speedup({**thresholds, "rounds": 1}, rounds)
    assert (verdict(m, thresholds), rounds.done) == ("pass", 3)


def test_an_open_result_stops_being_timed_after_max_seconds(thresholds, two_cores):
    rounds = FakeRounds([(1.0, 1.0, 1.0)] * 10)
    m = measure_speedup({**thresholds, "rounds": 3, "max_seconds": 0}, rounds)
    assert (verdict(m, thresholds), rounds.done) == ("busy", 3)


def test_one_usable_core_is_not_timed_at_all(thresholds, monkeypatch):
    monkeypatch.setattr(exercise5, "usable_cores", lambda: 1)
    rounds = FakeRounds([])
    assert verdict(measure_speedup(thresholds, rounds), thresholds) == "busy"
    assert rounds.done == 0
