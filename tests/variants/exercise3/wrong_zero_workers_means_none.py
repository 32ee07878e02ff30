"""Wrong: max_workers=0 is taken as "no limit" (max_workers or len(urls)) instead of rejected."""
# expect-fail: test_fetch_concurrent_rejects_max_workers_below_one
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


def fetch_concurrent(urls, max_workers=None):
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=max_workers or len(urls)) as pool:
        return list(pool.map(read_url, urls))
