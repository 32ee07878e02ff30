"""`grade batch` end to end on a generated class, and its parts (zips, discovery, the store).

The class is built in tmp_path from the reference solutions, the variants under tests/variants/ and
hostile files made from the reference: every student's expected score and status is computed from
the catalog and what the submission declares, never written down by hand.
"""
from __future__ import annotations

import base64
import csv
import functools
import http.server
import io
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT, VARIANTS, Declared, built_once, run_grade, wrong_verdicts
from grader import course
from grader.batch.archive import ArchiveError, Caps, extract
from grader.batch.discover import find_exercise_file
from grader.batch.feedback import file_name
from grader.batch.grading import after, combined, grade, split_around_timing
from grader.batch.jobs import Job
from grader.batch.progress import progress_for
from grader.batch.run import retry_job
from grader.batch.store import GRADED, RETRIED, Record, Store
from grader.catalog import load_catalog
from grader.hangs import Hangs
from grader.report import (CRASHED, EXITED, IMPORT_ERROR, NOT_MEASURABLE, NOT_SUBMITTED, OK, PASSED, TIMED_OUT,
                           UNREADABLE, CheckResult, ExerciseResult)

CATALOG = load_catalog()
# exercise1 has no timing check, so its gradings run side by side; exercise2 has one.
EX1, EX2 = CATALOG["exercise1"], CATALOG["exercise2"]
REFERENCE = {e.id: (ROOT / "solutions" / e.module).read_text(encoding="utf-8") for e in (EX1, EX2)}
ALL_ERROR = "all"  # every check ends in an error with the status as reason


@dataclass
class Expect:
    """What one student must get: per exercise, the declaration of a graded file, ALL_ERROR with a
    reason, or nothing submitted."""

    graded: dict[str, Declared] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # exercise -> reason of every check
    status: str = OK


class ClassBuilder:
    """Writes submissions under a folder and remembers what each must get."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir()
        self.expected: dict[str, Expect] = {}

    def folder(self, student: str, *inner: str) -> Path:
        folder = self.root.joinpath(student, *inner)
        folder.mkdir(parents=True, exist_ok=True)
        self.expected.setdefault(student, Expect(status=NOT_SUBMITTED))
        return folder

    def file(self, student: str, exercise, source: str, declared: Declared = Declared(), *inner: str) -> None:
        (self.folder(student, *inner) / exercise.module).write_text(source, encoding="utf-8")
        self.expected[student].graded[exercise.id] = declared

    def variant(self, student: str, exercise, name: str, *inner: str) -> None:
        path = VARIANTS / exercise.id / f"{name}.py"
        self.file(student, exercise, path.read_text(encoding="utf-8"), Declared.of(path), *inner)

    def hostile(self, student: str, exercise, source: str, reason: str) -> None:
        (self.folder(student) / exercise.module).write_text(source, encoding="utf-8")
        self.expected[student].errors[exercise.id] = reason

    def zipped(self, student: str, members: dict[str, str], graded: dict[str, Declared]) -> None:
        with zipfile.ZipFile(self.root / f"{student}.zip", "w") as archive:
            for name, text in members.items():
                archive.writestr(name, text)
        self.expected[student] = Expect(graded=dict(graded), status=NOT_SUBMITTED)

    def finish(self, exercises) -> dict[str, Expect]:
        """Fill in the statuses: a student who has every exercise graded cleanly is ok."""
        for expect in self.expected.values():
            if expect.errors:
                expect.status = next(iter(expect.errors.values()))
            elif all(e.id in expect.graded for e in exercises):
                expect.status = OK
        return self.expected


def expected_score(exercise, declared: Declared) -> float:
    lost = set(declared.failed) | {name for name, _ in declared.errors}
    return sum(spec.points for spec in exercise.checks if spec.name not in lost)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def read_results(out: Path) -> list[Record]:
    return Store(out / "results.jsonl").load()


def batch(*args: str, timeout: float = 600):
    return run_grade("batch", *args, timeout=timeout)


# ---------------------------------------------------------------------------------------------
# The whole class


def build_class(root: Path) -> tuple[Path, Path, dict[str, Expect]]:
    """A class of 43 students graded on exercise1 and exercise2; most cost nothing to grade."""
    c = ClassBuilder(root / "submissions")
    c.file("ref_top", EX2, REFERENCE["exercise2"])
    c.file("ref_both", EX2, REFERENCE["exercise2"])
    c.file("ref_both", EX1, REFERENCE["exercise1"])
    c.file("classroom_clone", EX2, REFERENCE["exercise2"], Declared(), "repo", "exercises")  # two down
    c.file("Jane Doe_12345_assignsubmission_file_", EX2, REFERENCE["exercise2"], Declared(), "solution")
    for name in ("wrong_no_join", "wrong_answer", "wrong_drops_the_remainder"):
        c.variant(f"v2_{name}", EX2, name)
    c.variant("v1_target_called_in_caller", EX1, "target_called_in_caller")
    reference = REFERENCE["exercise2"]
    c.hostile("hangs", EX2, "import threading\nthreading.Event().wait()\n" + reference, TIMED_OUT)
    c.hostile("crashes", EX2, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + reference, CRASHED)
    c.hostile("exits", EX2, "import os\nos._exit(3)\n" + reference, EXITED)
    c.hostile("syntax_error", EX2, "def sum_using_threads(arr, thread_count:\n", IMPORT_ERROR)
    c.file("floods", EX2, reference + "\nprint('flood ' * 1_000_000)\n")
    c.zipped("zipped", {"hw/exercises/" + EX2.module: reference, "hw/README.txt": "mine"},
             {"exercise2": Declared()})
    c.zipped("zip_escapes", {"../" + EX2.module: reference, "/tmp/" + EX1.module: reference}, {})
    (c.root / "broken_zip.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    c.expected["broken_zip"] = Expect(errors={"exercise1": UNREADABLE, "exercise2": UNREADABLE},
                                      status=UNREADABLE)
    for number in range(10):
        c.folder(f"empty_{number}")
    for number in range(6):
        (c.folder(f"wrong_kind_{number}") / (EX2.module.removesuffix(".py") + ".docx")).write_bytes(b"\x00doc")
    for number in range(5):
        c.file(f"too_deep_{number}", EX2, reference, Declared(), "a", "b", "c")
        c.expected[f"too_deep_{number}"].graded.clear()  # three folders down: not found
    roster = root / "roster.csv"
    absent = [f"absent_{n}" for n in range(6)]
    roster.write_text("id,name\n" + "ref_top,Ada Lovelace\n" + "".join(f"{a},Absent {a}\n" for a in absent),
                      encoding="utf-8")
    for student in absent:
        c.expected[student] = Expect(status="no submission")
    return c.root, roster, c.finish([EX1, EX2])


@pytest.mark.slow
def test_a_generated_class_grades_end_to_end_with_every_verdict_as_expected(tmp_path):
    submissions, roster, expected = build_class(tmp_path)
    assert len(expected) >= 40
    out = tmp_path / "results"
    done = batch(str(submissions), "--out", str(out), "--exercises", "1,2", "--roster", str(roster))
    assert done.exit_code == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr

    records = {record.key: record for record in read_results(out)}
    assert len(records) == 2 * len(expected) == len(read_results(out))  # one line per student and exercise
    for student, expect in expected.items():
        for exercise in (EX1, EX2):
            result = records[(student, exercise.id)].result
            if exercise.id in expect.graded:
                declared = expect.graded[exercise.id]
                wrong = wrong_verdicts([vars(c) for c in result.checks], declared)
                assert not wrong, f"{student} {exercise.id}: {wrong}"
                assert result.score == expected_score(exercise, declared), (student, exercise.id)
            else:
                reason = expect.errors.get(exercise.id, NOT_SUBMITTED)
                assert {(c.status, c.reason) for c in result.checks} == {("error", reason)}, (student, exercise.id)
                assert result.score == 0

    book = read_csv(out / "gradebook.csv")
    assert book[0]["id"] == "Points Possible"
    assert (book[0]["exercise1"], book[0]["exercise2"], book[0]["total"]) == ("17", "14", "31")
    rows = {row["id"]: row for row in book[1:]}
    assert list(rows) == sorted(expected)
    for student, expect in expected.items():
        scores = {e.id: (expected_score(e, expect.graded[e.id]) if e.id in expect.graded else 0.0) for e in (EX1, EX2)}
        row = rows[student]
        assert (float(row["exercise1"]), float(row["exercise2"])) == (scores["exercise1"], scores["exercise2"]), student
        assert float(row["total"]) == sum(scores.values())
        assert row["status"] == expect.status, student
    assert rows["ref_top"]["name"] == "Ada Lovelace" and rows["ref_both"]["percent"] == "100.0"

    checks = read_csv(out / "checks.csv")
    assert len(checks) == sum(len(r.result.checks) for r in records.values())
    assert {row["reason"] for row in checks if row["student"] == "hangs" and row["exercise"] == "exercise2"} == {TIMED_OUT}

    feedback = (out / "feedback" / "v2_wrong_no_join.md").read_text(encoding="utf-8")
    assert "**FAIL** 0/1 `test_every_thread_is_joined_before_return`" in feedback
    assert "Nothing was handed in." in (out / "feedback" / "absent_0.md").read_text(encoding="utf-8")
    assert len(list((out / "feedback").iterdir())) == len(expected)
    assert not (tmp_path / EX2.module).exists()  # the zip's ../ member stayed inside

    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert summary in done.stdout
    assert f"Students: {len(expected)} " in summary
    for student in ("hangs", "crashes", "exits", "syntax_error", "broken_zip"):
        assert f"| {student} | exercise2 | {expected[student].status} |" in summary
    assert_charts_load(out / "summary.html", ["exercise1: scores", "exercise1: pass rate per check",
                                              "exercise2: scores", "exercise2: pass rate per check"])


def assert_charts_load(page: Path, titles: list[str]) -> None:
    """Every chart of the page is an embedded image that decodes, with the expected titles."""
    image = pytest.importorskip("matplotlib.image")
    charts = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)">', page.read_text(encoding="utf-8"))
    assert [title for title, _ in charts] == titles
    for _, data in charts:
        pixels = image.imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert pixels.shape[0] > 50 and pixels.shape[1] > 50


# ---------------------------------------------------------------------------------------------
# Resuming, and --jobs


def _build_small_class(folder: Path) -> None:
    c = ClassBuilder(folder / "submissions")
    c.file("s1", EX1, REFERENCE["exercise1"])
    c.variant("s2", EX1, "target_called_in_caller")
    c.file("s3", EX2, REFERENCE["exercise2"])
    c.folder("s4")
    c.folder("s5")


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> Path:
    """Two exercise1 gradings that can run side by side, one exercise2 grading (a timing check:
    alone), and two students with nothing to grade. Read only: shared by the test workers."""
    return built_once(tmp_path_factory, "small_class", _build_small_class) / "submissions"


@pytest.fixture(scope="module")
def uninterrupted(small_class, tmp_path_factory) -> Path:
    """The small class's batch, graded once for the whole run with `--jobs 1`. Read only."""
    def build(out: Path) -> None:
        done = batch(str(small_class), "--out", str(out), "--exercises", "1,2", "--jobs", "1")
        assert done.exit_code == 0, done.stderr

    return built_once(tmp_path_factory, "uninterrupted", build)


def _verdicts(out: Path) -> dict:
    return {record.key: [(c.name, c.status, c.reason, c.points) for c in record.result.checks]
            for record in read_results(out)}


@pytest.mark.slow
def test_jobs_2_gives_the_same_verdicts_as_jobs_1(small_class, uninterrupted, tmp_path):
    out = tmp_path / "parallel"
    done = batch(str(small_class), "--out", str(out), "--exercises", "1,2", "--jobs", "2")
    assert done.exit_code == 0, done.stderr
    assert _verdicts(out) == _verdicts(uninterrupted)
    assert (out / "gradebook.csv").read_text() == (uninterrupted / "gradebook.csv").read_text()


def _gradings(out: Path) -> list[tuple[str, str]]:
    """The (student, exercise) of every whole grading on file, read without changing the file."""
    path = out / "results.jsonl"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    whole = text[:text.rfind("\n") + 1].splitlines()
    return [record.key for record in map(Record.from_line, whole) if record.grading == GRADED]


@pytest.mark.slow
def test_a_batch_killed_midway_resumes_without_regrading_finished_work(small_class, uninterrupted, tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "grader", "batch", str(small_class), "--out", str(out), "--exercises", "1,2"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Killed once the first whole grading is on file (the cheap not-gradable lines come first).
        while not _gradings(out):
            assert process.poll() is None, "the batch ended before it could be killed"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    before = _gradings(out)
    assert 1 <= len(before) < 3

    done = batch(str(small_class), "--out", str(out), "--exercises", "1,2")
    assert done.exit_code == 0, done.stderr
    after = _gradings(out)
    assert len(after) == len(set(after)) == 3  # every gradable job graded exactly once, in both runs
    assert after[:len(before)] == before
    assert f"This run: {3 - len(before)} graded" in done.stdout
    assert (out / "gradebook.csv").read_text() == (uninterrupted / "gradebook.csv").read_text()


@pytest.mark.slow
def test_rerun_grades_only_what_changed_and_regrade_grades_all(small_class, uninterrupted, tmp_path):
    out = tmp_path / "again"
    (out).mkdir()
    (out / "results.jsonl").write_bytes((uninterrupted / "results.jsonl").read_bytes())
    changed = tmp_path / "changed"
    shutil.copytree(small_class, changed)
    (changed / "s3" / EX2.module).unlink()
    done = batch(str(changed), "--out", str(out), "--exercises", "1,2")
    assert done.exit_code == 0, done.stderr
    assert "This run: 0 graded, 9 unchanged and kept" in done.stdout  # s3's exercise2 is not submitted now
    assert read_results(out)[-1].result.status == NOT_SUBMITTED
    done = batch(str(changed), "--out", str(out), "--exercises", "1", "--regrade", "--jobs", "2")
    assert "This run: 2 graded" in done.stdout


# ---------------------------------------------------------------------------------------------
# The parts


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_members_never_land_outside_the_extraction_folder(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"../up.py": b"x", "/abs.py": b"x", "ok/in.py": b"x", "C:/win.py": b"x"})
    link = zipfile.ZipInfo("link.py")
    link.external_attr = 0o120777 << 16
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr(link, "/etc/passwd")
    target = tmp_path / "out"
    target.mkdir()
    left_out = extract(archive, target)
    assert sorted(left_out) == ["../up.py", "/abs.py", "C:/win.py", "link.py"]
    assert [p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()] == ["ok/in.py"]
    assert not (tmp_path / "up.py").exists()


@pytest.mark.parametrize("members, caps, message", [
    ({f"f{n}.py": b"x" for n in range(5)}, Caps(files=4), "holds 5 files, more than 4"),
    ({"big.py": b"x" * 1000, "small.py": b"x"}, Caps(total_bytes=500), "more than 500 bytes"),
])
def test_zip_caps_are_enforced(tmp_path, members, caps, message):
    (tmp_path / "out").mkdir()
    with pytest.raises(ArchiveError, match=message):
        extract(_zip(tmp_path / "a.zip", members), tmp_path / "out", caps)


def test_a_broken_zip_is_an_archive_error(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        extract(tmp_path / "bad.zip", tmp_path)


def test_exercise_files_are_found_at_most_two_folders_down(tmp_path):
    for depth, inner in enumerate(["", "a", "a/b", "a/b/c"]):
        root = tmp_path / str(depth)
        (root / inner).mkdir(parents=True)
        (root / inner / EX2.module).write_text("", encoding="utf-8")
        found = find_exercise_file(root, EX2.module)
        assert found == (root / inner / EX2.module if depth <= 2 else None)
    mac = tmp_path / "mac"
    (mac / "__MACOSX").mkdir(parents=True)
    (mac / "__MACOSX" / EX2.module).write_text("", encoding="utf-8")
    assert find_exercise_file(mac, EX2.module) is None


def test_the_store_reads_back_what_it_wrote_and_drops_a_torn_last_line(tmp_path):
    store = Store(tmp_path / "results.jsonl")
    result = ExerciseResult.from_dict({"exercise": "exercise2", "title": "Sum", "checks": []})
    # A time of its own: a record without one takes the time of each to_line(), a second apart when slow.
    first = Record("ann", result, "c1", "k1", graded_at="2026-12-01T10:00:00+00:00")
    store.append(first)
    with (tmp_path / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"exercise": "exercise4", "tit')  # a power cut in the middle of a line
    assert [r.to_line() for r in store.load()] == [first.to_line()]
    store.repair()
    store.append(Record("bob", result, "c2", "k1"))
    assert [r.student for r in store.load()] == ["ann", "bob"]


@pytest.mark.parametrize("args, message", [
    (["/nonexistent/folder", "--out", "x"], "no such folder"),
    ([".", "--out", "x", "--exercises", "9"], "unknown exercise '9'"),
    ([".", "--out", "x", "--jobs", "0"], "--jobs must be 1 or more"),
    ([".", "--out", "x", "--roster", "/nonexistent.csv"], "--roster /nonexistent.csv"),
    ([".", "--exercises", "1"], "the following arguments are required: --out"),
    ([".", "--out", "x", "--jobs", "0", "--lang", "ru"], "--jobs должно быть не меньше 1"),
    # Found while discovering submissions, where the language is not known: rendered by the command.
    (["/nonexistent/folder", "--out", "x", "--lang", "ru"], "такой папки нет"),
])
def test_batch_usage_errors_exit_2_with_one_line(args, message, tmp_path):
    done = run_grade("batch", *args, cwd=tmp_path)
    assert done.exit_code == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_retry_open_grades_not_measurable_checks_again_and_only_those(small_class, uninterrupted, tmp_path):
    out = tmp_path / "open"
    out.mkdir()
    lines = (uninterrupted / "results.jsonl").read_text(encoding="utf-8").splitlines()
    records = [Record.from_line(line) for line in lines]
    opened = next(r for r in records if r.key == ("s3", "exercise2"))
    check = opened.result.checks[1]
    check.status, check.reason, check.points, check.feedback = "skipped", NOT_MEASURABLE, 0.0, "Not measurable"
    (out / "results.jsonl").write_text("".join(r.to_line() for r in records), encoding="utf-8")

    kept = batch(str(small_class), "--out", str(out), "--exercises", "1,2")
    assert "This run: 0 graded, 10 unchanged and kept, 0 retried" in kept.stdout
    assert f"| s3 | exercise2 | {NOT_MEASURABLE} |" in kept.stdout

    done = batch(str(small_class), "--out", str(out), "--exercises", "1,2", "--retry-open")
    assert "This run: 0 graded, 10 unchanged and kept, 1 retried" in done.stdout
    last = read_results(out)[-1]
    assert (last.key, last.grading) == (("s3", "exercise2"), RETRIED)
    assert last.result.checks[1].status == "passed"
    assert last.result.checks[0].duration_s == opened.result.checks[0].duration_s  # kept, not graded again
    assert (out / "gradebook.csv").read_text() == (uninterrupted / "gradebook.csv").read_text()


@pytest.mark.slow
def test_dask_on_a_local_cluster_gives_the_same_results_as_the_local_pool(small_class, uninterrupted, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, resources={"cores": 2}, processes=True,
                                  dashboard_address=":0") as cluster:
        out = tmp_path / "dask"
        done = batch(str(small_class), "--out", str(out), "--exercises", "1,2",
                     "--scheduler", cluster.scheduler_address)
    assert done.exit_code == 0, done.stderr[-2000:]
    assert _verdicts(out) == _verdicts(uninterrupted)
    assert (out / "gradebook.csv").read_text() == (uninterrupted / "gradebook.csv").read_text()


def test_dask_workers_without_a_cores_resource_are_a_usage_error(tmp_path):
    distributed = pytest.importorskip("distributed")
    (tmp_path / "subs" / "s1").mkdir(parents=True)
    (tmp_path / "subs" / "s1" / EX2.module).write_text(REFERENCE["exercise2"], encoding="utf-8")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        done = batch(str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--exercises", "2",
                     "--scheduler", cluster.scheduler_address)
    assert done.exit_code == 2
    assert "every worker must be started with --resources cores=N" in done.stderr


@pytest.mark.parametrize("student, name", [("ann", "ann.md"), ("../../etc/x", ".._.._etc_x.md"), ("..", "_.md"),
                                           ("Jane Doe_1_assignsubmission_file_", "Jane_Doe_1_assignsubmission_file_.md")])
def test_feedback_file_names_stay_inside_the_feedback_folder(student, name):
    assert file_name(student) == name


def test_progress_off_a_terminal_is_one_plain_line_per_job():
    stream = io.StringIO()
    progress = progress_for(2, stream)
    progress.finished("ann", "exercise2", OK)
    progress.finished("bob", "exercise2", TIMED_OUT)
    progress.close()
    assert stream.getvalue().splitlines() == ["[1/2] ann exercise2: ok (0 not ok so far)",
                                              "[2/2] bob exercise2: timed out (1 not ok so far)"]


def test_lang_ru_writes_the_students_feedback_in_russian(small_class, tmp_path):
    out = tmp_path / "ru"
    done = batch(str(small_class), "--out", str(out), "--exercises", "1", "--lang", "ru")
    assert done.exit_code == 0, done.stderr
    feedback = (out / "feedback" / "s2.md").read_text(encoding="utf-8")
    assert feedback.startswith("# Отзыв для s2")
    assert "\nИтого: " in feedback and "## exercise1: Упражнение №1 (гонка за счётчик)" in feedback
    failed = feedback[feedback.index("**НЕВЕРНО**"):]
    said = failed.splitlines()[1]
    assert said.startswith("  > ") and re.search("[а-яА-Я]", said), failed[:500]
    assert "Не сдано: в присланной работе нет файла" in (out / "feedback" / "s4.md").read_text(encoding="utf-8")


CHART_PROBE = """<!DOCTYPE html><html><body>
<iframe id="summary" src="summary.html"></iframe>
<script>
document.getElementById("summary").onload = () => {
  const images = [...document.getElementById("summary").contentDocument.images];
  const loaded = images.filter(image => image.complete && image.naturalWidth > 0);
  const result = document.createElement("p");
  result.id = "charts";
  result.textContent = `${loaded.length} of ${images.length} charts loaded`;
  document.body.appendChild(result);
};
</script></body></html>
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium here (Debian: apt-get install chromium); CI installs it")


def test_summary_html_shows_every_chart_in_a_browser(uninterrupted, tmp_path):
    """summary.html opened in headless Chromium: every chart is an image that loads and has a size.
    A probe page beside it, on the same local server, reads the page's images once it has loaded."""
    browser = _chromium()
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(uninterrupted / "summary.html", site / "summary.html")
    (site / "probe.html").write_text(CHART_PROBE, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        shown = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
             f"http://127.0.0.1:{server.server_address[1]}/probe.html"],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    found = re.search(r'<p id="charts">(\d+) of (\d+) charts loaded</p>', shown.stdout)
    assert found, shown.stdout[-2000:] + shown.stderr[-2000:]
    # Two charts per exercise graded (scores, and each check's pass rate): exercise1 and exercise2.
    assert (int(found[1]), int(found[2])) == (4, 4)


def test_a_job_with_timing_checks_splits_into_its_untimed_and_timed_checks_and_combines_in_catalog_order():
    exercise = load_catalog()["exercise5"]
    job = Job("s1", "exercise5", "hash", "catalog", files=(("f.py", b""),), timing=True)
    untimed, timed = split_around_timing(job)
    assert not untimed.timing and timed.timing
    assert set(untimed.only) | set(timed.only) == {spec.name for spec in exercise.checks}
    assert {exercise.check(name).timing for name in timed.only} == {True}
    assert {exercise.check(name).timing for name in untimed.only} == {False}

    def part(names):
        return ExerciseResult("exercise5", "KDE", [CheckResult(name, "f", PASSED, 1.0, 1.0, "visible")
                                                   for name in names]).to_dict()

    whole = combined(job, [part(untimed.only), part(timed.only)])
    assert [c["name"] for c in whole["checks"]] == [spec.name for spec in exercise.checks]
    first = part(untimed.only)
    first["checks"][untimed.only.index("test_multiprocess_equals_serial_sorted_by_width")]["reason"] = TIMED_OUT
    assert Hangs.from_arg(after(timed, first).hung).first_in == {"multiprocess": "test_multiprocess_equals_serial_sorted_by_width"}
    assert split_around_timing(Job("s1", "exercise4", "hash", "catalog", files=(("f.py", b""),))) is None


@pytest.mark.timing
def test_a_benchmark_the_grader_cannot_follow_is_not_measurable_beside_others_and_judged_when_retried_alone():
    """The side-by-side part of a split job may have company: a benchmark whose calls the grader's
    stand-ins cannot follow is left open there, and the batch's retry (a timing job, run alone)
    judges it."""
    exercise = CATALOG["exercise5"]
    source = (VARIANTS / "exercise5" / "benchmark_through_a_table_of_its_own.py").read_bytes()
    name = "test_benchmark_times_serial_and_each_process_count"
    job = Job("s1", "exercise5", "hash", "catalog", files=((exercise.module, source),), timing=False, only=(name,))
    beside = ExerciseResult.from_dict(grade(job))
    assert [(c.status, c.reason) for c in beside.checks] == [("skipped", NOT_MEASURABLE)]
    assert "'serial', '1', '2'" in beside.checks[0].feedback
    record = Record("s1", beside, "hash", "catalog", GRADED)
    alone = ExerciseResult.from_dict(grade(retry_job(job, record)))
    assert [(c.name, c.status) for c in alone.checks] == [(name, PASSED)]


class RecordedRuns:
    """Stands for the runs of `grade_course`: records each run's checks and company, and passes every
    check but the benchmark check, which is not measurable in a run told it has company."""

    def __init__(self):
        self.lock = threading.Lock()
        self.runs: list[tuple[frozenset[str], bool]] = []

    def __call__(self, exercise, submission_dir, checks, lang="en", layers=None, hangs=None, alone=True):
        with self.lock:
            self.runs.append((frozenset(spec.name for spec in checks), alone))
        return {spec.name: CheckResult(spec.name, spec.target, "skipped", 0.0, spec.points, spec.visibility,
                                       reason=NOT_MEASURABLE)
                if spec.name == "test_benchmark_times_serial_and_each_process_count" and not alone else
                CheckResult(spec.name, spec.target, PASSED, spec.points, spec.points, spec.visibility)
                for spec in checks}


def test_a_job_is_graded_in_two_children_told_whether_other_jobs_run_beside_it(monkeypatch):
    """The untimed part of a split job has company (other jobs): both its runs are told so, and
    nothing is graded again within the job. A job graded alone (a timing part, or a whole job under
    --jobs 1) runs its timing checks, and what was not measurable beside its other run, last."""
    fake = RecordedRuns()
    monkeypatch.setattr(course, "run_checks", fake)
    exercise = CATALOG["exercise5"]
    whole = Job("s1", "exercise5", "hash", "catalog", files=((exercise.module, b""),), timing=True)
    untimed, timed = split_around_timing(whole)

    first = ExerciseResult.from_dict(grade(untimed))
    assert [alone for _, alone in fake.runs] == [False, False]
    assert frozenset.union(*(names for names, _ in fake.runs)) == frozenset(untimed.only)
    assert {c.name: c.reason for c in first.checks}["test_benchmark_times_serial_and_each_process_count"] == NOT_MEASURABLE

    fake.runs.clear()
    grade(after(timed, first.to_dict()))
    assert fake.runs == [(frozenset(timed.only), True)]

    fake.runs.clear()
    result = ExerciseResult.from_dict(grade(whole))
    assert [alone for _, alone in fake.runs] == [False, False, True]  # its own two runs keep each other company
    assert fake.runs[-1][0] == frozenset(timed.only) | {"test_benchmark_times_serial_and_each_process_count"}
    assert result.score == result.max_score
