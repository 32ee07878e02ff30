"""Correct: a Thread subclass per URL that keeps its body or its error; a BoundedSemaphore caps the
requests in flight."""
# expect-fail:
import threading
import urllib.request


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


class Fetcher(threading.Thread):
    def __init__(self, url, slots):
        super().__init__()
        self.url, self.slots = url, slots
        self.body = self.error = None

    def run(self):
        with self.slots:
            try:
                self.body = read_url(self.url)
            except Exception as error:
                self.error = error


def fetch_concurrent(urls, max_workers=None):
    if max_workers is not None and max_workers < 1:
        raise ValueError("max_workers < 1")
    slots = threading.BoundedSemaphore(max_workers or max(1, len(urls)))
    fetchers = [Fetcher(url, slots) for url in urls]
    for fetcher in fetchers:
        fetcher.start()
    for fetcher in fetchers:
        fetcher.join()
    for fetcher in fetchers:
        if fetcher.error:
            raise fetcher.error
    return [fetcher.body for fetcher in fetchers]
