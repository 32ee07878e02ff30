"""Watching `queue.Queue` use during one call: which queues got items, from which threads, and which
were joined."""
from __future__ import annotations

import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

_ORIGINAL_PUT = queue.Queue.put
_ORIGINAL_JOIN = queue.Queue.join


@dataclass
class QueueLog:
    """Queues used during the watched call, by identity."""

    put_into: set[int] = field(default_factory=set)
    joined: set[int] = field(default_factory=set)
    # Queue identity -> the threads that put items on it (objects: an ident can be reused).
    putters: dict[int, set[threading.Thread]] = field(default_factory=dict)
    # Every item put, with the thread that put it, in the order of the puts.
    items: list[tuple[threading.Thread, object]] = field(default_factory=list)

    def used_but_not_joined(self) -> set[int]:
        return self.put_into - self.joined

    def threads_that_put(self) -> set[threading.Thread]:
        """Every thread that put an item on any queue."""
        return set().union(*self.putters.values())

    def items_put_by(self, threads) -> list[object]:
        """The items that the given threads put, on any queue."""
        wanted = set(threads)
        return [item for thread, item in self.items if thread in wanted]


@contextmanager
def watch_queues() -> Iterator[QueueLog]:
    """Record puts and completed joins on every `queue.Queue` (and subclass) while the block runs."""
    log = QueueLog()

    def put(self, item, block=True, timeout=None):
        log.put_into.add(id(self))
        log.putters.setdefault(id(self), set()).add(threading.current_thread())
        log.items.append((threading.current_thread(), item))
        return _ORIGINAL_PUT(self, item, block, timeout)

    def join(self):
        _ORIGINAL_JOIN(self)
        log.joined.add(id(self))

    queue.Queue.put, queue.Queue.join = put, join
    try:
        yield log
    finally:
        queue.Queue.put, queue.Queue.join = _ORIGINAL_PUT, _ORIGINAL_JOIN
