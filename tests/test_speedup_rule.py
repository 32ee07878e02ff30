"""The rule that turns exercise5's speedup measurements into pass, fail or "undecided"."""
import pytest

from grader.catalog import CHECKS_DIR, load_exercise
from grader.checks.exercise5 import SpeedupMeasurement, SpeedupRule, verdict

SPEEDUP_CHECK = "test_multiprocess_is_faster_than_serial"


@pytest.fixture(scope="module")
def thresholds():
    exercise = load_exercise(CHECKS_DIR / "exercise5.yaml")
    return next(c for c in exercise.checks if c.name == SPEEDUP_CHECK).thresholds


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
    m = SpeedupMeasurement(2, 2.0, serial=[0.8, 0.75], parallel=[0.5, 0.45], cpu=[1.6, 1.7])
    assert m.speedup == pytest.approx(0.75 / 0.45)
    assert m.cpu_parallelism == 1.7


def test_too_few_cores_available_is_busy_not_a_failure(thresholds):
    serial_looking = dict(serial=[0.8], parallel=[0.8], cpu=[1.0])
    assert verdict(SpeedupMeasurement(2, 1.2, **serial_looking), thresholds) == "busy"
    assert verdict(SpeedupMeasurement(2, 2.0, **serial_looking), thresholds) == "fail"
    assert verdict(SpeedupMeasurement(1, 1.0), thresholds) == "busy"
