"""Wrong (secretly sequential): each thread is joined right after it is started, so one request is
in flight at a time."""
# expect-fail: test_fetch_concurrent_has_every_request_in_flight_at_once, test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time
# expect-feedback: test_fetch_concurrent_has_every_request_in_flight_at_once: peak 1 request in flight of 8 expected
# expect-feedback: test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time: had ended before the next one was started
import threading
import urllib.request


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


def fetch_concurrent(urls, max_workers=None):
    if max_workers is not None and max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    bodies = [None] * len(urls)
    errors = [None] * len(urls)

    def job(i, url):
        try:
            bodies[i] = read_url(url)
        except Exception as e:
            errors[i] = e

    for i, url in enumerate(urls):
        t = threading.Thread(target=job, args=(i, url))
        t.start()
        t.join()
    for e in errors:
        if e:
            raise e
    return bodies
