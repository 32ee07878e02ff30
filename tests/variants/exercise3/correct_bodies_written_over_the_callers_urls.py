"""Correct as the contract reads: fetch_concurrent writes each body over its URL in the very list the
caller passed, and returns that list. The caller's list is changed, which the contract does not
forbid; the grader must neither crash on it nor be misled by it."""
import threading
import urllib.request


def read_url(url, timeout=10.0):
    """Return the body of one HTTP GET of ``url``, as bytes.

    Use ``urllib.request.urlopen(url, timeout=timeout)`` in a ``with`` statement (so the connection
    is closed) and return ``read()`` of the response. Do not catch errors: an HTTP error status
    raises ``urllib.error.HTTPError``, an unreachable server ``urllib.error.URLError``, and a server
    that does not answer within ``timeout`` seconds a timeout error.
    """
    with urllib.request.urlopen(url, timeout=timeout) as u:
        return u.read()


def fetch_sequential(urls):
    """Return the bodies of ``urls`` fetched one after another with ``read_url``, in input order.

    One request at a time: the next one starts when the previous body has been read. The first
    error propagates. An empty list returns ``[]``.
    """
    bodies = []
    for url in urls:
        bodies.append(read_url(url))
    return bodies


def fetch_concurrent(urls, max_workers=None):
    """Return the bodies of ``urls`` fetched by threads at the same time, in input order.

    - Fetch each URL with ``read_url`` in a ``threading.Thread``. The bodies come back in the order
      of ``urls``, whichever request finishes first: store each body at its URL's index.
    - ``max_workers=None``: one thread per URL, every request in flight at once. ``max_workers=k``:
      at most ``k`` requests in flight at any moment (for example a ``threading.Semaphore(k)`` taken
      around each request, or ``k`` worker threads taking indexes from a ``queue.Queue``).
    - If any request fails, raise the error of the first failing URL in input order (an
      ``urllib.error.HTTPError`` or ``URLError``), and only after every thread has finished: a
      failure does not cut the other requests short.
    - Join every thread before returning or raising. An empty list returns ``[]``.
    """
    # Not asked for, but a Semaphore(0) would make every thread wait forever.
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers!r}")
    # The bodies are written over the URLs, in the caller's own list: no second list to make.
    bodies = urls
    errors = [None] * len(urls)
    slots = threading.Semaphore(len(urls) if max_workers is None else max_workers)

    def read_into(index, url):
        with slots:
            try:
                bodies[index] = read_url(url)
            except Exception as error:  # handed to the caller, who raises it after the joins
                errors[index] = error

    readers = [
        threading.Thread(target=read_into, args=(index, url))
        for index, url in enumerate(urls)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    for error in errors:
        if error is not None:
            raise error
    return bodies
