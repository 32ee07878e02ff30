"""Correct: ThreadPoolExecutor.submit, waiting for every future before reading the results in
input order."""
# expect-fail:
import concurrent.futures
import urllib.request


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


def fetch_concurrent(urls, max_workers=None):
    if max_workers is not None and max_workers <= 0:
        raise ValueError("max_workers must be positive")
    if len(urls) == 0:
        return []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers or len(urls))
    futures = [pool.submit(read_url, url) for url in urls]
    concurrent.futures.wait(futures)
    pool.shutdown(wait=True)
    return [future.result() for future in futures]
