"""Correct: the calculator keeps the running total in a local variable and the function returns the
last value the printer printed: no shared counter anywhere, which the contract does not ask for."""
# expect-fail: 
import queue
import threading
import time

ANSWER_RACE = "b"


def count_unsafe(n_threads=10, increments=1, pause=0.0):
    return 0


class SharedCounter:
    def __init__(self):
        self.value = 0


def thread_job(shared, lock, increments):
    with lock:
        for _ in range(increments):
            shared.value += 1


def count_with_lock(n_threads=10, increments=1):
    if n_threads < 1:
        raise ValueError("bad n_threads")
    shared = SharedCounter()
    lock = threading.Lock()
    threads = [threading.Thread(target=thread_job, args=(shared, lock, increments), daemon=True)
               for _ in range(n_threads)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return shared.value


def count_with_queue(n_threads=10):
    if n_threads < 1:
        raise ValueError(f"n_threads must be at least 1, got {n_threads}")
    printing_queue = queue.Queue()
    calculation_queue = queue.Queue()
    printed = []
    threading.Thread(target=printer, args=(printing_queue, printed), daemon=True).start()
    threading.Thread(target=calculator, args=(calculation_queue, printing_queue), daemon=True).start()
    workers = [threading.Thread(target=calculation_queue.put, args=(1,)) for _ in range(n_threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    calculation_queue.join()
    printing_queue.join()
    return printed[-1]


def printer(printing_queue, printed):
    while True:
        value = printing_queue.get()
        print(value)
        printed.append(value)
        printing_queue.task_done()


def calculator(calculation_queue, printing_queue):
    total = 0
    while True:
        total += calculation_queue.get()
        printing_queue.put(total)
        calculation_queue.task_done()
