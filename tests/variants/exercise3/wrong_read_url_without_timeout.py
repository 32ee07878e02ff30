"""Wrong: read_url accepts a timeout but never passes it to urlopen."""
# expect-fail: test_read_url_gives_up_after_its_timeout
import threading
import urllib.request


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url) as response:
        return response.read()


def fetch_sequential(urls):
    bodies = []
    for url in urls:
        bodies.append(read_url(url))
    return bodies


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
