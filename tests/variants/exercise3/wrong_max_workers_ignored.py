"""Wrong: max_workers is validated but never used; every URL gets its thread at once."""
# expect-fail: test_fetch_concurrent_never_exceeds_max_workers
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

    threads = [threading.Thread(target=job, args=(i, url)) for i, url in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e:
            raise e
    return bodies
