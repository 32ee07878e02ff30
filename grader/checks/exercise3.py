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

from grader.feedback import CHECK_HINT, shown
from grader.feedback import english_check as check, english_fail as fail
from grader.feedback import english_fail_without_concurrency as fail_without_concurrency
from grader.probes.connections import ConnectionLog, watch_connections
from grader.probes.executors import ExecutorLog, watch_executors
from grader.probes.http_server import LatencyServer, body_for
from grader.probes.threads import ThreadLog, target_mistake_feedback, watch_threads
from grader.submission import describe_exception
from grader.validation import check_rejects

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
    """Call the student's fetcher under the probes, timing it."""
    with _watching() as fetch:
        start = _clock()
        fetch.result = function(urls, **kwargs)
        fetch.elapsed = _clock() - start
    return fetch


def _call(n: int, max_workers: int | None = None, what: str = "URLs") -> str:
    return f"fetch_concurrent(<{n} {what}>" + (f", max_workers={max_workers})" if max_workers else ")")


THREADS_REQUEST = ("each request made by a thread the function started (one thread per URL, or the "
                   "worker threads of an executor)")


def _require_requests_from_threads(fetch: Fetch, call: str) -> None:
    """Fail for no concurrent work unless a thread the call started made at least one request."""
    __tracebackhide__ = True
    if fetch.requesting_threads():
        return
    own = fetch.own
    mistake = target_mistake_feedback(own)
    if mistake:
        why = f" {mistake}"
    elif not own.started:
        why = " It started no thread."
    else:
        why = f" The {len(own.started)} threads it started made no request."
    by_caller = (" Every request was made by the calling thread, one after another."
                 if fetch.requests_by_the_caller() else "")
    fail_without_concurrency(f"{call} made no request from a thread it started.{why}{by_caller}",
                             THREADS_REQUEST)


def _in_flight(peak: int, expected: int) -> str:
    return f"peak {peak} request{'s' if peak != 1 else ''} in flight of {expected} expected"


SEQUENTIAL_HINT = ("Starting and joining each thread in the same loop waits for every request before "
                   "sending the next one: start all the threads first, then join them all.")
EXECUTOR_DEFAULT_HINT = ("An executor's default is not one thread per URL: when max_workers is None, create "
                         "it with ThreadPoolExecutor(max_workers=len(urls)) (after returning [] for an "
                         "empty list), and with max_workers otherwise.")


def _why_fewer_in_flight(fetch: Fetch, count: int) -> tuple[str, str]:
    """Why fewer than `count` requests were in flight together, as the probes saw it, and a hint
    about that cause."""
    small = fetch.executors.with_fewer_workers_than(count)
    if small and small[0].took_the_default:
        workers = small[0].workers
        return (f" Your ThreadPoolExecutor was created without max_workers, so it took its default number "
                f"of worker threads, min(32, os.cpu_count() + 4): {workers} on this machine. At most "
                f"{workers} requests could be in flight at once.", EXECUTOR_DEFAULT_HINT)
    if small:
        return (f" Your ThreadPoolExecutor was created with max_workers={shown(small[0].requested)}, so at "
                f"most {small[0].workers} requests could be in flight at once.",
                "Create the executor with max_workers=len(urls) when max_workers is None, and with "
                "max_workers otherwise.")
    requesting = fetch.requesting_threads()
    if fetch.threads_ran_one_at_a_time():
        return (f" Each of the {len(requesting)} threads that made a request had ended before the next "
                "one was started.", SEQUENTIAL_HINT)
    by_caller = fetch.requests_by_the_caller()
    if by_caller:
        return (f" {by_caller} of the requests were made by the calling thread itself, each waiting for "
                "the previous one.", CHECK_HINT)
    if len(requesting) < count:
        return (f" Only {len(requesting)} threads made requests, so at most {len(requesting)} requests "
                "could be in flight at once.",
                "With max_workers=None start one thread per URL; with max_workers=k, k requests must be "
                "able to run at once.")
    return (f" {len(requesting)} threads made the requests, but they waited for each other: something they "
            "share (a lock, a semaphore, a queue) let fewer through at a time.",
            "Limit the requests only as max_workers asks: a threading.Semaphore(max_workers) shared by "
            "the threads, and nothing that makes them wait when max_workers is None.")


class BodiesProblem(NamedTuple):
    """Why a result is not the expected list of bodies; `order_only` when only the order is wrong."""

    text: str
    order_only: bool = False


def _bodies_problem(got, urls: list[str], paths: list[str], *, ordered: bool) -> BodiesProblem | None:
    """Why `got` is not the list of bodies of `urls` (in order, when `ordered`), or None."""
    expected = [body_for(path) for path in paths]
    if not isinstance(got, list):
        return BodiesProblem(f"returned {type(got).__name__} {shown(got)}, not a list of bodies.")
    if len(got) != len(expected):
        return BodiesProblem(f"returned {len(got)} bodies for {len(urls)} URLs.")
    if any(body is None for body in got):
        missing = [i for i, body in enumerate(got) if body is None]
        return BodiesProblem(f"returned None at positions {shown(missing)}.")
    if any(isinstance(body, str) for body in got):
        return BodiesProblem("returned str bodies: keep the bytes that read() gives, without decoding them.")
    if not all(isinstance(body, bytes) for body in got):
        odd = next(body for body in got if not isinstance(body, bytes))
        return BodiesProblem(f"returned a {type(odd).__name__} ({shown(odd)}) among the bodies, not bytes.")
    if got == expected:
        return None
    if sorted(got) == sorted(expected):
        if not ordered:
            return None
        order = [expected.index(body) for body in got]
        return BodiesProblem(f"returned the right bodies in another order: the bodies of urls{order}. That "
                             "is the order in which the server answered, not the order of the URLs.", True)
    wrong = [i for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    return BodiesProblem(f"returned wrong bodies at positions {shown(wrong)}, e.g. {shown(got[wrong[0]])}.")


def test_read_url_returns_the_exact_body(target, serve, thresholds):
    server = serve()
    for path in thresholds["paths"]:
        for kwargs in ({}, {"timeout": 5.0}):
            got = target(server.url(path), **kwargs)
            call = f"read_url({server.url(path)!r}{', timeout=5.0' if kwargs else ''})"
            if isinstance(got, str):
                fail(f"{call} returned a str: the body was decoded.",
                     "the raw bytes of the body, as response.read() returns them", CHECK_HINT)
            check(isinstance(got, bytes) and got == body_for(path), f"{call} returned {shown(got)}.",
                  f"{body_for(path)!r}", CHECK_HINT)


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
        fail(f"read_url(url, timeout={timeout:g}) was still waiting after {allowed:g} s for a server "
             f"that never answers (it stalls for {stall:g} s): read_url ignored its timeout.",
             f"a timeout error after about {timeout:g} s", CHECK_HINT)
    helper.join()
    error = outcome.get("error")
    if error is None:
        fail(f"read_url(url, timeout={timeout:g}) returned {shown(outcome.get('result'))} for a server "
             "that never answered: the timeout error was caught.",
             "a timeout error, raised out of read_url (do not catch it there)")
    timed_out = isinstance(error, TimeoutError) or (
        isinstance(error, urllib.error.URLError) and isinstance(error.reason, TimeoutError))
    if not timed_out:
        raise error


def test_fetch_sequential_returns_bodies_in_order_one_request_at_a_time(target, serve, thresholds):
    paths = [f"/seq/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    got = target(urls)
    call = f"fetch_sequential(<{len(urls)} URLs>)"
    problem = _bodies_problem(got, urls, paths, ordered=True)
    if problem:
        fail(f"{call} {problem.text}", "the bodies of the URLs, in the order of the URLs",
             CHECK_HINT if problem.order_only else "")
    peak = server.peak_in_flight()
    check(peak == 1, f"{call}: the server had {_in_flight(peak, 1)}.",
          "one request at a time: the next one sent after the previous body has been read",
          "fetch_sequential is the baseline that fetch_concurrent is compared with: no threads here.")
    empty = target([])
    check(isinstance(empty, list) and empty == [], f"fetch_sequential([]) returned {shown(empty)}.", "[]",
          CHECK_HINT)


def test_fetch_concurrent_returns_bodies_in_input_order(target, serve, thresholds):
    paths = [f"/order/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    problem = _bodies_problem(_fetch(target, urls).result, urls, paths, ordered=True)
    if problem:
        fail(f"fetch_concurrent(<{len(urls)} URLs, the first answered last>) {problem.text}",
             "the bodies in the order of the URLs, whichever request finishes first",
             CHECK_HINT if problem.order_only else "")


def _check_bodies(fetch: Fetch, call: str, urls: list[str], paths: list[str]) -> None:
    """Fail unless the call returned the bodies of `urls`, in any order (other checks judge it)."""
    __tracebackhide__ = True
    problem = _bodies_problem(fetch.result, urls, paths, ordered=False)
    if problem:
        fail(f"{call} {problem.text}", "the bodies of the URLs")


def test_fetch_concurrent_has_every_request_in_flight_at_once(target, serve, thresholds):
    for n, workers, latency in thresholds["cases"]:
        server = serve(latency)
        paths = [f"/all/{workers}/{i}" for i in range(n)]
        urls = [server.url(path) for path in paths]
        call = _call(n, workers)
        fetch = _fetch(target, urls, **({} if workers is None else {"max_workers": workers}))
        _require_requests_from_threads(fetch, call)
        _check_bodies(fetch, call, urls, paths)
        count = n if workers is None else workers
        peak = server.peak_in_flight()
        if peak < count:
            why, hint = _why_fewer_in_flight(fetch, count)
            fail(f"{call}: the server saw {_in_flight(peak, count)}.{why}",
                 f"all {n} requests in flight at the same time (one thread per URL when max_workers is None)"
                 if workers is None else f"{workers} requests in flight at the same time", hint)


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
    why, hint = _why_fewer_in_flight(fetch, n) if peak < n else ("", CHECK_HINT)
    fail(f"{call} took {fetch.elapsed:.2f} s, while the server needed {one_at_a_time:.2f} s to answer "
         f"them one after another: only {one_at_a_time / fetch.elapsed:.1f} times faster "
         f"({_in_flight(peak, n)}).{why}",
         f"at least {factor} times faster than one request at a time", hint)


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
        check(peak <= workers,
              f"{call}: the server saw {peak} requests in flight at once, more than max_workers.",
              f"at most {workers} request{'s' if workers > 1 else ''} in flight at any moment", CHECK_HINT)


def test_fetch_concurrent_of_an_empty_list_is_empty(target):
    for kwargs in ({}, {"max_workers": 2}):
        got = _fetch(target, [], **kwargs).result
        given = "".join(f", {key}={value!r}" for key, value in kwargs.items())
        check(isinstance(got, list) and got == [], f"fetch_concurrent([]{given}) returned {shown(got)}.",
              "[]", CHECK_HINT)


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


def _describe_error(error: BaseException, urls: list[str]) -> str:
    if isinstance(error, urllib.error.HTTPError):
        where = f"urls[{urls.index(error.url)}]" if error.url in urls else shown(error.url)
        return f"HTTPError {shown(error.code)} of {where}"
    if isinstance(error, urllib.error.URLError):
        if isinstance(error.reason, ConnectionRefusedError):
            refused = [i for i, url in enumerate(urls) if url.endswith("/refused")]
            return f"URLError (connection refused) of urls[{refused[0]}]"
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
        call = _call(len(urls), what=f"URLs, urls{failing} failing")
        expected = (f"the URLError (connection refused) of urls[{first}]" if urls[first] == refused_url
                    else f"the HTTPError 404 of urls[{first}]")
        expected += ": the first failing URL in input order, whichever failure happens first"
        try:
            got = _fetch(target, urls).result
        except OSError as error:  # URLError, HTTPError and timeouts; other errors are the student's
            try:
                check(_is_error_of(error, urls, first),
                      f"{call} raised the {_describe_error(error, urls)}.", expected, CHECK_HINT)
            finally:
                _close(error)
            continue
        nones = [i for i, body in enumerate(got) if body is None] if isinstance(got, list) else []
        fail(f"{call} returned instead of raising"
             + (f": the failed URLs became None at positions {nones}, so the caller cannot tell "
                "what went wrong." if nones else f" {shown(got)}."),
             expected,
             "Catch the error inside the thread only to hand it to the caller: keep it, and raise it "
             "after joining the threads.")


def test_fetch_concurrent_raises_only_after_every_request_has_finished(
        target, serve, refused_url, thresholds):
    server = _error_server(serve, thresholds)
    urls, _ = _failing_batches(server, refused_url)[0]
    call = _call(len(urls), what="URLs, some failing")
    on_server = {u.removeprefix(server.url("")): i for i, u in enumerate(urls) if u != refused_url}
    error = None
    with _watching() as fetch:
        try:
            target(urls)
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
    how = "raised" if error is not None else "returned"
    unanswered = {path: i for path, i in on_server.items() if path not in answered}
    if unanswered:
        later = {record.path for record in server.requests}
        in_flight = sorted(i for path, i in unanswered.items() if path in later)
        never = sorted(i for path, i in unanswered.items() if path not in later)
        fail(f"{call} {how} while "
             + " and ".join(filter(None, [
                 f"the requests of urls{in_flight} were still in flight" if in_flight else "",
                 f"the requests of urls{never} had not been sent (and never were)" if never else ""]))
             + ".",
             "every request made and finished before the error is raised: a failure does not cut "
             "the other requests short", CHECK_HINT)
    check(not running and not not_joined,
          f"{call} {how} while {len(not_joined)} of its {len(own.started)} threads had not been joined"
          + (f" ({len(running)} still running)." if running else "."),
          "every thread joined before the error is raised", CHECK_HINT)


def test_fetch_concurrent_joins_every_thread_it_starts(target, serve, thresholds):
    paths = [f"/join/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    call = _call(len(urls))
    fetch = _fetch(target, urls)
    _require_requests_from_threads(fetch, call)
    own = fetch.own
    not_joined, running = own.not_joined(), own.alive_at_return
    check(not not_joined and not running,
          f"{call} returned without joining {len(not_joined)} of its {len(own.started)} threads"
          + (f"; {len(running)} were still running." if running else "."),
          "join() called on every started thread before returning", CHECK_HINT)


def test_fetch_concurrent_rejects_max_workers_below_one(target, serve):
    url = serve().url("/one")
    check_rejects(target, "max_workers", urls=[url], max_workers=0)
    check_rejects(target, "max_workers", urls=[url], max_workers=-1)
