"""Correct: besides the shared counter, each thread keeps its own tally in a threading.local, written
more often than the counter (once at the start and once per increment, outside the lock): an
attribute of a threading.local is each thread's own, never shared state."""
import queue
import threading
import time

ANSWER_RACE = "b"


def count_unsafe(n_threads=10, increments=1, pause=0.0):
    """Given, not graded: the notebook's racy counter. Watch it lose updates.

    Each of `n_threads` threads reads the shared counter, waits `pause` seconds, and writes back the
    value it read plus one, `increments` times. Returns the final counter, which should be
    `n_threads * increments` but often is not.
    """
    counter = 0

    def thread_job():
        nonlocal counter
        for _ in range(increments):
            old_counter = counter
            time.sleep(pause)
            counter = old_counter + 1

    threads = [threading.Thread(target=thread_job) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counter


def count_with_lock(n_threads=10, increments=1):
    """Count with `n_threads` threads and one shared lock; return the final counter.

    Start `n_threads` threads. Each adds 1 to one shared counter `increments` times. Every update
    (reading the counter and writing the new value) must happen while holding ONE lock shared by all
    threads (`threading.Lock()`, or an `RLock`), taken with a `with` statement: around each update,
    or around a thread's whole loop. Join every thread before returning the counter, which must then
    be exactly `n_threads * increments`.

    Pass the thread function itself as `target` (`threading.Thread(target=job)`), not the result of
    calling it (`target=job()` runs the job right away, in the calling thread).

    Raise ValueError mentioning `n_threads` if `n_threads` is below 1. `increments=0` is valid.
    """
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    counter = 0
    lock = threading.Lock()
    mine = threading.local()
    tallies = []

    def thread_job():
        nonlocal counter
        mine.done = 0
        for _ in range(increments):
            with lock:
                counter += 1
            mine.done += 1
        with lock:
            tallies.append(mine.done)

    threads = [threading.Thread(target=thread_job) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counter


def count_with_queue(n_threads=10):
    """Count with queues instead of a lock (the notebook's "best solution"); return the final value.

    - `n_threads` delta generator threads each put `1` on a calculation queue;
    - one calculator daemon thread takes each delta, adds it to the counter and puts the new value
      on a printing queue;
    - one printer daemon thread prints each value it gets, on its own line;
    - wait for all the work with `Queue.join()` on both queues (every `get()` answered by a
      `task_done()`), then return the final counter value.

    The printed lines must be exactly 1, 2, ..., n_threads, in that order. The two daemon threads
    wait on their queues (`get()` blocks; no busy loop) and may be left waiting when you return.

    Raise ValueError mentioning `n_threads` if `n_threads` is below 1.
    """
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    counter = Counter(0)
    printing_queue = queue.Queue()
    calculation_queue = queue.Queue()
    threading.Thread(target=printer, args=(printing_queue,), daemon=True).start()
    threading.Thread(target=calculator, args=(counter, calculation_queue, printing_queue),
                     daemon=True).start()
    workers = [threading.Thread(target=delta_generator, args=(calculation_queue,))
               for _ in range(n_threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    calculation_queue.join()
    printing_queue.join()
    return counter.value


class Counter:
    """A value shared by reference between threads."""

    def __init__(self, value):
        self.value = value


def printer(printing_queue):
    """Print every value put on the printing queue, one per line, forever."""
    while True:
        value = printing_queue.get()
        print(value)
        printing_queue.task_done()


def calculator(counter, calculation_queue, printing_queue):
    """Apply every delta to the counter and pass each new value on to the printer, forever."""
    while True:
        delta = calculation_queue.get()
        counter.value += delta
        printing_queue.put(counter.value)
        calculation_queue.task_done()


def delta_generator(calculation_queue):
    """Ask for the counter to grow by one."""
    calculation_queue.put(1)
