"""Wrong: ThreadPoolExecutor(max_workers=max_workers) passes None on when max_workers is None, so the
executor takes its default, min(32, os.cpu_count() + 4) workers, not one thread per URL: with more
URLs than that, some requests wait for a free worker."""
# expect-fail: test_fetch_concurrent_has_every_request_in_flight_at_once
# expect-feedback: test_fetch_concurrent_has_every_request_in_flight_at_once: created without max_workers, so it took its default number of worker threads
# expect-feedback: test_fetch_concurrent_has_every_request_in_flight_at_once: ThreadPoolExecutor(max_workers=len(urls))
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


def fetch_concurrent(urls, max_workers=None):
    if max_workers is not None and max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(read_url, urls))
