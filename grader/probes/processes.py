"""Child-process accounting from /proc, for "no child left behind" checks (Linux).

A check takes ``before = descendant_pids()``, calls the student's function, then
``leftovers(before)`` tells which processes the call started and left alive or unreaped, ready to be
described in feedback (``describe``) and cleaned up (``kill_tree``). ``watch_children()`` wraps the
same pair as a context manager.

multiprocessing's resource tracker and forkserver are legitimate long-lived helpers that outlive
the call that started them: ``is_multiprocessing_helper`` recognises them so checks can ignore them.
"""

from __future__ import annotations

import os
import select
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from grader.messages import Message, msg

_PROC = Path("/proc")

# In the command line of multiprocessing's helper processes: both run
# `python -c "from multiprocessing.<module> import main; main(...)"`.
_HELPER_MARKERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")

# /proc/<pid>/task/<tid>/children exists only in kernels built with CONFIG_PROC_CHILDREN.
_HAS_CHILDREN_FILES = (_PROC / "self" / "task" / str(os.getpid()) / "children").exists()

_STATE_NAMES = {
    "R": msg("processes.state.running"),
    "S": msg("processes.state.sleeping"),
    "D": msg("processes.state.disk_sleep"),
    "T": msg("processes.state.stopped"),
    "t": msg("processes.state.tracing_stop"),
    "Z": msg("processes.state.zombie"),
    "X": msg("processes.state.dead"),
    "I": msg("processes.state.idle"),
}

# How long kill_tree waits for one killed child to die before giving up on reaping it.
_REAP_TIMEOUT = 5.0


@dataclass(frozen=True)
class _Stat:
    name: str
    state: str
    ppid: int


def _stat(pid: int) -> _Stat | None:
    """Name, state and parent of ``pid`` from /proc/<pid>/stat, or None if it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The name in parentheses may itself hold spaces and ')': the fields start after the last ')'.
    close = text.rindex(")")
    fields = text[close + 2:].split()
    return _Stat(name=text[text.index("(") + 1:close], state=fields[0], ppid=int(fields[1]))


def _children_from_task_files(pid: int) -> set[int]:
    """Children listed in /proc/<pid>/task/*/children (each thread lists the children it forked)."""
    children: set[int] = set()
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except OSError:
        return children
    for task in tasks:
        try:
            children.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue  # the thread ended while we were reading
    return children


def _children_by_parent() -> dict[int, set[int]]:
    """Every process's children, from one pass over /proc/<n>/stat."""
    by_parent: dict[int, set[int]] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                by_parent.setdefault(stat.ppid, set()).add(int(entry.name))
    return by_parent


def _children_lookup() -> Callable[[int], set[int]]:
    """A pid -> children function: the kernel's children files, or else one scan of /proc."""
    if _HAS_CHILDREN_FILES:
        return _children_from_task_files
    by_parent = _children_by_parent()
    return lambda pid: set(by_parent.get(pid, ()))


def child_pids(pid: int | None = None) -> set[int]:
    """Pids of the direct children of ``pid`` (default: this process), zombies included."""
    return _children_lookup()(os.getpid() if pid is None else pid)


def zombie_children(pid: int | None = None) -> set[int]:
    """Direct children of ``pid`` (default: this process) that have exited but were not waited for."""
    return {child for child in child_pids(pid) if _state(child) == "Z"}


def descendant_pids(pid: int | None = None) -> set[int]:
    """Pids of the children of ``pid`` (default: this process), their children, and so on."""
    children_of = _children_lookup()
    found: set[int] = set()
    frontier = children_of(os.getpid() if pid is None else pid)
    while frontier:
        found |= frontier
        frontier = set().union(*(children_of(child) for child in frontier)) - found
    return found


def _state(pid: int) -> str | None:
    stat = _stat(pid)
    return None if stat is None else stat.state


def _cmdline(pid: int) -> str:
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def describe(pid: int, width: int = 100) -> Message:
    """A one-line description for feedback.

    For example ``pid 1234 (python -c from multiprocessing.spawn import ...), state S (sleeping)``:
    the command line cut to ``width`` characters, or the short name of a zombie.
    """
    stat = _stat(pid)
    if stat is None:
        return msg("processes.gone", pid=pid)
    # A zombie has no command line left, only its short name.
    command = _cmdline(pid) or stat.name
    if len(command) > width:
        command = command[: width - 3] + "..."
    return msg("processes.leftover", pid=pid, command=command, state=stat.state,
               state_name=_STATE_NAMES.get(stat.state) or msg("processes.state.unknown"))


def joined(descriptions: list[Message]) -> Message | str:
    """Descriptions one after another on a line, separated by semicolons ('' for none)."""
    if not descriptions:
        return ""
    line = descriptions[-1]
    for description in reversed(descriptions[:-1]):
        line = msg("processes.then", first=description, rest=line)
    return line


def signal_name(number: int) -> str:
    """A signal's name (SIGTERM for 15), or its number when it has none."""
    return signal.Signals(number).name if number in signal.valid_signals() else str(number)


def is_multiprocessing_helper(pid: int) -> bool:
    """Whether ``pid`` is multiprocessing's resource tracker or forkserver process.

    A process forked BY the forkserver inherits its command line, so it counts as a helper only if
    its parent does not have the same command line.
    """
    command = _cmdline(pid)
    if not any(marker in command for marker in _HELPER_MARKERS):
        return False
    stat = _stat(pid)
    return stat is not None and _cmdline(stat.ppid) != command


@dataclass
class Leftovers:
    """Processes started since a snapshot and still there: alive, zombie, or helper."""

    alive: set[int] = field(default_factory=set)
    zombies: set[int] = field(default_factory=set)
    helpers: set[int] = field(default_factory=set)

    @property
    def clean(self) -> bool:
        """True when nothing but multiprocessing's helpers was left behind."""
        return not self.alive and not self.zombies

    def descriptions(self, known: dict[int, Message] | None = None) -> list[Message]:
        """One ``describe`` line per left-behind process (helpers excluded), or the line `known` gives
        for its pid (what the caller knows better than a command line can say)."""
        known = known or {}
        return [known.get(pid) or describe(pid) for pid in sorted(self.alive | self.zombies)]


def leftovers(before: Iterable[int]) -> Leftovers:
    """Classify this process's descendants not in ``before`` (a ``descendant_pids()`` snapshot).

    Descendants, not just children: processes started through the forkserver are its children,
    not ours.
    """
    result = Leftovers()
    for pid in descendant_pids() - set(before):
        state = _state(pid)
        if state is None:
            continue
        if is_multiprocessing_helper(pid):
            result.helpers.add(pid)
        elif state == "Z":
            result.zombies.add(pid)
        else:
            result.alive.add(pid)
    return result


@contextmanager
def watch_children() -> Iterator[Leftovers]:
    """``with watch_children() as left: call()`` — ``left`` is filled in when the block ends."""
    before = descendant_pids()
    result = Leftovers()
    try:
        yield result
    finally:
        found = leftovers(before)
        result.alive, result.zombies, result.helpers = found.alive, found.zombies, found.helpers


@dataclass
class KillReport:
    """What ``kill_tree`` did: the pids it signalled and which of our children it reaped."""

    killed: set[int] = field(default_factory=set)
    reaped: set[int] = field(default_factory=set)
    unreaped: set[int] = field(default_factory=set)


def kill_tree(pids: Iterable[int]) -> KillReport:
    """SIGKILL ``pids`` and all their descendants, then reap those that are this process's children.

    Descendants are collected before anything is killed, while they can still be found through their
    parents. A reaped child's ``multiprocessing.Process`` object can no longer learn its exit code.
    """
    targets = set(pids)
    for pid in list(targets):
        targets |= descendant_pids(pid)
    ours = child_pids()
    report = KillReport()
    for pid in targets:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        report.killed.add(pid)
    for pid in targets & ours:
        (report.reaped if _reap(pid) else report.unreaped).add(pid)
    return report


def _reap(pid: int) -> bool:
    """Wait (at most ``_REAP_TIMEOUT``) for our killed child ``pid`` to exit, then collect it."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        # A pidfd becomes readable when the process exits: no polling loop needed.
        select.select([pidfd], [], [], _REAP_TIMEOUT)
    finally:
        os.close(pidfd)
    try:
        reaped_pid, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return reaped_pid == pid
