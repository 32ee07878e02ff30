"""Checks of exercise3, the URL fetcher. Each test is one catalog entry of exercise3.yaml.

Every check starts its own `LatencyServer` on loopback: it answers each path after a chosen latency
with a body known in advance, and counts how many requests it is handling at once. That count (the
peak in flight) is the evidence of concurrency; elapsed times are only ever compared with times
measured in the same run (the server's own request durations), never with a fixed number of seconds.
"""
from __future__ import annotations

import socket
import threading
import time
import urllib.error

import pytest

from grader.feedback import check, fail
from grader.probes.http_server import LatencyServer, body_for
from grader.probes.threads import ThreadLog, target_mistake_feedback, watch_threads
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


def _in_flight(peak: int, expected: int) -> str:
    return f"peak {peak} request{'s' if peak != 1 else ''} in flight of {expected} expected"


SEQUENTIAL_HINT = ("Starting and joining each thread in the same loop waits for every request before "
                   "sending the next one: start all the threads first, then join them all.")


def _why_not_concurrent(log: ThreadLog) -> tuple[str, str]:
    """What the thread log says about requests not made from concurrent threads, and a hint."""
    own = _own_threads(log)
    mistake = target_mistake_feedback(own)
    if mistake:
        crashed = f" {len(own.crashed)} of them then crashed." if own.crashed else ""
        return (f" {mistake}{crashed} So every request was made by the calling thread, one at a time.",
                "Thread(target=function, args=(...)): the thread must make the request itself.")
    if not own.started:
        return " No thread was started.", "Fetch each URL in its own threading.Thread."
    return "", SEQUENTIAL_HINT


def _bodies_problem(got, urls: list[str], paths: list[str], *, ordered: bool) -> str:
    """Why `got` is not the list of bodies of `urls` (in order, when `ordered`), or ''."""
    expected = [body_for(path) for path in paths]
    if got == expected:
        return ""
    if not isinstance(got, list):
        return f"returned {type(got).__name__} {got!r:.80}, not a list of bodies."
    if len(got) != len(expected):
        return f"returned {len(got)} bodies for {len(urls)} URLs."
    if any(body is None for body in got):
        missing = [i for i, body in enumerate(got) if body is None]
        return f"returned None at positions {missing}."
    if any(isinstance(body, str) for body in got):
        return "returned str bodies: keep the bytes that read() gives, without decoding them."
    if not all(isinstance(body, bytes) for body in got):
        odd = next(body for body in got if not isinstance(body, bytes))
        return f"returned a {type(odd).__name__} ({odd!r:.60}) among the bodies, not bytes."
    if sorted(got) == sorted(expected):
        if not ordered:
            return ""
        order = [expected.index(body) for body in got]
        return (f"returned the right bodies in another order: the bodies of urls{order}. That is the "
                "order in which the server answered, not the order of the URLs.")
    wrong = [i for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    return f"returned wrong bodies at positions {wrong}, e.g. {got[wrong[0]]!r:.60}."


def _fetch(function, urls, **kwargs):
    """Call the student's fetcher under the thread probe; returns (result, elapsed seconds, log)."""
    with watch_threads() as log:
        start = _clock()
        got = function(urls, **kwargs)
        elapsed = _clock() - start
    return got, elapsed, log


def test_read_url_returns_the_exact_body(target, serve, thresholds):
    server = serve()
    for path in thresholds["paths"]:
        for kwargs in ({}, {"timeout": 5.0}):
            got = target(server.url(path), **kwargs)
            call = f"read_url({server.url(path)!r}{', timeout=5.0' if kwargs else ''})"
            if isinstance(got, str):
                fail(f"{call} returned a str: the body was decoded.",
                     "the raw bytes of the body, as response.read() returns them")
            check(got == body_for(path), f"{call} returned {got!r:.80}.", f"{body_for(path)!r}")


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
             f"a timeout error after about {timeout:g} s")
    helper.join()
    error = outcome.get("error")
    if error is None:
        fail(f"read_url(url, timeout={timeout:g}) returned {outcome.get('result')!r:.60} for a server "
             "that never answered.", "a timeout error (do not catch it in read_url)")
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
    check(not problem, f"{call} {problem}", "the bodies of the URLs, in the order of the URLs")
    peak = server.peak_in_flight()
    check(peak == 1, f"{call}: the server had {_in_flight(peak, 1)}.",
          "one request at a time: the next one sent after the previous body has been read",
          "fetch_sequential is the baseline that fetch_concurrent is compared with: no threads here.")
    empty = target([])
    check(empty == [], f"fetch_sequential([]) returned {empty!r:.60}.", "[]")


def test_fetch_concurrent_returns_bodies_in_input_order(target, serve, thresholds):
    paths = [f"/order/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    got, _, _ = _fetch(target, urls)
    problem = _bodies_problem(got, urls, paths, ordered=True)
    check(not problem,
          f"fetch_concurrent(<{len(urls)} URLs, the first answered last>) {problem}",
          "the bodies in the order of the URLs, whichever request finishes first")


def test_fetch_concurrent_has_every_request_in_flight_at_once(target, serve, thresholds):
    n = thresholds["urls"]
    server = serve(thresholds["latency"])
    paths = [f"/all/{i}" for i in range(n)]
    urls = [server.url(path) for path in paths]
    got, _, log = _fetch(target, urls)
    problem = _bodies_problem(got, urls, paths, ordered=False)
    check(not problem, f"fetch_concurrent(<{n} URLs>) {problem}", "the bodies of the URLs")
    peak = server.peak_in_flight()
    if peak < n:
        why, hint = _why_not_concurrent(log)
        fail(f"fetch_concurrent(<{n} URLs>): the server saw {_in_flight(peak, n)}.{why}",
             f"all {n} requests in flight at the same time (one thread per URL when max_workers is None)",
             hint)

    n, workers = thresholds["limited"]
    server = serve(thresholds["limited_latency"])
    paths = [f"/limited/{i}" for i in range(n)]
    urls = [server.url(path) for path in paths]
    got, _, log = _fetch(target, urls, max_workers=workers)
    problem = _bodies_problem(got, urls, paths, ordered=False)
    check(not problem, f"fetch_concurrent(<{n} URLs>, max_workers={workers}) {problem}",
          "the bodies of the URLs")
    peak = server.peak_in_flight()
    if peak < workers:
        why, hint = _why_not_concurrent(log)
        fail(f"fetch_concurrent(<{n} URLs>, max_workers={workers}): the server saw "
             f"{_in_flight(peak, workers)}.{why}",
             f"{workers} requests in flight at the same time", hint)


def test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time(target, serve, thresholds):
    n, factor = thresholds["urls"], thresholds["min_speedup"]
    server = serve(thresholds["latency"])
    paths = [f"/fast/{i}" for i in range(n)]
    urls = [server.url(path) for path in paths]
    # A correct fetcher is far above the factor; the retries only absorb a scheduling hiccup.
    for _ in range(thresholds["attempts"]):
        server.reset()
        got, elapsed, _ = _fetch(target, urls)
        problem = _bodies_problem(got, urls, paths, ordered=False)
        check(not problem, f"fetch_concurrent(<{n} URLs>) {problem}", "the bodies of the URLs")
        # What fetching them one after another costs, measured by the server in this same run.
        one_at_a_time = sum(record.end - record.start for record in server.requests)
        if one_at_a_time >= factor * elapsed:
            return
    peak = server.peak_in_flight()
    fail(f"fetch_concurrent(<{n} URLs>) took {elapsed:.2f} s, while the server needed "
         f"{one_at_a_time:.2f} s to answer them one after another: only "
         f"{one_at_a_time / elapsed:.1f} times faster ({_in_flight(peak, n)}).",
         f"at least {factor} times faster than one request at a time")


def test_fetch_concurrent_never_exceeds_max_workers(target, serve, thresholds):
    for n, workers in thresholds["sizes"]:
        server = serve(thresholds["latency"])
        paths = [f"/cap/{workers}/{i}" for i in range(n)]
        urls = [server.url(path) for path in paths]
        got, _, _ = _fetch(target, urls, max_workers=workers)
        call = f"fetch_concurrent(<{n} URLs>, max_workers={workers})"
        problem = _bodies_problem(got, urls, paths, ordered=False)
        check(not problem, f"{call} {problem}", "the bodies of the URLs")
        peak = server.peak_in_flight()
        check(peak <= workers,
              f"{call}: the server saw {peak} requests in flight at once, more than max_workers.",
              f"at most {workers} request{'s' if workers > 1 else ''} in flight at any moment",
              "A semaphore created inside each thread limits nothing: create one "
              "threading.Semaphore(max_workers) before starting the threads and share it.")


def test_fetch_concurrent_of_an_empty_list_is_empty(target):
    for kwargs in ({}, {"max_workers": 2}):
        got, _, _ = _fetch(target, [], **kwargs)
        shown = "".join(f", {key}={value!r}" for key, value in kwargs.items())
        check(got == [] and isinstance(got, list), f"fetch_concurrent([]{shown}) returned {got!r:.60}.",
              "[]")


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
        where = f"urls[{urls.index(error.url)}]" if error.url in urls else repr(error.url)
        return f"HTTPError {error.code} of {where}"
    if isinstance(error, urllib.error.URLError):
        if isinstance(error.reason, ConnectionRefusedError):
            refused = [i for i, url in enumerate(urls) if url.endswith("/refused")]
            return f"URLError (connection refused) of urls[{refused[0]}]"
        return f"URLError ({error.reason})"
    return f"{type(error).__name__}: {error}"


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
        call = f"fetch_concurrent(<{len(urls)} URLs, urls{failing} failing>)"
        expected = (f"the URLError (connection refused) of urls[{first}]" if urls[first] == refused_url
                    else f"the HTTPError 404 of urls[{first}]")
        expected += ": the first failing URL in input order, whichever failure happens first"
        try:
            got, _, _ = _fetch(target, urls)
        except OSError as error:  # URLError, HTTPError and timeouts; other errors are the student's
            try:
                check(_is_error_of(error, urls, first),
                      f"{call} raised the {_describe_error(error, urls)}.", expected)
            finally:
                _close(error)
            continue
        nones = [i for i, body in enumerate(got) if body is None] if isinstance(got, list) else []
        fail(f"{call} returned instead of raising"
             + (f": the failed URLs became None at positions {nones}, so the caller cannot tell "
                "what went wrong." if nones else f" {got!r:.80}."),
             expected,
             "Catch the error inside the thread only to hand it to the caller: keep it, and raise it "
             "after joining the threads.")


def test_fetch_concurrent_raises_only_after_every_request_has_finished(
        target, serve, refused_url, thresholds):
    server = _error_server(serve, thresholds)
    urls, _ = _failing_batches(server, refused_url)[0]
    on_server = {u.removeprefix(server.url("")): i for i, u in enumerate(urls) if u != refused_url}
    error = None
    with watch_threads() as log:
        try:
            target(urls)
        except OSError as raised:  # only the moment control comes back matters here
            error = raised
        answered = {record.path for record in server.requests}
        own = _own_threads(log)
        running = [record for record in own.started if record.thread.is_alive()]
        not_joined = own.not_joined()
    _close(error)
    for record in running:  # let them finish, to tell requests still in flight from those never sent
        record.thread.join(5.0)
    how = "raised" if error is not None else "returned"
    unanswered = {path: i for path, i in on_server.items() if path not in answered}
    if unanswered:
        later = {record.path for record in server.requests}
        in_flight = sorted(i for path, i in unanswered.items() if path in later)
        never = sorted(i for path, i in unanswered.items() if path not in later)
        fail(f"fetch_concurrent(<{len(urls)} URLs, some failing>) {how} while "
             + " and ".join(filter(None, [
                 f"the requests of urls{in_flight} were still in flight" if in_flight else "",
                 f"the requests of urls{never} had not been sent (and never were)" if never else ""]))
             + ".",
             "every request made and finished before the error is raised: a failure does not cut "
             "the other requests short")
    check(not running and not not_joined,
          f"fetch_concurrent(<{len(urls)} URLs, some failing>) {how} while {len(not_joined)} of its "
          f"{len(own.started)} threads had not been joined"
          + (f" ({len(running)} still running)." if running else "."),
          "every thread joined before the error is raised")


def test_fetch_concurrent_joins_every_thread_it_starts(target, serve, thresholds):
    paths = [f"/join/{i}" for i in range(len(thresholds["latencies"]))]
    server = serve(latencies=dict(zip(paths, thresholds["latencies"])))
    urls = [server.url(path) for path in paths]
    _, _, log = _fetch(target, urls)
    own = _own_threads(log)
    not_joined, running = own.not_joined(), own.alive_at_return
    check(not not_joined and not running,
          f"fetch_concurrent(<{len(urls)} URLs>) returned without joining {len(not_joined)} of its "
          f"{len(own.started)} threads" + (f"; {len(running)} were still running." if running else "."),
          "join() called on every started thread before returning",
          "A thread that has delivered its body may still be running; join() waits until it has ended.")


def test_fetch_concurrent_rejects_max_workers_below_one(target, serve):
    url = serve().url("/one")
    check_rejects(target, "max_workers", urls=[url], max_workers=0)
    check_rejects(target, "max_workers", urls=[url], max_workers=-1)
