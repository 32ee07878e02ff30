"""Checks of exercise3, the URL fetcher. Each test is one catalog entry of exercise3.yaml.

Every check starts its own `LatencyServer` on loopback: it answers each path after a chosen latency
with a body known in advance, and counts how many requests it is handling at once. That count (the
peak in flight) is the evidence of concurrency; elapsed times are only ever compared with times
measured in the same run (the server's own request durations), never with a fixed number of seconds.

The checks of how `fetch_concurrent` works (kind `concurrency`) first make sure that its requests
were made from threads it started (its own, or an executor's workers), seen by the thread that opened
each connection: a plain loop keeps at most one request in flight, never raises early and joins
nothing, and earns none of those checks' points.
"""
from __future__ import annotations

import socket
import threading
import time
import urllib.error
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, NamedTuple

import pytest

from grader.feedback import CHECK_HINT, check, fail, fail_without_concurrency, shown
from grader.messages import Message, msg
from grader.probes.connections import ConnectionLog, watch_connections
from grader.probes.executors import ExecutorLog, watch_executors
from grader.probes.http_server import LatencyServer, body_for
from grader.probes.threads import ThreadLog, target_mistake, watch_threads
from grader.submission import describe_exception

# Taken at import: a submission that patches `time` cannot skew the measurements.
_clock = time.perf_counter


@pytest.fixture
def serve():
    """Start `LatencyServer`s for the running check; all are closed when it ends."""
    servers = []

    def start(latency: float = 0.0, **options) -> LatencyServer:
        server = LatencyServer(latency, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def refused_url():
    """A loopback URL whose connection is refused: its port is bound (so nothing else takes it) but
    not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/refused"


def _own_threads(log: ThreadLog) -> ThreadLog:
    """The part of `log` about the threads the call started (directly, or from its own threads),
    leaving out the server's handler threads, which start while the call runs."""
    ours, started = {log.caller}, []
    for record in log.started:
        if record.started_by in ours:
            started.append(record)
            ours.add(record.thread.ident)
    kept = {id(record) for record in started}
    return ThreadLog(log.caller, started, log.joined, log.crashed,
                     [record for record in log.alive_at_return if id(record) in kept])


@dataclass
class Fetch:
    """One call of the student's fetcher as the probes saw it."""

    threads: ThreadLog
    connections: ConnectionLog
    executors: ExecutorLog
    result: object = None
    elapsed: float = 0.0

    @property
    def own(self) -> ThreadLog:
        """The threads the call started, without the server's."""
        return _own_threads(self.threads)

    def _own_thread_objects(self) -> set[threading.Thread]:
        return {record.thread for record in self.own.started}

    def requesting_threads(self) -> set[threading.Thread]:
        """The threads of the call that opened a connection."""
        return self.connections.threads() & self._own_thread_objects()

    def requests_by_the_caller(self) -> int:
        """How many connections the calling thread opened itself."""
        own = self._own_thread_objects()
        return sum(1 for connection in self.connections.connections if connection.thread not in own)

    def threads_ran_one_at_a_time(self) -> bool:
        """Whether the call's threads requested one after another: at each of their connections no
        other thread of the call was alive (each was joined before the next was started)."""
        own = self._own_thread_objects()
        made = [c for c in self.connections.connections if c.thread in own]
        return len(made) > 1 and all(c.alive & own == {c.thread} for c in made)


@contextmanager
def _watching() -> Iterator[Fetch]:
    """Watch threads, connections and executors while the block calls the student's fetcher."""
    with watch_threads() as threads, watch_connections() as connections, watch_executors() as executors:
        yield Fetch(threads, connections, executors)


def _fetch(function, urls, **kwargs) -> Fetch:
    """Call the student's fetcher under the probes, timing it. It is given a copy of `urls`: a fetcher
    that writes its bodies into the list it was given must not change the grader's."""
    with _watching() as fetch:
        start = _clock()
        fetch.result = function(list(urls), **kwargs)
        fetch.elapsed = _clock() - start
    return fetch


def _call(n: int, max_workers: int | None = None) -> Message:
    return msg("fetch.call", n=n, workers=f", max_workers={max_workers}" if max_workers else "")


def _require_requests_from_threads(fetch: Fetch, call: Message) -> None:
    """Fail for no concurrent work unless a thread the call started made at least one request."""
    __tracebackhide__ = True
    if fetch.requesting_threads():
        return
    own = fetch.own
    why = target_mistake(own) or (msg("fetch.threads_made_no_request", started=len(own.started)) if own.started
                                  else msg("fetch.no_thread_started"))
    by_caller = msg("fetch.caller_requested") if fetch.requests_by_the_caller() else ""
    fail_without_concurrency("fetch.no_request_from_threads", call=call, why=why, by_caller=by_caller)


def _in_flight(peak: int, expected: int) -> Message:
    return msg("fetch.in_flight", peak=peak, expected=expected)


class FewerInFlight(NamedTuple):
    """Why fewer requests than expected were in flight together, and a hint about that cause (a
    message, or CHECK_HINT when the cause is what the check's catalog hint is about)."""

    why: Message | str
    hint: object


def _why_fewer_in_flight(fetch: Fetch, count: int) -> FewerInFlight:
    """Why fewer than `count` requests were in flight together, as the probes saw it."""
    small = fetch.executors.with_fewer_workers_than(count)
    if small and small[0].took_the_default:
        return FewerInFlight(msg("fetch.why.executor_default", workers=small[0].workers),
                             msg("fetch.hint.executor_default"))
    if small:
        return FewerInFlight(msg("fetch.why.executor_small", requested=shown(small[0].requested),
                                 workers=small[0].workers), msg("fetch.hint.executor_workers"))
    requesting = len(fetch.requesting_threads())
    if fetch.threads_ran_one_at_a_time():
        return FewerInFlight(msg("fetch.why.one_at_a_time", threads=requesting), msg("fetch.hint.sequential"))
    by_caller = fetch.requests_by_the_caller()
    if by_caller:
        return FewerInFlight(msg("fetch.why.by_caller", requests=by_caller), CHECK_HINT)
    if requesting < count:
        return FewerInFlight(msg("fetch.why.too_few_threads", threads=requesting), msg("fetch.hint.thread_per_url"))
    return FewerInFlight(msg("fetch.why.waited", threads=requesting), msg("fetch.hint.semaphore"))


class BodiesProblem(NamedTuple):
    """Why a result is not the expected list of bodies; `order_only` when only the order is wrong."""

    message: Message
    order_only: bool = False

    def hint(self) -> object:
        """The check's own hint is about the order of the bodies: only a wrong order gets it."""
        return CHECK_HINT if self.order_only else None


def _bodies_problem(got, urls: list[str], paths: list[str], *, ordered: bool) -> BodiesProblem | None:
    """Why `got` is not the list of bodies of `urls` (in order, when `ordered`), or None."""
    expected = [body_for(path) for path in paths]
    if not isinstance(got, list):
        return BodiesProblem(msg("fetch.bodies.not_a_list", kind=type(got).__name__, got=shown(got)))
    if len(got) != len(expected):
        return BodiesProblem(msg("fetch.bodies.wrong_count", bodies=len(got), urls=len(urls)))
    if any(body is None for body in got):
        missing = [i for i, body in enumerate(got) if body is None]
        return BodiesProblem(msg("fetch.bodies.none", positions=shown(missing)))
    if any(isinstance(body, str) for body in got):
        return BodiesProblem(msg("fetch.bodies.str"))
    if not all(isinstance(body, bytes) for body in got):
        odd = next(body for body in got if not isinstance(body, bytes))
        return BodiesProblem(msg("fetch.bodies.not_bytes", kind=type(odd).__name__, got=shown(odd)))
    if got == expected:
        return None
    if sorted(got) == sorted(expected):
        if not ordered:
            return None
        order = [expected.index(body) for body in got]
        return BodiesProblem(msg("fetch.bodies.other_order", order=str(order)), True)
    wrong = [i for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    return BodiesProblem(msg("fetch.bodies.wrong", positions=shown(wrong), example=shown(got[wrong[0]])))


def test_read_url_returns_the_exact_body(target, serve, thresholds):
    server = serve()
    for path in thresholds["paths"]:
        for kwargs in ({}, {"timeout": 5.0}):
            got = target(server.url(path), **kwargs)
            call = f"read_url({server.url(path)!r}{', timeout=5.0' if kwargs else ''})"
            if isinstance(got, str):
                fail("fetch.read_url.decoded", call=call, hint=CHECK_HINT)
            check(isinstance(got, bytes) and got == body_for(path), "fetch.read_url.wrong", call=call,
                  got=shown(got), expected=repr(body_for(path)), hint=CHECK_HINT)


def test_read_url_gives_up_after_its_timeout(target, serve, thresholds):
    timeout, stall = thresholds["timeout_s"], thresholds["stall_s"]
    allowed = timeout * thresholds["max_factor"]
    server = serve(stalled={"/stalled"}, stall_seconds=stall)
    url = server.url("/stalled")
    outcome: dict = {}
    returned = threading.Event()

    def call() -> None:
        try:
            outcome["result"] = target(url, timeout=timeout)
        except BaseException as error:  # noqa: BLE001 - judged (or re-raised) by the check below
            outcome["error"] = error
        finally:
            returned.set()

    # In a helper thread, so that a read_url that ignores its timeout cannot hang the whole check.
    helper = threading.Thread(target=call, name="read_url-with-timeout", daemon=True)
    helper.start()
    if not returned.wait(allowed):
        server.close()  # ends the stalled request, which releases the helper thread
        helper.join(allowed)
        fail("fetch.read_url.ignored_timeout", timeout=timeout, allowed=allowed, stall=stall, hint=CHECK_HINT)
    helper.join()
    error = outcome.get("error")
    if error is None:
        fail("fetch.read_url.caught_timeout", timeout=timeout, got=shown(outcome.get("result")))
    timed_out = isinstance(error, TimeoutError) or (
        isinstance(error, urllib.error.URLError) and isinstance(error.reason, TimeoutError))
    if not timed_out:
        raise error


def test_fetch_sequential_returns_bodies_in_order_one_request_at_a_time(target, serve, thresholds):
    paths = [f"/seq/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    got = target(list(urls))
    call = msg("fetch.call_sequential", n=len(urls))
    problem = _bodies_problem(got, urls, paths, ordered=True)
    if problem:
        fail("fetch.sequential.bodies", call=call, problem=problem.message, hint=problem.hint())
    peak = server.peak_in_flight()
    check(peak == 1, "fetch.sequential.concurrent", call=call, in_flight=_in_flight(peak, 1))
    empty = target([])
    check(isinstance(empty, list) and empty == [], "fetch.sequential.empty", got=shown(empty), hint=CHECK_HINT)


def test_fetch_concurrent_returns_bodies_in_input_order(target, serve, thresholds):
    paths = [f"/order/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    problem = _bodies_problem(_fetch(target, urls).result, urls, paths, ordered=True)
    if problem:
        fail("fetch.ordered_bodies", call=msg("fetch.call_first_last", n=len(urls)), problem=problem.message,
             hint=problem.hint())


def _check_bodies(fetch: Fetch, call: Message, urls: list[str], paths: list[str]) -> None:
    """Fail unless the call returned the bodies of `urls`, in any order (other checks judge it)."""
    __tracebackhide__ = True
    problem = _bodies_problem(fetch.result, urls, paths, ordered=False)
    if problem:
        fail("fetch.bodies", call=call, problem=problem.message)


def test_fetch_concurrent_has_every_request_in_flight_at_once(target, serve, thresholds):
    for n, workers, latency in thresholds["cases"]:
        count = n if workers is None else workers
        server = serve(latency, release_at=count)
        paths = [f"/all/{workers}/{i}" for i in range(n)]
        urls = [server.url(path) for path in paths]
        call = _call(n, workers)
        fetch = _fetch(target, urls, **({} if workers is None else {"max_workers": workers}))
        _require_requests_from_threads(fetch, call)
        _check_bodies(fetch, call, urls, paths)
        peak = server.peak_in_flight()
        if peak < count:
            fewer = _why_fewer_in_flight(fetch, count)
            fail("fetch.all_in_flight" if workers is None else "fetch.workers_in_flight", call=call,
                 in_flight=_in_flight(peak, count), why=fewer.why, n=n, workers=workers, hint=fewer.hint)


def test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time(target, serve, thresholds, request):
    n, factor = thresholds["urls"], thresholds["min_speedup"]
    server = serve(thresholds["latency"])
    paths = [f"/fast/{i}" for i in range(n)]
    urls = [server.url(path) for path in paths]
    call = _call(n)
    # A correct fetcher is far above the factor; the retries only absorb a scheduling hiccup, which
    # cannot explain requests that went strictly one at a time.
    for _ in range(thresholds["attempts"]):
        server.reset()
        fetch = _fetch(target, urls)
        _require_requests_from_threads(fetch, call)
        _check_bodies(fetch, call, urls, paths)
        # What fetching them one after another costs, measured by the server in this same run.
        one_at_a_time = sum(record.end - record.start for record in server.requests)
        request.node.user_properties.append(("details", ("speed", [
            {"what": "one_at_a_time", "seconds": round(one_at_a_time, 4)},
            {"what": "concurrent", "seconds": round(fetch.elapsed, 4)}])))
        if one_at_a_time >= factor * fetch.elapsed:
            return
        peak = server.peak_in_flight()
        if peak <= 1:
            break
    fewer = _why_fewer_in_flight(fetch, n) if peak < n else FewerInFlight("", CHECK_HINT)
    fail("fetch.too_slow", call=call, elapsed=fetch.elapsed, one_at_a_time=one_at_a_time,
         speedup=one_at_a_time / fetch.elapsed, in_flight=_in_flight(peak, n), why=fewer.why, factor=factor,
         hint=fewer.hint)


def test_fetch_concurrent_never_exceeds_max_workers(target, serve, thresholds):
    for n, workers in thresholds["sizes"]:
        server = serve(thresholds["latency"])
        paths = [f"/cap/{workers}/{i}" for i in range(n)]
        urls = [server.url(path) for path in paths]
        call = _call(n, workers)
        fetch = _fetch(target, urls, max_workers=workers)
        # With max_workers=1 a plain loop is a right way to keep one request in flight.
        if workers > 1:
            _require_requests_from_threads(fetch, call)
        _check_bodies(fetch, call, urls, paths)
        peak = server.peak_in_flight()
        check(peak <= workers, "fetch.exceeds_max_workers", call=call, peak=peak, workers=workers, hint=CHECK_HINT)


def test_fetch_concurrent_of_an_empty_list_is_empty(target):
    for kwargs in ({}, {"max_workers": 2}):
        got = _fetch(target, [], **kwargs).result
        given = "".join(f", {key}={value!r}" for key, value in kwargs.items())
        check(isinstance(got, list) and got == [], "fetch.empty", given=given, got=shown(got), hint=CHECK_HINT)


def _failing_batches(server: LatencyServer, refused: str):
    """(urls, index of the first failing URL in input order) pairs, each arranged so that another
    failure completes before (or after) the first one in input order."""
    def url(path: str) -> str:
        return refused if path == "refused" else server.url(path)
    # The 404 of index 1 arrives after the refusal of index 3 and before the 404 of index 5.
    first = ["/ok/0", "/missing/1", "/ok/2", "refused", "/ok/4", "/missing/5"]
    # The refusal of index 1 comes first, and the 404 of index 2 after it.
    second = ["/ok/0", "refused", "/missing/2", "/ok/3"]
    return [([url(p) for p in first], 1), ([url(p) for p in second], 1)]


def _error_server(serve, thresholds) -> LatencyServer:
    return serve(thresholds["ok_latency"],
                 latencies={"/missing/1": thresholds["early_failure_latency"],
                            "/missing/5": thresholds["late_failure_latency"]},
                 not_found={"/missing/1", "/missing/2", "/missing/5"})


def _describe_error(error: BaseException, urls: list[str]) -> Message | str:
    """The error as the feedback names it: which URL's it is, when the error tells."""
    if isinstance(error, urllib.error.HTTPError):
        where = f"urls[{urls.index(error.url)}]" if error.url in urls else shown(error.url)
        return msg("fetch.error.http", code=shown(error.code), where=where)
    if isinstance(error, urllib.error.URLError):
        if isinstance(error.reason, ConnectionRefusedError):
            refused = [i for i, url in enumerate(urls) if url.endswith("/refused")]
            return msg("fetch.error.refused", index=refused[0])
        return f"URLError ({shown(error.reason)})"
    return describe_exception(error)


def _is_error_of(error: BaseException, urls: list[str], index: int) -> bool:
    if urls[index].endswith("/refused"):
        return (isinstance(error, urllib.error.URLError)
                and not isinstance(error, urllib.error.HTTPError)
                and isinstance(error.reason, ConnectionRefusedError))
    return (isinstance(error, urllib.error.HTTPError) and error.code == 404
            and error.url == urls[index])


def _close(error: BaseException | None) -> None:
    """Release the connection an HTTPError keeps open."""
    if isinstance(error, urllib.error.HTTPError):
        error.close()


def test_fetch_concurrent_raises_the_first_failing_urls_error_in_input_order(
        target, serve, refused_url, thresholds):
    server = _error_server(serve, thresholds)
    for urls, first in _failing_batches(server, refused_url):
        server.reset()
        failing = [i for i, u in enumerate(urls) if "/missing/" in u or u == refused_url]
        call = msg("fetch.call_failing", n=len(urls), failing=str(failing))
        expected = msg("fetch.first_error.refused" if urls[first] == refused_url else "fetch.first_error.not_found",
                       first=first)
        try:
            got = _fetch(target, urls).result
        except OSError as error:  # URLError, HTTPError and timeouts; other errors are the student's
            try:
                check(_is_error_of(error, urls, first), "fetch.wrong_error", call=call,
                      error=_describe_error(error, urls), expected=expected, hint=CHECK_HINT)
            finally:
                _close(error)
            continue
        nones = [i for i, body in enumerate(got) if body is None] if isinstance(got, list) else []
        if nones:
            fail("fetch.errors_became_none", call=call, nones=str(nones), expected=expected)
        fail("fetch.returned_instead_of_raising", call=call, got=shown(got), expected=expected)


def test_fetch_concurrent_raises_only_after_every_request_has_finished(
        target, serve, refused_url, thresholds):
    server = _error_server(serve, thresholds)
    urls, _ = _failing_batches(server, refused_url)[0]
    call = msg("fetch.call_some_failing", n=len(urls))
    on_server = {u.removeprefix(server.url("")): i for i, u in enumerate(urls) if u != refused_url}
    error = None
    with _watching() as fetch:
        try:
            target(list(urls))
        except OSError as raised:  # only the moment control comes back matters here
            error = raised
        answered = {record.path for record in server.requests}
        own = fetch.own
        running = [record for record in own.started if record.thread.is_alive()]
        not_joined = own.not_joined()
    _close(error)
    for record in running:  # let them finish, to tell requests still in flight from those never sent
        record.thread.join(5.0)
    _require_requests_from_threads(fetch, call)
    how = msg("fetch.how.raised" if error is not None else "fetch.how.returned")
    unanswered = {path: i for path, i in on_server.items() if path not in answered}
    if unanswered:
        later = {record.path for record in server.requests}
        in_flight = sorted(i for path, i in unanswered.items() if path in later)
        never = sorted(i for path, i in unanswered.items() if path not in later)
        fail("fetch.cut_short", call=call, how=how, pending=_pending(in_flight, never), hint=CHECK_HINT)
    check(not running and not not_joined, "fetch.raised_before_join", call=call, how=how,
          not_joined=len(not_joined), started=len(own.started),
          running=msg("fetch.still_running_aside", running=len(running)) if running else "", hint=CHECK_HINT)


def _pending(in_flight: list[int], never: list[int]) -> Message:
    """Which requests were still in flight and which were never sent (at least one of them)."""
    still = msg("fetch.pending.in_flight", indexes=str(in_flight))
    unsent = msg("fetch.pending.never_sent", indexes=str(never))
    if in_flight and never:
        return msg("fetch.pending.both", in_flight=still, never_sent=unsent)
    return still if in_flight else unsent


def test_fetch_concurrent_joins_every_thread_it_starts(target, serve, thresholds):
    paths = [f"/join/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    call = _call(len(urls))
    fetch = _fetch(target, urls)
    _require_requests_from_threads(fetch, call)
    own = fetch.own
    not_joined, running = own.not_joined(), own.alive_at_return
    check(not not_joined and not running, "fetch.not_joined", call=call, not_joined=len(not_joined),
          started=len(own.started), running=msg("fetch.still_running", running=len(running)) if running else "",
          hint=CHECK_HINT)
