"""Correct: k worker threads take (index, url) pairs from a queue.Queue until it is empty; errors
are kept by index and the first one in input order is raised after the joins."""
# expect-fail:
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
    jobs = queue.Queue()
    for job in enumerate(urls):
        jobs.put(job)
    bodies = [None] * len(urls)
    errors = [None] * len(urls)

    def work():
        while True:
            try:
                index, url = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                bodies[index] = read_url(url)
            except Exception as error:
                errors[index] = error

    count = len(urls) if max_workers is None else min(max_workers, len(urls))
    workers = [threading.Thread(target=work) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for error in errors:
        if error is not None:
            raise error
    return bodies
