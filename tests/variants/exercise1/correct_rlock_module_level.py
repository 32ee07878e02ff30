"""Correct: a module-level RLock imported by name, a global counter."""
# expect-fail: 
import queue
import threading
import time

ANSWER_RACE = "b"


def count_unsafe(n_threads=10, increments=1, pause=0.0):
    return 0


from threading import RLock, Thread

counter = 0
counter_lock = RLock()


def add_one():
    global counter
    with counter_lock:
        counter = counter + 1


def thread_job(increments):
    for _ in range(increments):
        add_one()


def count_with_lock(n_threads=10, increments=1):
    global counter
    if n_threads < 1:
        raise ValueError(f"n_threads should be >= 1, not {n_threads}")
    with counter_lock:
        counter = 0
    workers = []
    for _ in range(n_threads):
        worker = Thread(target=thread_job, args=(increments,))
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join()
    return counter


def count_with_queue(n_threads=10):
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

    def __init__(self, value):
        self.value = value


def printer(printing_queue):
    while True:
        value = printing_queue.get()
        print(value)
        printing_queue.task_done()


def calculator(counter, calculation_queue, printing_queue):
    while True:
        delta = calculation_queue.get()
        counter.value += delta
        printing_queue.put(counter.value)
        calculation_queue.task_done()


def delta_generator(calculation_queue):
    calculation_queue.put(1)
