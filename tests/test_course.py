"""`grade` with several exercises: their untimed checks side by side, their timing checks alone."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from grader import course
from grader.catalog import load_catalog
from grader.report import NOT_MEASURABLE, PASSED, SKIPPED, CheckResult

CATALOG = load_catalog()
# Two exercises with timing checks and one without.
CHOSEN = [CATALOG["exercise2"], CATALOG["exercise4"], CATALOG["exercise5"]]


class FakeRunner:
    """Stands for `run_checks`: records which runs overlapped, passes every check it is given."""

    def __init__(self, side_by_side: int):
        self.lock = threading.Lock()
        self.running = 0
        self.calls: list[tuple[str, bool, int]] = []  # exercise, timing run, runs going on at its start
        self.hangs: dict[tuple[str, bool], object] = {}  # the Hangs each run was given
        self.alone: dict[tuple[str, bool], bool] = {}  # what each run was told of its company
        # The untimed runs wait for each other: the test ends in a broken barrier if they cannot overlap.
        self.barrier = threading.Barrier(side_by_side, timeout=30)

    def __call__(self, exercise, submission_dir, checks, lang="en", layers=None, hangs=None, alone=True):
        kinds = {spec.timing for spec in checks}
        assert len(kinds) == 1, "a run mixes timing and untimed checks"
        timing = kinds.pop()
        with self.lock:
            self.running += 1
            self.calls.append((exercise.id, timing, self.running))
            self.hangs[exercise.id, timing] = hangs
            self.alone[exercise.id, timing] = alone
        if not timing:
            self.barrier.wait()
        with self.lock:
            self.running -= 1
        layers.update({"active": {"fake": exercise.id}})
        return {spec.name: CheckResult(spec.name, spec.target, PASSED, spec.points, spec.points, spec.visibility)
                for spec in checks}


def test_untimed_checks_run_side_by_side_and_timing_checks_alone_afterwards(monkeypatch):
    fake = FakeRunner(side_by_side=3)
    monkeypatch.setattr(course, "run_checks", fake)
    results = course.grade_course(CHOSEN, Path("."), include_hidden=True, workers=3)
    untimed = [call for call in fake.calls if not call[1]]
    timed = [call for call in fake.calls if call[1]]
    assert sorted(e for e, _, _ in untimed) == ["exercise2", "exercise4", "exercise5"]
    assert sorted(e for e, _, _ in timed) == ["exercise2", "exercise5"]
    assert fake.calls[:3] == untimed, "a timing run started before every untimed run"
    assert all(running == 1 for _, _, running in timed), "a timing run had company"
    assert {key: alone for key, alone in fake.alone.items()} == {
        ("exercise2", False): False, ("exercise4", False): False, ("exercise5", False): False,
        ("exercise2", True): True, ("exercise5", True): True}
    for exercise, result in zip(CHOSEN, results):
        assert [c.name for c in result.checks] == [spec.name for spec in exercise.checks]
        assert result.score == result.max_score
        assert result.sandbox == {"active": {"fake": exercise.id}}


def test_the_timing_run_of_an_exercise_knows_what_hung_in_its_untimed_run(monkeypatch):
    fake = FakeRunner(side_by_side=2)
    monkeypatch.setattr(course, "run_checks", fake)
    course.grade_course([CATALOG["exercise2"], CATALOG["exercise5"]], Path("."), include_hidden=True, workers=2)
    for exercise in ("exercise2", "exercise5"):
        assert fake.hangs[exercise, False] is not None and fake.hangs[exercise, False] is fake.hangs[exercise, True]
    assert fake.hangs["exercise2", False] is not fake.hangs["exercise5", False]


def test_only_the_named_checks_are_run_and_listed(monkeypatch):
    fake = FakeRunner(side_by_side=1)
    monkeypatch.setattr(course, "run_checks", fake)
    wanted = frozenset({"test_answer_gil_names_the_gil"})
    results = course.grade_course([CATALOG["exercise2"], CATALOG["exercise4"]], Path("."), only=wanted)
    assert [[c.name for c in result.checks] for result in results] == [["test_answer_gil_names_the_gil"], []]
    assert [(e, timing) for e, timing, _ in fake.calls] == [("exercise2", False)]


def test_one_exercise_on_one_core_is_graded_in_one_run_of_all_its_checks(monkeypatch):
    graded = []
    monkeypatch.setattr(course, "grade_exercise", lambda exercise, *args: graded.append(exercise.id) or "result")
    assert course.grade_course([CATALOG["exercise5"]], Path("."), workers=1) == ["result"]
    assert graded == ["exercise5"]


def test_one_exercise_on_two_cores_has_its_untimed_checks_split_between_two_runs_side_by_side(monkeypatch):
    fake = FakeRunner(side_by_side=2)
    monkeypatch.setattr(course, "run_checks", fake)
    exercise = CATALOG["exercise5"]
    [result] = course.grade_course([exercise], Path("."), include_hidden=True, workers=2)
    assert [(e, timing) for e, timing, _ in fake.calls] == [("exercise5", False)] * 2 + [("exercise5", True)]
    assert fake.calls[-1][2] == 1, "the timing run had company"
    assert [c.name for c in result.checks] == [spec.name for spec in exercise.checks]
    assert result.score == result.max_score


class NotMeasurableBeside:
    """Stands for `run_checks`: passes every check, but the benchmark check is not measurable in a
    run told it has company (or in every run, with `ever_measurable=False`)."""

    def __init__(self, ever_measurable: bool = True):
        self.ever_measurable = ever_measurable
        self.lock = threading.Lock()
        self.runs: list[tuple[str, list[str], bool]] = []  # exercise, checks, alone

    def __call__(self, exercise, submission_dir, checks, lang="en", layers=None, hangs=None, alone=True):
        with self.lock:
            self.runs.append((exercise.id, [spec.name for spec in checks], alone))
        return {spec.name: self._verdict(spec, alone) for spec in checks}

    def _verdict(self, spec, alone: bool) -> CheckResult:
        if spec.name == BENCHMARK and not (alone and self.ever_measurable):
            return CheckResult(spec.name, spec.target, SKIPPED, 0.0, spec.points, spec.visibility, reason=NOT_MEASURABLE)
        return CheckResult(spec.name, spec.target, PASSED, spec.points, spec.points, spec.visibility)


BENCHMARK = "test_benchmark_times_serial_and_each_process_count"


def test_an_untimed_check_that_could_not_judge_beside_other_runs_is_graded_again_alone(monkeypatch):
    exercise = CATALOG["exercise5"]
    fake = NotMeasurableBeside()
    monkeypatch.setattr(course, "run_checks", fake)
    [result] = course.grade_course([exercise], Path("."), include_hidden=True, workers=2)
    assert [alone for _, _, alone in fake.runs] == [False, False, True]
    assert fake.runs[-1][1] == [spec.name for spec in exercise.checks if spec.timing or spec.name == BENCHMARK]
    assert result.score == result.max_score


def test_a_check_not_measurable_alone_is_not_graded_again(monkeypatch):
    fake = NotMeasurableBeside(ever_measurable=False)
    monkeypatch.setattr(course, "run_checks", fake)
    [_, result] = course.grade_course([CATALOG["exercise2"], CATALOG["exercise5"]], Path("."), include_hidden=True,
                                      workers=1)
    assert all(alone for _, _, alone in fake.runs)
    assert sum(BENCHMARK in names for _, names, _ in fake.runs) == 1
    assert {c.name: c.reason for c in result.checks}[BENCHMARK] == NOT_MEASURABLE


def test_the_longest_runs_start_first(monkeypatch):
    fake = FakeRunner(side_by_side=1)
    monkeypatch.setattr(course, "run_checks", fake)
    course.grade_course(list(CATALOG.values()), Path("."), include_hidden=True, workers=1)
    untimed = [exercise for exercise, timing, _ in fake.calls if not timing]
    expected = sorted(CATALOG.values(), key=lambda e: sum(s.seconds for s in e.checks if not s.timing), reverse=True)
    assert untimed == [e.id for e in expected]


def test_output_cut_in_any_run_of_an_exercise_shows_in_its_report(monkeypatch):
    fake = FakeRunner(side_by_side=2)

    def cut_in_the_timing_run(exercise, submission_dir, checks, lang="en", layers=None, hangs=None, alone=True):
        verdicts = fake(exercise, submission_dir, checks, lang, layers, hangs, alone)
        if checks[0].timing:
            layers.update({"output_cut": "cut", "said": {"notes": {"output_cut": {"key": "k"}}}})
        return verdicts

    monkeypatch.setattr(course, "run_checks", cut_in_the_timing_run)
    [result] = course.grade_course([CATALOG["exercise5"]], Path("."), include_hidden=True, workers=2)
    assert result.sandbox["active"] == {"fake": "exercise5"}
    assert result.sandbox["output_cut"] == "cut"
    assert result.sandbox["said"]["notes"] == {"output_cut": {"key": "k"}}


def test_shares_split_the_expected_time_evenly_and_keep_catalog_order():
    checks = [spec for spec in CATALOG["exercise3"].checks if not spec.timing]
    first, second = course.shares(checks, 2)
    assert sorted(spec.name for spec in first + second) == sorted(spec.name for spec in checks)
    for share in (first, second):
        assert share == [spec for spec in checks if spec in share]
    longest = max(spec.seconds for spec in checks)
    assert abs(sum(s.seconds for s in first) - sum(s.seconds for s in second)) <= longest


def test_a_share_too_small_to_be_worth_a_child_of_its_own_is_not_made():
    checks = [spec for spec in CATALOG["exercise2"].checks if not spec.timing]
    assert sum(spec.seconds for spec in checks) < 2 * course.MIN_SHARE_SECONDS
    assert course.shares(checks, 2) == [checks]
    assert course.shares([], 2) == []


@pytest.mark.timing
def test_a_whole_grade_judges_alone_a_benchmark_the_grader_cannot_follow(tmp_path):
    """For real: beside another run the benchmark check leaves it open; `grade_course` then grades it
    again alone, and the student gets a verdict."""
    exercise = CATALOG["exercise5"]
    variant = Path(__file__).parent / "variants" / "exercise5" / "benchmark_through_a_table_of_its_own.py"
    (tmp_path / exercise.module).write_text(variant.read_text(encoding="utf-8"), encoding="utf-8")
    benchmark = [exercise.check(BENCHMARK)]
    beside = course.run_checks(exercise, tmp_path, benchmark, alone=False)[BENCHMARK]
    assert (beside.status, beside.reason) == (SKIPPED, NOT_MEASURABLE)
    with_company = frozenset({BENCHMARK, "test_cubes_returns_the_cubes_in_order_with_each_method"})
    [result] = course.grade_course([exercise], tmp_path, only=with_company, workers=2)
    assert {c.name: c.status for c in result.checks} == dict.fromkeys(with_company, PASSED)
