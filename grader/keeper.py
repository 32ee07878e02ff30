"""The keeper: a small trusted process between the runner and the grading child.

The runner starts the keeper; the keeper applies the confinement layers the machine allows, starts
the grading child (`grader.worker`) under them, copies the child's output into capped files, and
when the child ends, or the runner asks it to stop (SIGTERM), kills every process the child left
behind, however it detached itself: the keeper is a child subreaper, so a grandchild that called
`setsid` or double-forked is re-parented to the keeper, not to init, and is found and killed.

Its own status (the child's exit status, which layers were active, whether output was cut) is
written as JSON to a file the child cannot write, which the runner reads afterwards. The keeper
never imports the student's code.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from grader.confinement import KeeperConfig, Layers, apply_in_child, apply_in_keeper, give_workdir_to_user

_KILL_ROUNDS = 50


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

    def __init__(self, pipe, path: str, limit: int):
        super().__init__(daemon=True)
        self.pipe, self.path, self.limit, self.cut = pipe, path, limit, False

    def run(self) -> None:
        kept = 0
        with open(self.path, "wb") as out:
            while chunk := os.read(self.pipe.fileno(), 65536):
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
    copies = [_CappedCopy(worker.stdout, config.stdout, config.output_bytes),
              _CappedCopy(worker.stderr, config.stderr, config.output_bytes)]
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


def _forward(worker: subprocess.Popen, signum: int) -> None:
    try:
        os.kill(worker.pid, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    main()
