"""The fork server: grading children forked from it behave as children started as new interpreters,
a server killed from outside is started again, and where there is no server the keeper is started as
a new interpreter with the same verdicts."""
from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from grader import forkserver, sandbox
from grader.catalog import load_catalog
from grader.runner import run_checks
from grader.sandbox import Limits, Workspace

EXERCISE = load_catalog()["exercise1"]
REFERENCE = (ROOT / "solutions" / EXERCISE.module).read_text(encoding="utf-8")
CHECK = EXERCISE.check("test_count_with_lock_returns_every_increment")

needs_server = pytest.mark.skipif(not forkserver.available(), reason="no pidfd here: the keeper starts as before")


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rsplit(b")", 1)[1].split()[1])


def _grade(tmp_path, source: str, limits: Limits = Limits()):
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / EXERCISE.module).write_text(source, encoding="utf-8")
    return run_checks(EXERCISE, folder, [CHECK], limits=limits)[CHECK.name]


class NoServer:
    """A machine without a fork server: every keeper starts as a new interpreter."""

    def __init__(self, preload: tuple[str, ...] = ()):
        self.preload = preload

    def start_keeper(self, *args, **kwargs):
        return None


@needs_server
def test_a_keeper_from_the_server_is_the_runners_child_and_reports_as_a_new_one(tmp_path):
    (tmp_path / "empty").mkdir()
    workspace = Workspace.create(tmp_path / "empty")
    child = sandbox.start(["-c", "print('from the child')"], pass_fds=(), limits=Limits(), workspace=workspace)
    try:
        assert isinstance(child.process, forkserver.ForkedProcess)
        assert _parent_of(child.process.pid) == os.getpid()
        assert child.process.wait(timeout=60) == 0
        child.kill(Limits())
        assert child.returncode == 0
        assert child.output_tail()[0] == "from the child\n"
    finally:
        child.close()


@needs_server
def test_a_server_killed_from_outside_is_started_again(tmp_path):
    server = forkserver.server()
    assert _grade(tmp_path, REFERENCE).status == "passed"
    first = server._process
    first.kill()
    first.wait()
    assert _grade(tmp_path, REFERENCE).status == "passed"
    assert server._process is not None and server._process.pid != first.pid


@needs_server
def test_the_forked_worker_starts_as_a_new_interpreter_would(tmp_path):
    """What a submission could see of how its process began: its own /proc entries (a process that
    changed user without starting a new program has them owned by root), its arguments, folder,
    environment and signals, and a multiprocessing key of its own (written where the test reads it:
    two gradings forked from one server must not share one)."""
    keys = Path(tempfile.mkdtemp(prefix="grader-keys-"))
    keys.chmod(0o777)
    source = REFERENCE + textwrap.dedent(f"""

        import multiprocessing as _mp, os as _os, signal as _signal, sys as _sys
        with open("/proc/self/oom_score_adj", "w") as _adj:
            _adj.write("0")
        assert _sys.argv[0] == "-c" and "--events-fd" in _sys.argv, _sys.argv
        assert _os.environ["HOME"] == _os.path.join(_os.getcwd(), "home"), (_os.environ, _os.getcwd())
        assert _os.environ["TMPDIR"] == _os.path.join(_os.getcwd(), "tmp")
        assert _signal.getsignal(_signal.SIGPIPE) == _signal.SIG_IGN
        assert _signal.getsignal(_signal.SIGTERM) == _signal.SIG_DFL
        assert sorted(int(fd) for fd in _os.listdir("/proc/self/fd"))[:3] == [0, 1, 2]
        with open(_os.path.join({str(keys)!r}, str(_os.getpid())), "wb") as _key:
            _key.write(bytes(_mp.current_process().authkey))
    """)
    try:
        for _ in range(2):
            result = _grade(tmp_path, source)
            assert (result.status, result.reason) == ("passed", ""), result.feedback
        written = [path.read_bytes() for path in keys.iterdir()]
        assert len(written) == 2 and len(set(written)) == 2
    finally:
        shutil.rmtree(keys)


def test_without_a_server_the_keeper_is_a_new_interpreter_and_the_verdicts_are_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(forkserver, "server", NoServer)
    started = []
    real_start = sandbox.start

    def recording_start(*args, **kwargs):
        child = real_start(*args, **kwargs)
        started.append(type(child.process).__name__)
        return child

    monkeypatch.setattr(sandbox, "start", recording_start)
    assert _grade(tmp_path, REFERENCE).status == "passed"
    one_short = REFERENCE + textwrap.dedent("""

        _counted = count_with_lock


        def count_with_lock(n_threads=10, increments=1):
            return _counted(n_threads, increments) - 1
    """)
    assert _grade(tmp_path, one_short).status == "failed"
    assert started == ["Popen", "Popen"]


@pytest.mark.parametrize("with_server", [True, False], ids=["forked", "new interpreter"])
def test_a_child_that_cannot_be_confined_never_runs_and_is_the_graders_error(tmp_path, monkeypatch, with_server):
    """A limit the machine refuses (here a CPU limit above its hard maximum) ends the child before
    anything of the student's runs: the grader's error, never the student's "exited"."""
    if not with_server:
        monkeypatch.setattr(forkserver, "server", NoServer)
    result = _grade(tmp_path, REFERENCE, Limits(cpu_seconds=-5))
    assert (result.status, result.reason) == ("error", "grader error"), result.feedback
    assert "before it ran any of your code" in result.feedback


EXERCISE5 = load_catalog()["exercise5"]
REFERENCE5 = (ROOT / "solutions" / EXERCISE5.module).read_text(encoding="utf-8")
# Calls no pool: the grading child is the one process that imports the submission.
NO_POOL = EXERCISE5.check("test_cubes_rejects_processes_below_one")


def _imported_before_the_submission(tmp_path, module: str) -> bool:
    """Whether `module` was imported in exercise5's grading child before the submission was."""
    seen = Path(tempfile.mkdtemp(prefix="grader-seen-"))
    seen.chmod(0o777)
    source = REFERENCE5 + textwrap.dedent(f"""

        import os as _os, sys as _sys
        with open(_os.path.join({str(seen)!r}, "seen"), "w") as _seen:
            _seen.write(str({module!r} in _sys.modules))
    """)
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / EXERCISE5.module).write_text(source, encoding="utf-8")
    try:
        result = run_checks(EXERCISE5, folder, [NO_POOL])[NO_POOL.name]
        assert result.status == "passed", result.feedback
        return (seen / "seen").read_text() == "True"
    finally:
        shutil.rmtree(seen)


@needs_server
def test_a_process_that_grades_many_times_forks_gradings_with_the_exercises_modules_imported(tmp_path,
                                                                                             monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(forkserver, "_MANY_GRADINGS", {os.getpid()})
    assert "matplotlib.figure" in EXERCISE5.preload
    assert _imported_before_the_submission(tmp_path, "matplotlib.figure")


@needs_server
def test_a_single_grading_does_not_wait_for_the_exercises_modules(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")  # without it, nothing could be imported early either way
    monkeypatch.setattr(forkserver, "_MANY_GRADINGS", set())
    assert forkserver.server(EXERCISE5.preload) is forkserver.server()
    assert not _imported_before_the_submission(tmp_path, "matplotlib.figure")


@needs_server
def test_a_preloading_server_writes_in_a_home_of_its_own_which_goes_with_it(tmp_path, monkeypatch):
    """matplotlib writes its configuration and font cache under HOME as it is imported: the
    placeholder HOME (/nonexistent) is a folder a server running as root would create."""
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(forkserver, "_MANY_GRADINGS", {os.getpid()})
    placeholder_there = Path("/nonexistent").exists()
    server = forkserver.server(EXERCISE5.preload)
    server._stop()  # started afresh by the next grading
    assert _imported_before_the_submission(tmp_path, "matplotlib.figure")
    home = Path(server._home)
    assert any(home.iterdir()), "matplotlib wrote nothing there"
    assert Path("/nonexistent").exists() == placeholder_there
    server._stop()
    assert not home.exists()
