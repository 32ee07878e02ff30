"""Wrong: ThreadPoolExecutor(max_workers=len(urls)) refuses 0 workers, so an empty list raises."""
# expect-fail: test_fetch_concurrent_of_an_empty_list_is_empty
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
    with ThreadPoolExecutor(max_workers=max_workers or len(urls)) as pool:
        return list(pool.map(read_url, urls))
