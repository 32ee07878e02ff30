"""Tests of the probes exercise3 uses beside the latency server: which threads connect, and the
thread pool executors a call creates."""
from __future__ import annotations

import os
import socket
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from grader.probes.connections import watch_connections
from grader.probes.executors import watch_executors
from grader.probes.http_server import LatencyServer


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10.0) as response:
        return response.read()


def test_connections_name_the_thread_that_connected_and_the_watch_is_removed_after():
    with LatencyServer() as server:
        with watch_connections() as log:
            fetch(server.url("/caller"))
            worker = threading.Thread(target=fetch, args=(server.url("/worker"),))
            worker.start()
            worker.join()
    assert [c.thread for c in log.connections] == [threading.current_thread(), worker]
    assert all(c.address[1] == server.port for c in log.connections)
    assert "connect" not in vars(socket.socket)


def test_connections_record_a_refused_attempt_too():
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        with watch_connections() as log, socket.socket() as client:
            try:
                client.connect(bound.getsockname())
            except ConnectionRefusedError:
                pass
    assert log.threads() == {threading.current_thread()}


def test_threads_alive_at_each_connection_tell_one_at_a_time_from_side_by_side():
    with LatencyServer(0.2) as server:
        one_by_one = []
        with watch_connections() as one_at_a_time:
            for i in range(3):
                thread = threading.Thread(target=fetch, args=(server.url(f"/{i}"),))
                one_by_one.append(thread)
                thread.start()
                thread.join()
        together = [threading.Thread(target=fetch, args=(server.url(f"/{i}"),)) for i in range(3)]
        with watch_connections() as side_by_side:
            for thread in together:
                thread.start()
            for thread in together:
                thread.join()
    assert [c.alive & set(one_by_one) for c in one_at_a_time.connections] == [{t} for t in one_by_one]
    assert any(len(c.alive & set(together)) > 1 for c in side_by_side.connections)


def test_executors_record_the_default_and_an_explicit_max_workers():
    with watch_executors() as log:
        with ThreadPoolExecutor() as default, ThreadPoolExecutor(max_workers=3) as three:
            default.submit(int).result()
            three.submit(int).result()
    assert [(r.requested, r.workers) for r in log.created] == [(None, min(32, (os.cpu_count() or 1) + 4)),
                                                              (3, 3)]
    assert log.created[0].took_the_default and not log.created[1].took_the_default
    assert log.with_fewer_workers_than(4) == [log.created[1]]
    assert ThreadPoolExecutor.__init__.__qualname__ == "ThreadPoolExecutor.__init__"  # the watch is removed
