"""Watching `queue.Queue` use during one call: which queues got items, from which threads, how many
were taken off, and which queues were joined."""
from __future__ import annotations

import queue
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from grader.messages import msg
from grader.probes.patches import check_still_installed

_ORIGINAL_PUT = queue.Queue.put
_ORIGINAL_GET = queue.Queue.get
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
    # (queue identity, thread) of every put, in order.
    puts: list[tuple[int, threading.Thread]] = field(default_factory=list)
    # Queue identity -> how many items were taken off it with get() (get_nowait() included).
    taken: dict[int, int] = field(default_factory=dict)

    def used_but_not_joined(self) -> set[int]:
        return self.put_into - self.joined

    def threads_that_put(self) -> set[threading.Thread]:
        """Every thread that put an item on any queue."""
        return set().union(*self.putters.values())

    def left_on_queues(self, threads) -> int:
        """How many of the items the given threads put were never taken off their queue (counted per
        queue: whoever took an item off, it is off)."""
        wanted = set(threads)
        put_by_them = Counter(queue_id for queue_id, thread in self.puts if thread in wanted)
        return sum(max(0, count - self.taken.get(queue_id, 0)) for queue_id, count in put_by_them.items())

    def items_put_by(self, threads) -> list[object]:
        """The items that the given threads put, on any queue."""
        wanted = set(threads)
        return [item for thread, item in self.items if thread in wanted]


@contextmanager
def watch_queues() -> Iterator[QueueLog]:
    """Record puts, gets and completed joins on every `queue.Queue` (and subclass) while the block runs."""
    log = QueueLog()

    def put(self, item, block=True, timeout=None):
        log.put_into.add(id(self))
        log.putters.setdefault(id(self), set()).add(threading.current_thread())
        log.items.append((threading.current_thread(), item))
        log.puts.append((id(self), threading.current_thread()))
        return _ORIGINAL_PUT(self, item, block, timeout)

    def get(self, block=True, timeout=None):
        item = _ORIGINAL_GET(self, block, timeout)
        log.taken[id(self)] = log.taken.get(id(self), 0) + 1
        return item

    def join(self):
        _ORIGINAL_JOIN(self)
        log.joined.add(id(self))

    queue.Queue.put, queue.Queue.get, queue.Queue.join = put, get, join
    try:
        yield log
    finally:
        check_still_installed(queue.Queue, {"put": put, "get": get, "join": join}, msg("guard.watch.queues"))
        queue.Queue.put, queue.Queue.get, queue.Queue.join = _ORIGINAL_PUT, _ORIGINAL_GET, _ORIGINAL_JOIN
