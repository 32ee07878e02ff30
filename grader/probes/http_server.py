"""A local HTTP server with controlled latency, for checking URL fetchers without the internet.

    with LatencyServer(latency=0.2, not_found={"/gone"}) as server:
        body = urllib.request.urlopen(server.url("/a")).read()   # == body_for("/a"), after 0.2 s
        server.peak_in_flight()                                   # 1

Every GET is answered after a fixed latency with a body derived from its path, so a check knows the
expected bodies in advance and can tell from the request log how many requests the code under test
had in flight at once.
"""
from __future__ import annotations

import socketserver
import sys
import threading
import time
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Taken once at import: code under test that patches `time` afterwards cannot skew the log.
_clock = time.monotonic


def body_for(path: str) -> bytes:
    """The body the server sends for `path`: distinct per path, its length varying with the path."""
    padding = "." * (zlib.crc32(path.encode()) % 64)
    return f"body of {path}\n{padding}".encode()


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server handled it; times are `time.monotonic` seconds."""

    path: str
    start: float
    end: float
    thread: str
    status: int | None  # None: a stalled request, released without an answer


class LatencyServer:
    """A threaded HTTP server on 127.0.0.1 that answers every GET after a fixed latency.

    Serving starts on construction, on an ephemeral port; `close()` (or leaving the `with` block)
    stops it and joins every thread it started.

    latency: seconds each request waits before its answer.
    latencies: per-path overrides of `latency`, e.g. to make later URLs answer first.
    not_found: paths answered with 404 (after the latency).
    stalled: paths never answered: the connection is held for `stall_seconds`, or until `close()`.
    release_at: once this many requests are in flight at once, every request held by its latency
        is answered at once, and later ones without waiting: a check that looks for that peak ends
        as soon as it is seen, and waits out the latencies only when it is not.
    """

    def __init__(
        self,
        latency: float = 0.0,
        *,
        latencies: Mapping[str, float] | None = None,
        not_found: Collection[str] = (),
        stalled: Collection[str] = (),
        stall_seconds: float = 60.0,
        release_at: int | None = None,
    ) -> None:
        self.latency = latency
        self.latencies = dict(latencies or {})
        self.not_found = frozenset(not_found)
        self.stalled = frozenset(stalled)
        self.stall_seconds = stall_seconds
        self.release_at = release_at
        self._requests: list[RequestRecord] = []
        self._in_flight = 0
        self._peak = 0
        self._changed = threading.Condition()
        # Stalls wait on this event and latencies on the next, so closing cuts both short.
        self._closing = threading.Event()
        self._answer_now = threading.Event()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            # shutdown() waits for the serving loop to notice it: a short poll keeps close() quick.
            kwargs={"poll_interval": 0.05},
            name="LatencyServer",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        """The full URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the log of finished requests, in the order they finished."""
        with self._changed:
            return list(self._requests)

    def peak_in_flight(self) -> int:
        """The largest number of requests handled at the same time since start or `reset()`."""
        with self._changed:
            return self._peak

    def wait_for_in_flight(self, count: int, timeout: float) -> bool:
        """Wait until `count` requests are handled at once; False if `timeout` passes first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight >= count, timeout)

    def reset(self) -> None:
        """Clear the request log and the peak, to reuse the server for another check."""
        with self._changed:
            self._requests.clear()
            self._peak = self._in_flight
            if not self._closing.is_set():
                self._answer_now.clear()

    def close(self) -> None:
        """Stop serving, release stalled requests and join every server thread."""
        with self._changed:  # not between reset()'s look at _closing and its clear
            self._closing.set()
            self._answer_now.set()
        self._httpd.shutdown()
        self._thread.join()
        self._httpd.server_close()

    def __enter__(self) -> LatencyServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _handle(self, path: str) -> int | None:
        """Hold one request as configured and log it; the status to answer, None for no answer."""
        start = self._enter()
        if path in self.stalled:
            self._closing.wait(self.stall_seconds)
            status = None
        else:
            self._answer_now.wait(self.latencies.get(path, self.latency))
            status = 404 if path in self.not_found else 200
        # Logged before the answer is sent, so a client that has its answer finds it in the log.
        self._leave(RequestRecord(path, start, _clock(), threading.current_thread().name, status))
        return status

    def _enter(self) -> float:
        with self._changed:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
            if self.release_at is not None and self._in_flight >= self.release_at:
                self._answer_now.set()
            self._changed.notify_all()
            return _clock()

    def _leave(self, record: RequestRecord) -> None:
        with self._changed:
            self._in_flight -= 1
            self._requests.append(record)


class _HTTPServer(ThreadingHTTPServer):
    # One connection per client thread: the default backlog of 5 would make a burst of concurrent
    # connects wait for a SYN retransmit (1 s), hiding the clients' real concurrency.
    request_queue_size = 128
    # server_close() joins only non-daemon handler threads (block_on_close), and close() must leave
    # no thread behind. Every handler ends within its latency, its stall (cut short by close()) or
    # its read timeout, so even a forgotten close() delays interpreter exit only that long.
    daemon_threads = False

    def __init__(self, owner: LatencyServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn): that can stall without a network.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up on a slow answer (its timeout) closes the socket under the handler.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # Bounds how long a connection that never sends its request can keep close() waiting.
    timeout = 5.0

    server: _HTTPServer

    def do_GET(self) -> None:
        status = self.server.owner._handle(self.path)
        if status is None:
            self.close_connection = True
            return
        body = body_for(self.path) if status == 200 else b"not found\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the grader's output free of one access-log line per request."""
