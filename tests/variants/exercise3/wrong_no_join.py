"""Wrong: waits for one result per URL on a queue and never joins the threads."""
# expect-fail: test_fetch_concurrent_joins_every_thread_it_starts, test_fetch_concurrent_raises_only_after_every_request_has_finished
import queue
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
    done = queue.Queue()
    slots = threading.Semaphore(max_workers or len(urls) or 1)

    def job(i, url):
        with slots:
            try:
                done.put((i, read_url(url), None))
            except Exception as e:
                done.put((i, None, e))

    for i, url in enumerate(urls):
        threading.Thread(target=job, args=(i, url)).start()
    bodies = [None] * len(urls)
    errors = [None] * len(urls)
    for _ in urls:
        i, body, error = done.get()
        bodies[i], errors[i] = body, error
    for e in errors:
        if e:
            raise e
    return bodies
