"""The confinement layers of a grading child, each used when the machine allows it.

A layer that the machine does not allow (no root, no writable cgroup, no network namespaces, an
interpreter the unprivileged user cannot run) is skipped and the reason recorded, so a report can say
what protected a run. Applied in two places: in the keeper before it starts the child
(`apply_in_keeper`: subreaper, network namespace, cgroups) and in the child between fork and exec, or
before it runs the checks when it is forked without exec (`apply_in_child`: resource limits, cgroup
membership, unprivileged user).
"""
from __future__ import annotations

import ctypes
import fcntl
import json
import os
import pwd
import resource
import signal
import socket
import struct
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.messages import Message, msg

PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
CGROUP_V1 = Path("/sys/fs/cgroup")
UNPRIVILEGED_USER = "nobody"
# A user id of its own for each grading, from the range systemd keeps for such dynamic users: the
# process cap (RLIMIT_NPROC) counts every process of a user on the machine, so gradings running side by
# side as one shared user (`nobody`) would use up each other's cap. A grading's id follows its keeper's
# pid, which no other running keeper has.
PRIVATE_UIDS = range(61184, 65520)


@dataclass
class KeeperConfig:
    """Everything the keeper needs, passed to it as one JSON argument."""

    worker_argv: list[str]
    workdir: str
    environment: dict[str, str]
    pass_fds: list[int]
    stdout: str
    stderr: str
    status_file: str
    output_bytes: int
    memory_bytes: int
    cpu_seconds: int
    max_processes: int
    network: bool
    drop_user: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "KeeperConfig":
        return cls(**json.loads(text))


@dataclass
class Layers:
    """Which layers are active ({name: what it does}) and which were skipped ({name: why}), said as
    messages: the keeper does not load the templates; the runner renders them."""

    active: dict[str, Message] = field(default_factory=dict)
    skipped: dict[str, Message] = field(default_factory=dict)
    cgroups: list[str] = field(default_factory=list)
    user: tuple[int, int] | None = None
    process_rlimit: bool = False

    def to_dict(self) -> dict:
        return {"active": {name: said.to_data() for name, said in self.active.items()},
                "skipped": {name: said.to_data() for name, said in self.skipped.items()}}

    def out_of_memory_kills(self) -> int:
        """How many processes the memory cgroup's limit killed (0 without a memory cgroup)."""
        for path in self.cgroups:
            try:
                lines = Path(path, "memory.oom_control").read_text().splitlines()
            except OSError:
                continue
            return next((int(line.split()[1]) for line in lines if line.startswith("oom_kill ")), 0)
        return 0

    def release(self) -> None:
        """Remove the cgroups made for the child (they are empty once its processes are killed)."""
        for path in self.cgroups:
            try:
                os.rmdir(path)
            except OSError:
                pass


def libc():
    """The C library, for the calls Python does not wrap (prctl, unshare)."""
    # The interpreter's own symbols include the C library's: finding it by name would run
    # `ldconfig -p` in a subprocess on every call, in every grading.
    return ctypes.CDLL(None, use_errno=True)


def _become_subreaper(layers: Layers) -> None:
    if libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0:
        layers.active["reaper"] = msg("sandbox.layer.reaper")
    else:
        layers.skipped["reaper"] = msg("sandbox.skip.reaper", error=os.strerror(ctypes.get_errno()))


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def _network_off(layers: Layers) -> None:
    if libc().unshare(CLONE_NEWNET) != 0:
        layers.skipped["network"] = msg("sandbox.skip.no_namespace", error=os.strerror(ctypes.get_errno()))
        return
    try:
        _loopback_up()
    except OSError as problem:
        layers.skipped["network"] = msg("sandbox.skip.loopback", error=str(problem))
        return
    layers.active["network"] = msg("sandbox.layer.network")


def _make_cgroup(layers: Layers, controller: str, settings: dict[str, str]) -> None:
    path = CGROUP_V1 / controller / f"grader-{os.getpid()}"
    try:
        path.mkdir()
        for name, value in settings.items():
            (path / name).write_text(value)
    except OSError as problem:
        layers.skipped[controller] = msg("sandbox.skip.cgroup", controller=controller, error=problem.strerror)
        try:
            path.rmdir()
        except OSError:
            pass
        return
    layers.cgroups.append(str(path))


def _unreadable_for_user(paths: list[str]) -> str | None:
    """Runs as the unprivileged user: the first path it cannot read (and run or enter), or None."""
    return next((path for path in paths if not os.access(path, os.R_OK | os.X_OK)), None)


def _paths_the_child_needs(config: KeeperConfig) -> list[str]:
    """The interpreter first, then every folder it imports from (the venv's packages, the standard
    library, the grader): all must be readable by the user the child runs as."""
    import_paths = [path for path in (*sys.path, *config.environment.get("PYTHONPATH", "").split(os.pathsep))
                    if path and os.path.isdir(path)]
    return [os.path.realpath(config.worker_argv[0]), *dict.fromkeys(import_paths)]


def private_uid(keeper_pid: int) -> int:
    """The user id of the grading whose keeper is `keeper_pid`."""
    return PRIVATE_UIDS[keeper_pid % len(PRIVATE_UIDS)]


def _probe_user(uid: int, gid: int, paths: list[str]) -> tuple[bool, str]:
    """Whether this process can become (uid, gid), and the first of `paths` that user cannot read."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            os.write(write_end, (_unreadable_for_user(paths) or "").encode())
            os._exit(0)
        except BaseException:  # noqa: BLE001 - any failure means: this user cannot run it
            os._exit(1)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        unreadable = answer.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0, unreadable


def _user_that_can_run_the_child(config: KeeperConfig) -> tuple[tuple[int, int] | None, Message | None]:
    """An unprivileged (uid, gid) that can run the grading child, else None and why not: the grading's
    own id where the machine lets this process take it (not in a user namespace that maps few ids),
    else `nobody`."""
    try:
        nobody = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        return None, msg("sandbox.skip.no_user", user=UNPRIVILEGED_USER)
    paths = _paths_the_child_needs(config)
    why_not = msg("sandbox.skip.cannot_become", user=UNPRIVILEGED_USER)
    for uid in (private_uid(os.getpid()), nobody.pw_uid):
        became, unreadable = _probe_user(uid, nobody.pw_gid, paths)
        if became and unreadable:
            return None, msg("sandbox.skip.unreadable", user=f"uid {uid}", path=unreadable)
        if became:
            return (uid, nobody.pw_gid), None
    return None, why_not


def apply_in_keeper(config: KeeperConfig) -> Layers:
    """The layers set up by the keeper for the child it is about to start."""
    layers = Layers()
    _become_subreaper(layers)
    root = os.geteuid() == 0
    if config.network:
        if root:
            _network_off(layers)
        else:
            layers.skipped["network"] = msg("sandbox.skip.network_needs_root")
    _make_cgroup(layers, "pids", {"pids.max": str(config.max_processes)})
    _make_cgroup(layers, "memory", {"memory.limit_in_bytes": str(config.memory_bytes)})
    if any(path.startswith(str(CGROUP_V1 / "pids")) for path in layers.cgroups):
        layers.active["processes"] = msg("sandbox.layer.pids_cgroup", processes=config.max_processes)
    if any(path.startswith(str(CGROUP_V1 / "memory")) for path in layers.cgroups):
        layers.active["memory (all processes)"] = msg("sandbox.layer.memory_cgroup", mebibytes=config.memory_bytes >> 20)
    layers.active["memory"] = msg("sandbox.layer.memory", mebibytes=config.memory_bytes >> 20)
    layers.active["cpu time"] = msg("sandbox.layer.cpu_time", seconds=config.cpu_seconds)
    layers.active["output"] = msg("sandbox.layer.output", kibibytes=config.output_bytes >> 10)
    layers.active["environment"] = msg("sandbox.layer.environment")
    if config.drop_user and root:
        layers.user, why_not = _user_that_can_run_the_child(config)
        if layers.user:
            layers.active["user"] = msg("sandbox.layer.user", user=f"uid {layers.user[0]}")
        else:
            layers.skipped["user"] = why_not
    elif config.drop_user:
        layers.skipped["user"] = msg("sandbox.skip.already_unprivileged")
    if "processes" not in layers.active and layers.user:
        # Only without a pids cgroup: RLIMIT_NPROC counts every process of the user on the machine,
        # which is the grading's own user id where it could take one (see PRIVATE_UIDS).
        layers.process_rlimit = True
        layers.active["processes"] = msg("sandbox.layer.nproc", processes=config.max_processes,
                                         user=f"uid {layers.user[0]}")
    elif "processes" not in layers.active:
        # RLIMIT_NPROC counts every process of the user, not of the submission: without a user of
        # its own, the cap would fail a student whose desktop already runs that many.
        layers.skipped["processes"] = msg("sandbox.skip.processes")
    return layers


def give_workdir_to_user(workdir: str, layers: Layers) -> None:
    """Let the unprivileged user (when there is one) write in the child's working folder."""
    if not layers.user:
        return
    uid, gid = layers.user
    for folder, _, files in os.walk(workdir):
        os.chown(folder, uid, gid)
        for name in files:
            os.chown(os.path.join(folder, name), uid, gid)


def apply_in_child(config: KeeperConfig, layers: Layers) -> None:
    """Runs in the grading child after fork, before it runs anything of the grader's or the student's:
    limits, cgroups, then the user."""
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    for path in layers.cgroups:
        Path(path, "cgroup.procs").write_text(str(os.getpid()))
    resource.setrlimit(resource.RLIMIT_DATA, (config.memory_bytes, config.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (config.cpu_seconds, config.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if layers.user:
        uid, gid = layers.user
        if layers.process_rlimit:
            resource.setrlimit(resource.RLIMIT_NPROC, (config.max_processes, config.max_processes))
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
