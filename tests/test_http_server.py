"""Tests of the loopback latency server, and of the reference solutions of exercises 2 and 3."""
from __future__ import annotations

import importlib.util
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest

from grader.probes.http_server import LatencyServer, body_for

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def fetch(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_together(server: LatencyServer, paths: list[str]) -> list[bytes]:
    """Request `paths` from one thread each, all released at once by a barrier."""
    barrier = threading.Barrier(len(paths))
    bodies: list[bytes] = [b""] * len(paths)

    def client(index: int) -> None:
        barrier.wait()
        bodies[index] = fetch(server.url(paths[index]))

    clients = [threading.Thread(target=client, args=(i,)) for i in range(len(paths))]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    return bodies


def load_solution(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"solution_{name}", SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def thread_sum() -> ModuleType:
    return load_solution("exercise2_thread_sum")


@pytest.fixture(scope="module")
def url_fetcher() -> ModuleType:
    return load_solution("exercise3_url_fetcher")


def test_body_for_is_distinct_per_path_and_varies_in_length():
    bodies = {path: body_for(path) for path in ("/a", "/b", "/c", "/page/1", "/page/2")}
    assert len(set(bodies.values())) == len(bodies)
    assert len({len(body) for body in bodies.values()}) > 1
    assert body_for("/a") == body_for("/a")


def test_answers_with_the_body_of_the_path_after_the_latency():
    with LatencyServer(latency=0.2) as server:
        started = time.monotonic()
        body = fetch(server.url("/a"))
        elapsed = time.monotonic() - started
        [record] = server.requests

    assert body == body_for("/a")
    assert elapsed >= 0.2
    assert (record.path, record.status) == ("/a", 200)
    assert record.end - record.start >= 0.2
    assert record.thread


def test_per_path_latency_lets_a_later_request_finish_first():
    with LatencyServer(latency=0.0, latencies={"/slow": 0.3}) as server:
        slow = threading.Thread(target=fetch, args=(server.url("/slow"),))
        slow.start()
        assert server.wait_for_in_flight(1, timeout=5)
        assert fetch(server.url("/fast")) == body_for("/fast")
        slow.join()
        records = {record.path: record for record in server.requests}

    assert records["/fast"].end < records["/slow"].end
    assert records["/slow"].end - records["/slow"].start >= 0.3


def test_release_at_answers_every_request_once_that_many_are_in_flight():
    # A latency no test run waits out: the requests end only because the peak released them.
    with LatencyServer(latency=600, release_at=3) as server:
        bodies = fetch_together(server, ["/a", "/b", "/c"])
        later = fetch(server.url("/d"))
        peak = server.peak_in_flight()
    assert bodies == [body_for(path) for path in ("/a", "/b", "/c")] and later == body_for("/d")
    assert peak == 3


def test_below_release_at_requests_wait_out_their_latency():
    with LatencyServer(latency=0.2, release_at=3) as server:
        fetch_together(server, ["/a", "/b"])
        records = server.requests
    assert len(records) == 2 and all(record.end - record.start >= 0.2 for record in records)


def test_not_found_paths_answer_404():
    with LatencyServer(not_found={"/gone"}) as server:
        with pytest.raises(urllib.error.HTTPError) as raised:
            fetch(server.url("/gone"))
        raised.value.close()
        assert fetch(server.url("/here")) == body_for("/here")
        statuses = [record.status for record in server.requests]

    assert raised.value.code == 404
    assert statuses == [404, 200]


def test_a_stalled_path_makes_the_client_time_out():
    with LatencyServer(stalled={"/hang"}) as server:
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            fetch(server.url("/hang"), timeout=0.3)


def test_close_releases_a_stalled_request_and_leaves_no_thread():
    threads_before = set(threading.enumerate())
    server = LatencyServer(stalled={"/hang"}, stall_seconds=60)
    outcome: list[BaseException | bytes] = []

    def client() -> None:
        try:
            outcome.append(fetch(server.url("/hang")))
        except Exception as error:
            outcome.append(error)

    client_thread = threading.Thread(target=client)
    client_thread.start()
    assert server.wait_for_in_flight(1, timeout=5)

    closer = threading.Thread(target=server.close)
    closer.start()
    closer.join(timeout=10)
    assert not closer.is_alive(), "close() hangs while a stalled request is held"
    client_thread.join()

    assert isinstance(outcome[0], Exception), "a stalled request must not be answered"
    [record] = server.requests
    assert (record.path, record.status) == ("/hang", None)
    assert set(threading.enumerate()) <= threads_before


def test_peak_in_flight_is_one_for_sequential_requests():
    with LatencyServer(latency=0.05) as server:
        for path in ("/a", "/b", "/c"):
            fetch(server.url(path))
        assert server.peak_in_flight() == 1


def test_peak_in_flight_counts_concurrent_requests_exactly():
    paths = [f"/{i}" for i in range(4)]
    with LatencyServer(latency=0.3) as server:
        bodies = fetch_together(server, paths)
        assert server.peak_in_flight() == len(paths)
        assert sorted(record.path for record in server.requests) == sorted(paths)

    assert bodies == [body_for(path) for path in paths]


def test_reset_clears_the_log_and_the_peak():
    with LatencyServer(latency=0.3) as server:
        fetch_together(server, ["/a", "/b"])
        assert server.peak_in_flight() == 2
        server.reset()
        assert server.requests == []
        assert server.peak_in_flight() == 0
        fetch(server.url("/c"))
        assert [record.path for record in server.requests] == ["/c"]
        assert server.peak_in_flight() == 1


# The reference solutions, run against the server.

def test_solution_fetch_sequential(url_fetcher):
    paths = ["/x", "/y", "/z"]
    with LatencyServer(latency=0.05) as server:
        bodies = url_fetcher.fetch_sequential([server.url(path) for path in paths])
        assert server.peak_in_flight() == 1
    assert bodies == [body_for(path) for path in paths]
    assert url_fetcher.fetch_sequential([]) == []


def test_solution_fetch_concurrent_all_at_once_in_input_order(url_fetcher):
    paths = [f"/item/{i}" for i in range(8)]
    # Later URLs answer first, so input order is not the order of arrival.
    latencies = {path: 0.3 + 0.02 * (len(paths) - i) for i, path in enumerate(paths)}
    with LatencyServer(latencies=latencies) as server:
        bodies = url_fetcher.fetch_concurrent([server.url(path) for path in paths])
        assert server.peak_in_flight() == 8
    assert bodies == [body_for(path) for path in paths]


def test_solution_fetch_concurrent_respects_max_workers(url_fetcher):
    paths = [f"/item/{i}" for i in range(8)]
    with LatencyServer(latency=0.2) as server:
        bodies = url_fetcher.fetch_concurrent([server.url(path) for path in paths], max_workers=3)
        assert server.peak_in_flight() == 3
    assert bodies == [body_for(path) for path in paths]


def test_solution_fetch_concurrent_raises_the_first_failure_after_every_request(url_fetcher):
    paths = ["/ok/0", "/missing/1", "/ok/2", "/slow/3"]
    # The slow URL is still in flight when the 404 arrives: the error must wait for it.
    server = LatencyServer(latency=0.05, latencies={"/slow/3": 0.3}, not_found={"/missing/1"})
    with server:
        with pytest.raises(urllib.error.HTTPError) as raised:
            url_fetcher.fetch_concurrent([server.url(path) for path in paths])
        raised.value.close()
        assert sorted(record.path for record in server.requests) == sorted(paths)
    assert raised.value.code == 404
    assert raised.value.url.endswith("/missing/1")


def test_solution_fetch_concurrent_edge_cases(url_fetcher):
    assert url_fetcher.fetch_concurrent([]) == []
    with pytest.raises(ValueError, match="max_workers"):
        url_fetcher.fetch_concurrent(["http://127.0.0.1/"], max_workers=0)


@pytest.mark.parametrize(
    ("arr", "thread_count", "total"),
    [
        ([], 1, 0),
        ([], 3, 0),
        (list(range(1, 11)), 3, 55),
        ([5, 7], 8, 12),
        ([10**20, 1, -10**20], 2, 1),
        (range(1000), 4, 499500),
    ],
)
def test_solution_sum_using_threads(thread_sum, arr, thread_count, total):
    assert thread_sum.sum_using_threads(arr, thread_count) == total


def test_solution_sum_using_threads_starts_exactly_thread_count_threads(thread_sum, monkeypatch):
    started = []

    class CountingThread(threading.Thread):
        def start(self) -> None:
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Thread", CountingThread)
    assert thread_sum.sum_using_threads([1, 2], 5) == 3
    assert len(started) == 5
    assert not any(thread.is_alive() for thread in started)


def test_solution_sum_using_threads_rejects_no_threads(thread_sum):
    with pytest.raises(ValueError, match="thread_count"):
        thread_sum.sum_using_threads([1, 2], 0)
    assert thread_sum.ANSWER_GIL == "a"
