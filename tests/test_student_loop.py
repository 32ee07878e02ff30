"""The student's loop: `grade list`, `grade hint`, `grade watch`, the report on a terminal, a file
that does not import, and the speed tables."""
from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from conftest import ROOT, VARIANTS, run_grade, submission_with
from grader import progress
from grader.catalog import load_catalog
from grader.commands.hint import first_to_fix, next_level
from grader.commands.list import next_exercise
from grader.commands.watch import wait_for_change
from grader.report import ERROR, FAILED, IMPORT_ERROR, PASSED, SKIPPED, CheckResult, ExerciseResult, Report
from grader.writers import colour, terminal, text

CATALOG = load_catalog()
EXERCISE2 = CATALOG["exercise2"]
SOLUTION2 = ROOT / "solutions" / EXERCISE2.module
NO_JOIN2 = VARIANTS / "exercise2" / "wrong_no_join.py"
ESCAPE = "\x1b["


def _check(name: str, status: str = PASSED, reason: str = "", feedback: str = "", details: dict | None = None,
           visibility: str = "visible") -> CheckResult:
    return CheckResult(name=name, target="f", status=status, points=1.0 if status == PASSED else 0.0,
                       max_points=1.0, visibility=visibility, feedback=feedback, reason=reason,
                       details=details or {})


def _run_of(exercise, statuses: dict[str, tuple[str, str]]) -> Report:
    """A report of `exercise` where each check has the (status, reason) given, else passed."""
    checks = [_check(spec.name, *statuses.get(spec.name, (PASSED, ""))) for spec in exercise.checks]
    return Report([ExerciseResult(exercise.id, exercise.title.en, checks)])


def _command(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env=env)


# Hint levels


@pytest.mark.parametrize("exercise", CATALOG.values(), ids=lambda e: e.id)
def test_every_check_has_at_least_two_hint_levels_in_both_languages(exercise):
    for check in exercise.checks:
        levels = check.hint_levels
        assert len(levels) >= 2, check.name
        assert all(level.en and level.ru for level in levels), check.name
        assert len({level.en for level in levels}) == len(levels), f"{check.name}: a level repeats another"


# The progress cache


def test_progress_is_recorded_atomically_and_read_back(tmp_path):
    report = _run_of(EXERCISE2, {"test_every_thread_is_joined_before_return": (FAILED, "")})
    progress.record(tmp_path, report)
    assert [p.name for p in tmp_path.iterdir()] == [progress.CACHE_NAME]
    last = progress.load(tmp_path).runs["exercise2"]
    assert (last.score, last.max_score) == (report.score, report.max_score)
    assert last.checks["test_every_thread_is_joined_before_return"] == {"status": FAILED, "reason": ""}


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 1, "runs": {"exercise2": 3}}', ""])
def test_a_broken_cache_reads_as_nothing_graded(tmp_path, content):
    (tmp_path / progress.CACHE_NAME).write_text(content)
    assert progress.load(tmp_path) == progress.Progress()


# grade list


def test_next_exercise_is_the_first_present_one_without_full_marks(tmp_path):
    exercises = list(CATALOG.values())
    for exercise in exercises[:3]:
        (tmp_path / exercise.module).write_text("")
    done = progress.LastRun(score=12, max_score=12, graded_at="")
    not_done = progress.LastRun(score=3, max_score=12, graded_at="")
    assert next_exercise(exercises, tmp_path, {}) is exercises[0]
    assert next_exercise(exercises, tmp_path, {"exercise1": done, "exercise2": not_done}) is exercises[1]
    assert next_exercise(exercises, tmp_path, {e.id: done for e in exercises[:3]}) is None


def test_list_shows_the_last_scores_from_grading_and_the_next_exercise(tmp_path):
    folder = submission_with(tmp_path, EXERCISE2.module, SOLUTION2)
    (folder / CATALOG["exercise3"].module).write_text((ROOT / "exercises" / CATALOG["exercise3"].module).read_text())
    graded = run_grade("2", "--path", str(folder), "--format", "json")
    assert graded.exit_code == 0, graded.stdout + graded.stderr
    listed = _command("list", "--path", str(folder), "--lang", "en")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert re.search(r"exercise2 .*Sum with N threads\s+13/13\s+done$", next(l for l in lines if "exercise2" in l))
    assert "not graded yet" in next(l for l in lines if "exercise3" in l)
    assert "no file" in next(l for l in lines if "exercise1" in l)
    assert "Next: exercise3 (URL fetcher). Run: grade 3" in lines
    assert "1 of 5 exercises done." in lines
    russian = _command("list", "--path", str(folder), "--lang", "ru").stdout
    assert "Сумма массива с использованием N тредов" in russian and "Готово 1 из 5 упражнений." in russian


def test_list_outside_a_project_is_a_one_line_usage_error(tmp_path):
    listed = _command("list", "--lang", "en", cwd=tmp_path)
    assert listed.returncode == 2
    assert listed.stderr == "grade: no exercises/ folder found here or above; give one with --path DIR\n"


# grade hint


def test_hint_goes_one_level_further_each_time_for_the_first_failing_check(tmp_path):
    (tmp_path / EXERCISE2.module).write_text("")
    failing = "test_partial_sums_come_back_through_a_queue"
    progress.record(tmp_path, _run_of(EXERCISE2, {failing: (FAILED, ""),
                                                   "test_every_thread_is_joined_before_return": (FAILED, "")}))
    levels = EXERCISE2.check(failing).hint_levels
    first = _command("hint", "2", "--path", str(tmp_path), "--lang", "en").stdout
    second = _command("hint", "exercise2", "--path", str(tmp_path), "--lang", "en").stdout
    third = _command("hint", "2", "--path", str(tmp_path), "--lang", "ru").stdout
    assert f"Hint 1 of {len(levels)} for {failing}" in first and levels[0].en[:40] in first
    assert "Run `grade hint 2` again" in first
    assert f"Hint 2 of {len(levels)} for {failing}" in second and levels[1].en[:40] in second
    assert levels[0].en[:40] not in second
    assert f"Подсказка 2 из {len(levels)}" in third and levels[1].ru[:40] in third
    assert "последняя подсказка" in third


def test_hint_starts_again_when_another_check_is_the_first_to_fix(tmp_path):
    state = progress.HintLevel("test_partial_sums_come_back_through_a_queue", 2)
    later = EXERCISE2.check("test_every_thread_is_joined_before_return")
    assert next_level(state, later) == 1
    assert next_level(state, EXERCISE2.check(state.check)) == 2


def test_hint_without_a_run_gives_the_first_visible_check_and_none_when_all_passed(tmp_path):
    assert first_to_fix(EXERCISE2, None) is EXERCISE2.checks[0]
    passed = progress.LastRun(12, 12, "", {c.name: {"status": PASSED, "reason": ""} for c in EXERCISE2.checks})
    assert first_to_fix(EXERCISE2, passed) is None
    (tmp_path / EXERCISE2.module).write_text("")
    fresh = _command("hint", "2", "--path", str(tmp_path), "--lang", "en").stdout
    assert "has not been graded yet" in fresh and EXERCISE2.checks[0].name in fresh


def test_hint_after_a_file_that_did_not_import_says_so_instead_of_a_hint(tmp_path):
    (tmp_path / EXERCISE2.module).write_text("")
    progress.record(tmp_path, _run_of(EXERCISE2, {c.name: (ERROR, IMPORT_ERROR) for c in EXERCISE2.checks}))
    shown = _command("hint", "2", "--path", str(tmp_path), "--lang", "en").stdout
    assert "did not import" in shown and "Hint 1" not in shown


def test_hint_after_a_real_grading_is_about_the_check_that_failed(tmp_path):
    folder = submission_with(tmp_path, EXERCISE2.module, NO_JOIN2)
    assert run_grade("2", "--path", str(folder)).exit_code == 1
    shown = _command("hint", "2", "--path", str(folder), "--lang", "en").stdout
    assert "Hint 1 of 2 for test_every_thread_is_joined_before_return" in shown


# A file that does not import


def test_a_syntax_error_is_reported_once_at_the_top_and_the_checks_as_not_run(tmp_path):
    broken = SOLUTION2.read_text().replace("def sum_using_threads", "def sum_using_threads(", 1)
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / EXERCISE2.module).write_text(broken)
    graded = run_grade("2", "--path", str(folder))
    assert graded.exit_code == 1
    out = graded.stdout
    assert out.count("has a syntax error on line") == 1
    lines = out.splitlines()
    assert lines[1] == "  Your file did not import, so none of the checks below could run:"
    assert "syntax error" in lines[2]
    visible = [c.name for c in EXERCISE2.checks if not c.hidden]
    assert [l.split()[-1] for l in lines if l.startswith("  NOT RUN")] == visible
    assert "Hint:" not in out and ESCAPE not in out
    statuses = run_grade("2", "--path", str(folder), "--format", "json").report["exercises"][0]["checks"]
    assert {(c["status"], c["reason"]) for c in statuses if c["visibility"] == "visible"} == {(ERROR, IMPORT_ERROR)}


# Speed tables


def test_speed_details_become_a_table_under_their_check():
    details = {"speed": [{"what": "threads", "count": 1, "seconds": 0.05},
                         {"what": "threads", "count": 4, "seconds": 0.1}]}
    report = Report([ExerciseResult("exercise2", "Sum", [_check("test_sum", details=details)])])
    lines = text.write(report).splitlines()
    start = lines.index(" " * 18 + "Your own measured times (this machine, this run):")
    assert lines[start + 1].split() == ["time", "speedup"]
    assert lines[start + 2].split() == ["1", "thread", "50", "ms", "×1.00"]
    assert lines[start + 3].split() == ["4", "threads", "100", "ms", "×0.50"]
    report.lang = "ru"
    russian = text.write(report)
    assert "4 потока" in russian and "100 мс" in russian


def test_exercise2_and_exercise3_measure_the_students_own_times():
    graded = run_grade("2", "3", "--path", "solutions", "--format", "json")
    by_name = {c["name"]: c for e in graded.report["exercises"] for c in e["checks"]}
    threads = by_name["test_sum_counts_every_element_exactly_once"]["details"]["speed"]
    assert [(r["what"], r["count"]) for r in threads] == [("threads", 1), ("threads", 4)]
    assert all(r["seconds"] > 0 for r in threads)
    fetch = by_name["test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time"]
    if fetch["status"] != SKIPPED:
        assert [r["what"] for r in fetch["details"]["speed"]] == ["one_at_a_time", "concurrent"]
        assert all(r["seconds"] > 0 for r in fetch["details"]["speed"])


# The report on a terminal


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream, environ, wanted", [
    (_Terminal(), {}, True),
    (_Terminal(), {"NO_COLOR": "1"}, False),
    (_Terminal(), {"TERM": "dumb"}, False),
    (io.StringIO(), {}, False),
])
def test_colour_only_on_a_terminal_without_no_color(stream, environ, wanted):
    assert colour.wanted(stream, environ) is wanted


def _shown_on_terminal(report: Report, width: int, lang: str = "en") -> str:
    console = Console(file=io.StringIO(), force_terminal=True, width=width, color_system="standard",
                      highlight=False)
    terminal.show(report, console, lang)
    return console.file.getvalue()


def _plain(shown: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", shown)


def test_terminal_report_has_colours_symbols_and_feedback_wrapped_to_the_width():
    long = "The grader saw " + "a very long explanation " * 12 + "END."
    checks = [_check("test_one"), _check("test_two", FAILED, feedback=long),
              _check("test_hidden", SKIPPED, reason="hidden", visibility="hidden",
                     feedback="Hidden check: graded after submission.")]
    shown = _shown_on_terminal(Report([ExerciseResult("exercise2", "Sum", checks)]), width=60)
    plain = _plain(shown)
    assert ESCAPE in shown
    assert "✔ PASS" in plain and "✘ FAIL" in plain and "· HIDDEN" in plain
    assert all(len(line.rstrip()) <= 60 for line in plain.splitlines())
    body = [line.strip() for line in plain.splitlines() if "very long" in line or "END." in line]
    assert len(body) > 3 and " ".join(body).split() == long.split()
    assert "Hidden check" not in plain


def test_terminal_report_shows_an_import_failure_once_and_a_speed_table():
    failed = [_check(f"test_{i}", ERROR, IMPORT_ERROR, "Your file has a syntax error on line 3") for i in range(3)]
    speed = {"speed": [{"what": "serial", "seconds": 1.2}, {"what": "processes", "count": 2, "seconds": 0.6}]}
    report = Report([ExerciseResult("exercise1", "Race", failed),
                     ExerciseResult("exercise5", "KDE", [_check("test_fast", details=speed)])])
    plain = _plain(_shown_on_terminal(report, width=100, lang="ru"))
    assert plain.count("syntax error on line 3") == 1
    assert plain.count("НЕ ЗАПУЩЕНА") == 3
    assert re.search(r"2 процесса\s+600 мс\s+×2\.00", plain)
    assert re.search(r"последовательно, в этом процессе\s+1\.20 с\s+×1\.00", plain)


def test_plain_report_is_written_when_stdout_is_not_a_terminal(tmp_path):
    folder = submission_with(tmp_path, EXERCISE2.module, SOLUTION2)
    graded = run_grade("2", "--path", str(folder))
    assert ESCAPE not in graded.stdout and "✔" not in graded.stdout
    assert graded.stdout.splitlines()[1] == "  PASS       1/1  test_answer_gil_names_the_gil"


# grade watch


def _lines_of(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@contextlib.contextmanager
def _ctrl_c_not_ignored():
    """A child started meanwhile gets SIGINT as a terminal's Ctrl-C gives it, even where this run
    ignores it (a shell starts a background job with SIGINT ignored, and a child inherits that): a
    handler of this process's own is reset to the default in the child."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _read_all(lines: queue.Queue, timeout: float = 0.0) -> str:
    """A stream's lines queued so far, or (with `timeout`) up to its end."""
    read = []
    with contextlib.suppress(queue.Empty):
        while (line := lines.get(timeout=timeout) if timeout else lines.get_nowait()) is not None:
            read.append(line)
    return "".join(read)


def _read_until(lines: queue.Queue, pattern: str, deadline: float, seen: list[str]) -> bool:
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return False
        if line is None:
            return False
        seen.append(line)
        if re.search(pattern, line):
            return True
    return False


def test_watch_regrades_on_save_and_stops_cleanly_on_ctrl_c(tmp_path):
    folder = submission_with(tmp_path, EXERCISE2.module, SOLUTION2)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LANG": "C"}
    with _ctrl_c_not_ignored():
        watcher = subprocess.Popen([sys.executable, "-m", "grader", "watch", "2", "--path", str(folder)],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines_of, args=(watcher.stdout, lines), daemon=True).start()
    # Read as it comes, so that a full pipe never blocks the watcher.
    errors: queue.Queue = queue.Queue()
    threading.Thread(target=_lines_of, args=(watcher.stderr, errors), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert _read_until(lines, r"^Total: 13/13", deadline, seen), "".join(seen)
        assert _read_until(lines, r"^Watching exercise2_thread_sum\.py", deadline, seen), "".join(seen)
        (folder / EXERCISE2.module).write_text(NO_JOIN2.read_text())
        assert _read_until(lines, r"^  FAIL .*test_every_thread_is_joined_before_return", deadline, seen), "".join(seen)
        assert _read_until(lines, r"^Total: 12/13", deadline, seen), "".join(seen)
        assert _read_until(lines, r"^Watching", deadline, seen), "".join(seen)
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) in (0, 130), _read_all(errors)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    stderr = _read_all(errors, timeout=10)
    assert "Traceback" not in stderr, stderr
    assert _read_until(lines, r"^Stopped watching\.", time.monotonic() + 5, seen), "".join(seen)
    assert progress.load(folder).runs["exercise2"].score == 12


def test_wait_for_change_returns_the_new_bytes_and_ignores_a_save_without_change(tmp_path):
    path = tmp_path / "f.py"
    path.write_bytes(b"one")
    stop = threading.Event()
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(wait_for_change(path, b"one", stop, 0.01)))
    waiter.start()
    path.write_bytes(b"one")  # saved without a change: not a reason to grade again
    waiter.join(0.2)
    assert waiter.is_alive()
    path.write_bytes(b"two")
    waiter.join(10)
    assert result == [b"two"]
    stop.set()
    assert wait_for_change(path, b"two", stop, 0.01) is None
