"""How an untrusted grading child is started, confined and ended.

Every child runs in its own session (so it and everything it forks form one process group that can be
killed at once), with no standard input, its output going to files the grader reads afterwards, and
an environment of the grader's choosing. `Limits` is where further confinement (memory, process
count, output size, an unprivileged user) is configured; `_confine` applies it in the child.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

OUTPUT_TAIL_BYTES = 16_384


@dataclass(frozen=True)
class Limits:
    """Resource limits for one grading child."""

    check_grace_s: float = 5.0
    stack_dump_wait_s: float = 0.5


@dataclass
class Child:
    """A running grading child and the files holding its output."""

    process: subprocess.Popen
    stdout: Path
    stderr: Path
    workdir: tempfile.TemporaryDirectory

    @property
    def pid(self) -> int:
        return self.process.pid

    def output_tail(self) -> tuple[str, str]:
        """The last part of what the child printed to stdout and stderr."""
        return _tail(self.stdout), _tail(self.stderr)

    def request_stack_dump(self, limits: Limits) -> None:
        """Ask the child to write every thread's stack to its stderr, and give it a moment to."""
        try:
            os.kill(self.pid, signal.SIGUSR1)
            self.process.wait(timeout=limits.stack_dump_wait_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass

    def kill(self) -> None:
        """Kill the child and everything in its process group, and reap the child."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()

    def close(self) -> None:
        self.workdir.cleanup()


def _tail(path: Path) -> str:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - OUTPUT_TAIL_BYTES))
        return f.read().decode("utf-8", errors="replace")


def _confine(limits: Limits) -> None:
    """Runs in the child between fork and exec; further resource limits belong here."""
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def child_environment() -> dict[str, str]:
    """The environment a grading child runs with."""
    env = dict(os.environ)
    env.update({
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    })
    env.pop("PYTHONSTARTUP", None)
    return env


def start(args: list[str], pass_fds: tuple[int, ...], limits: Limits) -> Child:
    """Start `python args...` as a confined grading child."""
    workdir = tempfile.TemporaryDirectory(prefix="grader-")
    stdout, stderr = Path(workdir.name, "stdout"), Path(workdir.name, "stderr")
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=workdir.name,
            env=child_environment(),
            pass_fds=pass_fds,
            start_new_session=True,
            preexec_fn=lambda: _confine(limits),
        )
    return Child(process, stdout, stderr, workdir)
