"""Correct: one thread per URL behind a Semaphore(max_workers), with no check of max_workers at all.

The contract asks no ValueError of fetch_concurrent; max_workers=0 would wait here forever, so this
also shows that no check calls it with an argument the contract leaves open."""
import threading
import urllib.request


def read_url(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def fetch_sequential(urls):
    return [read_url(url) for url in urls]


def fetch_concurrent(urls, max_workers=None):
    slots = threading.Semaphore(len(urls) if max_workers is None else max_workers)
    bodies = [None] * len(urls)
    errors = [None] * len(urls)

    def fetch(index):
        with slots:
            try:
                bodies[index] = read_url(urls[index])
            except Exception as error:
                errors[index] = error

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(len(urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return bodies
