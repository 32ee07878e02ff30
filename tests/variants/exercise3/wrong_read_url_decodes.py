"""Wrong: read_url decodes the body to str."""
# expect-fail: test_read_url_returns_the_exact_body, test_fetch_sequential_returns_bodies_in_order_one_request_at_a_time, test_fetch_concurrent_returns_bodies_in_input_order, test_fetch_concurrent_has_every_request_in_flight_at_once, test_fetch_concurrent_is_at_least_4_times_faster_than_one_at_a_time, test_fetch_concurrent_never_exceeds_max_workers
import threading
import urllib.request


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


def fetch_concurrent(urls, max_workers=None):
    if max_workers is not None and max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    bodies = [None] * len(urls)
    errors = [None] * len(urls)
    slots = threading.Semaphore(len(urls) if max_workers is None else max_workers)

    def job(i, url):
        with slots:
            try:
                bodies[i] = read_url(url)
            except Exception as e:
                errors[i] = e

    threads = [threading.Thread(target=job, args=(i, url)) for i, url in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return bodies
