"""Wrong (secretly sequential): Thread(target=read_into(i, url)) fetches in the caller while the
threads are built; read_into returns the body, so every thread crashes calling a bytes object. No
request is made from a thread, so the checks of how the threads work earn nothing."""
# expect-fail: test_fetch_concurrent_has_every_request_in_flight_at_once, test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time, test_fetch_concurrent_never_exceeds_max_workers, test_fetch_concurrent_raises_only_after_every_request_has_finished, test_fetch_concurrent_joins_every_thread_it_starts
# expect-feedback: test_fetch_concurrent_has_every_request_in_flight_at_once: Pass the function itself
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

    def read_into(i, url):
        try:
            bodies[i] = read_url(url)
        except Exception as e:
            errors[i] = e
        return bodies[i]

    threads = [threading.Thread(target=read_into(i, url)) for i, url in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e:
            raise e
    return bodies
