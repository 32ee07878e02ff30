"""The fork server: one process per grading process that has pytest and the grader imported, from
which each grading's keeper and worker are forked instead of started as two new interpreters.

Starting both interpreters and importing pytest and the grader cost about 0.3 s of CPU per grading
child: eight times per student in a batch, and in the exclusive phase where timing checks run.

The runner starts the server on first use, in a session of its own, with the environment every
grading child gets (`Workspace.environment`) but for HOME and TMPDIR, which are the grading's own.
For each grading it sends the keeper's configuration, and the descriptors the child inherits, over a
UNIX socket. The server forks a go-between, which forks the keeper and exits: the keeper is then
re-parented to the runner, which is a child subreaper, so the runner waits for it, signals it and
reads its status as it would for a keeper it had started itself (`ForkedProcess`). The keeper
(`grader.keeper.run_forked`) forks the worker in turn, under the same confinement.

An exercise may name modules its grading children all import (`preload` in its catalog: numpy, say).
In a process that grades many times (a batch's worker, `grade watch`: `expect_many_gradings`), its
gradings go to a server of their own that imports those too before it forks the first one, so that
no later child pays for them again. A single `grade` does not wait for them: its one child of the
exercise imports what it uses as it goes, partly beside other work. Such a server gets a home
folder of its own, since a library may write there as it is imported (matplotlib its configuration
and font cache), where the placeholder is a path that a server running as root would create; the
runner removes it with the server.

The server holds nothing a student may not see: configurations (paths, the allowlisted environment)
and descriptors, which it closes once the keeper has them. It ends when the runner closes the socket.
Where the machine does not allow it (no subreaper, no pidfd), or the server cannot be reached,
`start_keeper` returns None and the caller starts the keeper as a new interpreter.
"""
from __future__ import annotations

import fcntl
import importlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
import weakref

from grader.confinement import PR_SET_CHILD_SUBREAPER, KeeperConfig, libc

PRELOADED = ("pytest", "pytest_timeout", "grader.plugin", "grader.fixtures", "grader.worker", "grader.keeper")
MAX_REQUEST = 1 << 20
MAX_DESCRIPTORS = 8
# Received descriptors are first moved above the numbers a grading child is told to use.
HIGH_DESCRIPTORS = 256
# The environment variables that differ between gradings; the server starts with placeholders.
PER_GRADING = ("HOME", "TMPDIR")


class ForkedProcess:
    """A process known by its pid that is this process's child, though not started by `subprocess`
    (a keeper re-parented from the server, or a worker the keeper forked), waited for through a
    pidfd: what `sandbox.Child` and the keeper use of a `subprocess.Popen`."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        if timeout is not None and not select.select([self._pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
        try:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:  # reaped elsewhere: its status is lost, as subprocess takes it
            self.returncode = 0
        os.close(self._pidfd)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The runner's end: starts the server on first use and asks it for keepers."""

    def __init__(self, preload: tuple[str, ...] = ()):
        self._lock = threading.Lock()
        self._preload = preload
        self._process: subprocess.Popen | None = None
        self._socket: socket.socket | None = None
        self._environment: dict[str, str] = {}
        self._home: str | None = None

    def start_keeper(self, config: KeeperConfig, cwd: str, stderr: str, environment: dict[str, str],
                     fds: tuple[int, ...]) -> ForkedProcess | None:
        """A keeper for `config`, forked by the server, with `fds` at the same numbers; or None when
        the server cannot give one."""
        if any(fd < 3 for fd in fds):
            return None
        request = json.dumps({"config": config.to_json(), "cwd": cwd, "stderr": stderr,
                              "environment": environment, "fds": list(fds)}).encode()
        with self._lock:
            base = _base_environment(environment)
            if self._socket is not None and base != self._environment:
                self._stop()
            for _ in range(2):  # a server that died (killed from outside) is started again, once
                if self._socket is None and not self._start(base):
                    return None
                reply = self._ask(request, fds)
                if reply:
                    break
                self._stop()
            else:
                return None
        answer = json.loads(reply)
        return ForkedProcess(answer["pid"]) if "pid" in answer else None

    def _ask(self, request: bytes, fds: tuple[int, ...]) -> bytes:
        try:
            socket.send_fds(self._socket, [request], list(fds))
            return self._socket.recv(4096)
        except OSError:
            return b""

    def _start(self, base: dict[str, str]) -> bool:
        if not _become_subreaper():
            return False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        environment = {**base, **self._home_of_its_own()}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from grader.forkserver import serve; serve()", str(theirs.fileno()),
                 *self._preload],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
                env=environment, pass_fds=(theirs.fileno(),), start_new_session=True)
        except OSError:
            ours.close()
            return False
        finally:
            theirs.close()
        self._socket, self._environment = ours, base
        return True

    def _home_of_its_own(self) -> dict[str, str]:
        """HOME for a server that imports libraries beyond the grader's: a folder of its own, readable
        by the grading children (what the libraries wrote there is what they read back), removed
        with the server or when this process ends."""
        if not self._preload:
            return {}
        self._home = tempfile.mkdtemp(prefix="grader-server-home-")
        os.chmod(self._home, 0o755)
        weakref.finalize(self, _remove_home, self._home, os.getpid())
        return {"HOME": self._home}

    def _stop(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
        self._socket, self._process, self._home = None, None, None


def _remove_home(home: str, owner: int) -> None:
    """Remove a server's home folder, from the process that made it only (not from a child forked
    from that process, which ends with the same finalizers registered)."""
    if os.getpid() == owner:
        shutil.rmtree(home, ignore_errors=True)


def _base_environment(environment: dict[str, str]) -> dict[str, str]:
    """A grading's environment with its own folders replaced by a folder that is no one's."""
    return {**environment, **{name: "/nonexistent" for name in PER_GRADING if name in environment}}


def available() -> bool:
    """Whether this machine lets a process wait for a child through a pidfd (Linux 5.3; a
    container's seccomp may refuse it), without which the server is not used."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


def _become_subreaper() -> bool:
    """Make this process the one its keepers are re-parented to; False where that, or waiting for
    them, cannot be done."""
    return available() and libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


_SERVERS: dict[tuple[int, tuple[str, ...]], ForkServer] = {}
_SERVERS_LOCK = threading.Lock()
_MANY_GRADINGS: set[int] = set()


def expect_many_gradings() -> None:
    """Tell the fork servers that this process will grade many times: from now on an exercise's
    modules to preload are imported by a server of its own, once."""
    _MANY_GRADINGS.add(os.getpid())


def server(preload: tuple[str, ...] = ()) -> ForkServer:
    """This process's fork server for children that import the modules `preload`: one that has them
    imported where this process grades many times (`expect_many_gradings`), else the server of the
    grader's modules alone. A process forked from one that had a server gets its own."""
    key = (os.getpid(), preload if os.getpid() in _MANY_GRADINGS else ())
    with _SERVERS_LOCK:
        return _SERVERS.setdefault(key, ForkServer(key[1]))


def _preload(name: str) -> None:
    """Import `name` if it can be imported: what a server preloads beyond the grader only saves time,
    and a library that is missing or broken is the grading child's to meet, where a check says so."""
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - any failure here only leaves the import to the child
        pass


def serve(argv: list[str] | None = None) -> None:
    """Entry point of the server: `python -c "from grader.forkserver import serve; serve()" FD
    [MODULE...]`, the modules to import beyond the grader's."""
    fd, *extra = argv or sys.argv[1:]
    channel = socket.socket(fileno=int(fd))
    for name in PRELOADED:
        importlib.import_module(name)
    for name in extra:
        _preload(name)
    while True:
        try:
            request, fds, _, _ = socket.recv_fds(channel, MAX_REQUEST, MAX_DESCRIPTORS)
        except OSError:
            break
        if not request:
            break
        try:
            reply = {"pid": _fork_keeper(channel, json.loads(request), fds)}
        except Exception as problem:  # noqa: BLE001 - the runner starts this keeper another way
            reply = {"error": repr(problem)}
        finally:
            for fd in fds:
                os.close(fd)
        try:
            channel.send(json.dumps(reply).encode())
        except OSError:
            break
    os._exit(0)


def _fork_keeper(channel: socket.socket, request: dict, fds: list[int]) -> int:
    """Fork a go-between that forks the keeper and exits; return the keeper's pid."""
    read_end, write_end = os.pipe()
    between = os.fork()
    if between == 0:
        try:
            os.close(read_end)
            keeper = os.fork()
            if keeper == 0:
                os.close(write_end)
                _become_keeper(channel, request, fds)
            os.write(write_end, str(keeper).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        pid = answer.read()
    os.waitpid(between, 0)
    return int(pid)


def _become_keeper(channel: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked keeper: what a keeper started as a new interpreter would have (its own session,
    folder, environment and descriptors), then the keeper's work, which never returns."""
    try:
        channel.close()
        os.setsid()
        _place_descriptors(fds, request["fds"], request["stderr"])
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["environment"])
        from grader.keeper import run_forked

        config = KeeperConfig.from_json(request["config"])
    except BaseException:  # noqa: BLE001 - a keeper that could not be set up ends; the runner sees it
        traceback.print_exc()
        os._exit(1)
    run_forked(config)


def _place_descriptors(received: list[int], numbers: list[int], stderr: str) -> None:
    """Put the received descriptors at `numbers`, /dev/null on 0 and 1, `stderr` on 2, and close the rest."""
    from grader.keeper import keep_only_descriptors

    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, HIGH_DESCRIPTORS) for fd in received]
    devnull = os.open(os.devnull, os.O_RDWR)
    log = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(log, 2)
    for fd, number in zip(moved, numbers):
        os.dup2(fd, number)
    keep_only_descriptors({0, 1, 2, *numbers})
