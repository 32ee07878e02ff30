"""The keeper: a small trusted process between the runner and the grading child.

The runner starts the keeper (as a new interpreter, `main`, or forked from the fork server,
`run_forked`); the keeper applies the confinement layers the machine allows, starts
the grading child (`grader.worker`) under them, copies the child's output into capped files, and
when the child ends, or the runner asks it to stop (SIGTERM), kills every process the child left
behind, however it detached itself: the keeper is a child subreaper, so a grandchild that called
`setsid` or double-forked is re-parented to the keeper, not to init, and is found and killed.

Its own status (the child's exit status, which layers were active, whether output was cut) is
written as JSON to a file the child cannot write, which the runner reads afterwards. The keeper
never imports the student's code.
"""
from __future__ import annotations

import ctypes
import importlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from grader.confinement import KeeperConfig, Layers, apply_in_child, apply_in_keeper, give_workdir_to_user, libc
from grader.forkserver import ForkedProcess
from grader.sandbox import WORKER_CODE

_KILL_ROUNDS = 50
# The exit status of a forked worker whose confinement could not be applied: it never ran the checks.
WORKER_NOT_STARTED = 70
PR_SET_DUMPABLE = 4


def _descendants(root: int) -> list[int]:
    """Every live process whose chain of parents leads to `root`."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def kill_descendants() -> int:
    """SIGKILL every descendant of this process and reap them; return how many were killed.

    Repeated until none is left: a process may fork between the listing and the kill."""
    killed: set[int] = set()
    for _ in range(_KILL_ROUNDS):
        pids = _descendants(os.getpid())
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        _reap()
        time.sleep(0.01)
    _reap()
    return len(killed)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class _CappedCopy(threading.Thread):
    """Copies one of the child's output pipes into a file, keeping at most `limit` bytes."""

    def __init__(self, fd: int, path: str, limit: int):
        super().__init__(daemon=True)
        self.fd, self.path, self.limit, self.cut = fd, path, limit, False

    def run(self) -> None:
        kept = 0
        with open(self.path, "wb") as out:
            while chunk := os.read(self.fd, 65536):
                room = self.limit - kept
                if len(chunk) > room:
                    self.cut = True
                    chunk = chunk[:max(room, 0)]
                if chunk:
                    out.write(chunk)
                    out.flush()
                    kept += len(chunk)


def main(argv: list[str] | None = None) -> None:
    """Entry point: `python -c "from grader.keeper import main; main()" CONFIG_JSON`."""
    config = KeeperConfig.from_json((argv or sys.argv[1:])[0])
    layers: Layers = apply_in_keeper(config)
    give_workdir_to_user(config.workdir, layers)
    worker = subprocess.Popen(config.worker_argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=config.workdir, env=config.environment,
                              pass_fds=tuple(config.pass_fds), preexec_fn=lambda: apply_in_child(config, layers))
    for fd in config.pass_fds:
        os.close(fd)
    _supervise(config, layers, worker, worker.stdout.fileno(), worker.stderr.fileno())


def run_forked(config: KeeperConfig) -> None:
    """The keeper's work in a process forked from the fork server (`grader.forkserver`), which has
    pytest and the grader imported already: the worker is forked from it too and runs
    `grader.worker.main` in place, after the same confinement as a worker started as a new interpreter.
    A worker command other than the grader's own is started as a new interpreter, as by `main`."""
    from grader import worker  # imported already in the fork server; never by a keeper started as `main`

    if config.worker_argv[1:3] != ["-c", WORKER_CODE]:
        main([config.to_json()])  # never returns
    layers = apply_in_keeper(config)
    give_workdir_to_user(config.workdir, layers)
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        _become_worker(config, layers, out_write, err_write)
        worker.main(config.worker_argv[3:])
    for fd in (out_write, err_write, *config.pass_fds):
        os.close(fd)
    _supervise(config, layers, ForkedProcess(pid), out_read, err_read)


def _become_worker(config: KeeperConfig, layers: Layers, out_write: int, err_write: int) -> None:
    """In the forked worker: the descriptors, folder, limits and user a new worker interpreter would
    have; a failure ends the process before any check runs."""
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(out_write, 1)
        os.dup2(err_write, 2)
        keep_only_descriptors({0, 1, 2, *config.pass_fds})
        os.chdir(config.workdir)
        # The server imported with another working folder: what its finders cached of it is not this one.
        sys.path_importer_cache.clear()
        importlib.invalidate_caches()
        apply_in_child(config, layers)
        # What a new interpreter starts with. Dumpable: a process that changed its user is not until
        # it runs a new program, and its /proc/self would belong to root. SIGPIPE ignored. A
        # multiprocessing key of its own, not the one every child of the fork server would share.
        if libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        multiprocessing.current_process().authkey = os.urandom(32)
        tempfile.tempdir = None
        sys.argv = config.worker_argv[1:2] + config.worker_argv[3:]
    except BaseException:  # noqa: BLE001 - whatever failed, the worker must not run unconfined
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(WORKER_NOT_STARTED)


def keep_only_descriptors(keep: set[int]) -> None:
    """Close every open file descriptor of this process but those in `keep`."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _supervise(config: KeeperConfig, layers: Layers, worker, out_fd: int, err_fd: int) -> None:
    """Copy the worker's output, stop it on SIGTERM, and when it ends kill what it left behind and
    write the status file; never returns."""
    copies = [_CappedCopy(out_fd, config.stdout, config.output_bytes),
              _CappedCopy(err_fd, config.stderr, config.output_bytes)]
    for copy in copies:
        copy.start()

    def stop(signum, frame):
        worker.kill()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGUSR1, lambda signum, frame: _forward(worker, signal.SIGUSR1))
    returncode = worker.wait()
    left_behind = kill_descendants()
    for copy in copies:
        copy.join(timeout=2.0)
    status = {"returncode": returncode, "layers": layers.to_dict(), "left_behind": left_behind,
              "output_cut": any(copy.cut for copy in copies), "out_of_memory": layers.out_of_memory_kills() > 0}
    Path(config.status_file).write_text(json.dumps(status), encoding="utf-8")
    layers.release()
    os._exit(0)


def _forward(worker, signum: int) -> None:
    try:
        os.kill(worker.pid, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    main()
