"""Correct: the counter is a dataclass whose RLock comes from `field(default_factory=threading.RLock)`
(made by the dataclass's generated __init__, not by a line of this file), and each thread also counts
itself done on a second object of the same class, under the same lock."""
# expect-fail:
import queue
import threading
import time
from dataclasses import dataclass, field

ANSWER_RACE = "b"


def count_unsafe(n_threads=10, increments=1, pause=0.0):
    counter = 0

    def thread_job():
        nonlocal counter
        for _ in range(increments):
            old = counter
            time.sleep(pause)
            counter = old + 1

    threads = [threading.Thread(target=thread_job) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counter


@dataclass
class Tally:
    n: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)


def add(tally, done, increments):
    for _ in range(increments):
        with tally.lock:
            tally.n += 1
    with tally.lock:
        done.n += 1


def count_with_lock(n_threads=10, increments=1):
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    tally, done = Tally(), Tally()
    threads = [threading.Thread(target=add, args=(tally, done, increments)) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally.n


def count_with_queue(n_threads=10):
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    calculation_queue, printing_queue = queue.Queue(), queue.Queue()
    tally = Tally()

    def calculator():
        while True:
            tally.n += calculation_queue.get()
            printing_queue.put(tally.n)
            calculation_queue.task_done()

    def printer():
        while True:
            print(printing_queue.get())
            printing_queue.task_done()

    threading.Thread(target=calculator, daemon=True).start()
    threading.Thread(target=printer, daemon=True).start()
    generators = [threading.Thread(target=calculation_queue.put, args=(1,)) for _ in range(n_threads)]
    for generator in generators:
        generator.start()
    for generator in generators:
        generator.join()
    calculation_queue.join()
    printing_queue.join()
    return tally.n
