"""How an untrusted grading child is started, confined and ended.

Every child is started by a keeper (`grader.keeper`), a trusted process of the grader's that sits
between the runner and the child, in a session of its own: the child's code cannot reach the runner
by signalling its parent, and when the child ends or is stopped, the keeper kills everything it left
behind. The child works in a private temporary folder on a copy of the submission, with no standard
input, an allowlisted environment (a private HOME and TMPDIR, never the grader's own variables), its
output copied into capped files, and the resource limits of `Limits` (see `grader.confinement` for
each layer and when it is used).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader import forkserver
from grader.confinement import KeeperConfig

OUTPUT_TAIL_BYTES = 16_384
# Variables a grading child may inherit from the grader's environment; everything else (tokens,
# credentials, the teacher's settings) stays out of the student's reach.
ALLOWED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "SYSTEMROOT")
SUBMISSION_FILE_SUFFIXES = (".py", ".txt", ".csv", ".json")
SUBMISSION_FILE_MAX_BYTES = 2 << 20
# The grading child is `python -c WORKER_CODE ARGS...`: with -c, not -m, processes the student's code
# spawns have no main module to import again, so each of them starts without loading pytest.
WORKER_CODE = "from grader.worker import main; main()"


@dataclass(frozen=True)
class Limits:
    """Resource limits for one grading child."""

    check_grace_s: float = 5.0
    stack_dump_wait_s: float = 0.5
    stop_wait_s: float = 5.0
    memory_bytes: int = 2 << 30
    cpu_seconds: int = 600
    max_processes: int = 256
    output_bytes: int = 1 << 20
    network: bool = True
    drop_user: bool = True


@dataclass
class Workspace:
    """The private folders of one grading child: its working folder (with a copy of the submission,
    a HOME and a TMPDIR) and the keeper's own folder (output and status files)."""

    root: tempfile.TemporaryDirectory
    work: Path = field(init=False)
    keeper: Path = field(init=False)
    submission: Path = field(init=False)

    def __post_init__(self) -> None:
        base = Path(self.root.name)
        self.work, self.keeper = base / "work", base / "keeper"
        self.submission = self.work / "submission"
        for folder in (self.work / "home", self.work / "tmp", self.submission, self.keeper):
            folder.mkdir(parents=True)
        # An unprivileged child may pass through the base to its working folder (which the keeper
        # gives it), but neither list the base nor enter the keeper's folder.
        base.chmod(0o711)
        self.keeper.chmod(0o700)

    @classmethod
    def create(cls, submission_dir: Path) -> "Workspace":
        """A fresh workspace holding a copy of the submission's files (the top folder only)."""
        workspace = cls(tempfile.TemporaryDirectory(prefix="grader-"))
        for path in sorted(submission_dir.iterdir()):
            if (path.is_file() and path.suffix in SUBMISSION_FILE_SUFFIXES
                    and path.stat().st_size <= SUBMISSION_FILE_MAX_BYTES):
                shutil.copyfile(path, workspace.submission / path.name)
        return workspace

    def environment(self) -> dict[str, str]:
        """The grading child's whole environment."""
        env = {name: os.environ[name] for name in ALLOWED_ENVIRONMENT if name in os.environ}
        env.setdefault("PATH", os.defpath)
        env.update({
            "HOME": str(self.work / "home"),
            "TMPDIR": str(self.work / "tmp"),
            "PYTHONPATH": str(Path(grader.__file__).resolve().parents[1]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONHASHSEED": "0",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            # OpenBLAS starts a thread per core at import, each with its own memory arena: under
            # the memory limit that aborts numpy's import, and the checks need no BLAS threads.
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        })
        return env


@dataclass
class Child:
    """A running grading child (behind its keeper) and the files holding its output."""

    process: subprocess.Popen | forkserver.ForkedProcess
    workspace: Workspace
    returncode: int | None = None
    status: dict = field(default_factory=dict)

    @property
    def stdout(self) -> Path:
        return self.workspace.keeper / "stdout"

    @property
    def stderr(self) -> Path:
        return self.workspace.keeper / "stderr"

    def output_tail(self) -> tuple[str, str]:
        """The last part of what the child printed to stdout and stderr."""
        return _tail(self.stdout), _tail(self.stderr)

    def request_stack_dump(self, limits: Limits) -> None:
        """Ask the child (through its keeper) to write every thread's stack to its stderr."""
        try:
            os.kill(self.process.pid, signal.SIGUSR1)
            self.process.wait(timeout=limits.stack_dump_wait_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass

    def kill(self, limits: Limits) -> None:
        """Stop the child and everything it started, and read the keeper's status."""
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=limits.stop_wait_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        try:
            self.status = json.loads((self.workspace.keeper / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.status = {}
        self.returncode = self.status.get("returncode", self.process.returncode)

    def close(self) -> None:
        self.workspace.root.cleanup()


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - OUTPUT_TAIL_BYTES))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def start(args: list[str], pass_fds: tuple[int, ...], limits: Limits, workspace: Workspace,
          preload: tuple[str, ...] = ()) -> Child:
    """Start `python args...` as a confined grading child, behind a keeper: forked from this process's
    fork server that has the modules `preload` imported, where it can give one, else as new
    interpreters."""
    config = KeeperConfig(
        worker_argv=[sys.executable, *args], workdir=str(workspace.work), environment=workspace.environment(),
        pass_fds=list(pass_fds), stdout=str(workspace.keeper / "stdout"),
        stderr=str(workspace.keeper / "stderr"), status_file=str(workspace.keeper / "status.json"),
        output_bytes=limits.output_bytes, memory_bytes=limits.memory_bytes, cpu_seconds=limits.cpu_seconds,
        max_processes=limits.max_processes, network=limits.network, drop_user=limits.drop_user)
    keeper_log = workspace.keeper / "keeper-stderr"
    forked = forkserver.server(preload).start_keeper(config, cwd=str(workspace.keeper), stderr=str(keeper_log),
                                                     environment=workspace.environment(), fds=pass_fds)
    if forked is not None:
        return Child(forked, workspace)
    with open(keeper_log, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from grader.keeper import main; main()", config.to_json()],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            cwd=workspace.keeper, env=workspace.environment(), pass_fds=pass_fds, start_new_session=True)
    return Child(process, workspace)
