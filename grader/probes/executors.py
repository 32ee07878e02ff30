"""Watching the thread pool executors created during one call: the `max_workers` each was asked for
and the number of workers it took.

`ThreadPoolExecutor()` without `max_workers` takes a default that depends on the machine
(`min(32, os.cpu_count() + 4)` since Python 3.8): a check that finds fewer requests in flight than
expected can then name that default instead of guessing at the cause.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from grader.messages import msg
from grader.probes.patches import check_still_installed

_ORIGINAL_INIT = ThreadPoolExecutor.__init__


@dataclass(frozen=True)
class ExecutorRecord:
    """One `ThreadPoolExecutor` created during the watched call."""

    requested: object  # the max_workers argument as given; None when the default was taken
    workers: int | None  # the number of worker threads the executor may start

    @property
    def took_the_default(self) -> bool:
        return self.requested is None


@dataclass
class ExecutorLog:
    """The executors created during the watched call, in creation order."""

    created: list[ExecutorRecord] = field(default_factory=list)

    def with_fewer_workers_than(self, count: int) -> list[ExecutorRecord]:
        """The executors that cannot run `count` tasks at once."""
        return [record for record in self.created
                if isinstance(record.workers, int) and record.workers < count]


@contextmanager
def watch_executors() -> Iterator[ExecutorLog]:
    """Record every `ThreadPoolExecutor` (or subclass) created while the block runs."""
    log = ExecutorLog()

    def init(self, max_workers=None, *args, **kwargs):
        _ORIGINAL_INIT(self, max_workers, *args, **kwargs)
        log.created.append(ExecutorRecord(max_workers, getattr(self, "_max_workers", None)))

    ThreadPoolExecutor.__init__ = init
    try:
        yield log
    finally:
        check_still_installed(ThreadPoolExecutor, {"__init__": init}, msg("guard.watch.executors"))
        ThreadPoolExecutor.__init__ = _ORIGINAL_INIT
