"""Wrong: one shared error variable that every failing thread overwrites: the last failure wins."""
# expect-fail: test_fetch_concurrent_raises_the_first_failing_urls_error_in_input_order
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
    failure = None
    slots = threading.Semaphore(max_workers or len(urls) or 1)

    def job(i, url):
        nonlocal failure
        with slots:
            try:
                bodies[i] = read_url(url)
            except Exception as e:
                failure = e

    threads = [threading.Thread(target=job, args=(i, url)) for i, url in enumerate(urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failure is not None:
        raise failure
    return bodies
