"""Correct: concurrent.futures.ThreadPoolExecutor.map; the with block waits for every thread even
when map raises the first failing URL's error (in input order)."""
# expect-fail:
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


def fetch_concurrent(urls, max_workers=None):
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers}")
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=len(urls) if max_workers is None else max_workers) as pool:
        return list(pool.map(read_url, urls))
