"""Watching which threads open TCP connections during one call, and which threads were alive then.

`watch_connections()` wraps `socket.socket.connect` for the length of one call, so it sees every
connection however the code under test makes its requests (`urllib`, `http.client`, a raw socket):

    with watch_connections() as log:
        fetch_concurrent(urls)
    log.threads()        # the threads that connected

Which thread connects tells whether requests were made from the threads a function started or by the
calling thread itself; the threads alive at each connection tell whether those threads ran one after
another (each joined before the next was started) or side by side.
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from grader.messages import msg
from grader.probes.patches import check_still_installed

# `connect` is inherited from the C socket type; the watch puts its wrapper on the Python subclass,
# which every socket made through the `socket` module is an instance of, and removes it afterwards.
_OWNS_CONNECT = "connect" in vars(socket.socket)
_ORIGINAL_CONNECT = socket.socket.connect


@dataclass(frozen=True)
class Connection:
    """One `connect` call: the thread that made it, where to, and the threads alive at that moment."""

    thread: threading.Thread
    address: object
    alive: frozenset[threading.Thread]


@dataclass
class ConnectionLog:
    """The connections attempted during the watched call, in the order they were attempted."""

    connections: list[Connection] = field(default_factory=list)

    def threads(self) -> set[threading.Thread]:
        """Every thread that attempted a connection."""
        return {connection.thread for connection in self.connections}


@contextmanager
def watch_connections() -> Iterator[ConnectionLog]:
    """Record every connection attempted through a `socket.socket` while the block runs."""
    log = ConnectionLog()

    def connect(self, address):
        alive = frozenset(threading.enumerate())
        log.connections.append(Connection(threading.current_thread(), address, alive))
        return _ORIGINAL_CONNECT(self, address)

    socket.socket.connect = connect
    try:
        yield log
    finally:
        check_still_installed(socket.socket, {"connect": connect}, msg("guard.watch.connections"))
        if _OWNS_CONNECT:
            socket.socket.connect = _ORIGINAL_CONNECT
        else:
            del socket.socket.connect
