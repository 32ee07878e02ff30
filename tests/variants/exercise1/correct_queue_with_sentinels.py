"""Correct: the queue version whose workers stop on a sentinel, results kept in a closure."""
# expect-fail: 
import queue
import threading
import time

ANSWER_RACE = "b"


def count_unsafe(n_threads=10, increments=1, pause=0.0):
    return 0


def count_with_lock(n_threads=10, increments=1):
    if n_threads < 1:
        raise ValueError("n_threads must be positive")
    counter = 0
    lock = threading.Lock()

    def thread_job():
        nonlocal counter
        for _ in range(increments):
            with lock:
                counter += 1

    threads = [threading.Thread(target=thread_job) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counter


STOP = object()


def count_with_queue(n_threads=10):
    if n_threads < 1:
        raise ValueError(f"n_threads={n_threads} is not positive")
    calc_q, print_q = queue.Queue(), queue.Queue()
    total = {"value": 0}

    def printer():
        while (item := print_q.get()) is not STOP:
            print(item, flush=True)
            print_q.task_done()
        print_q.task_done()

    def calculator():
        while (delta := calc_q.get()) is not STOP:
            total["value"] += delta
            print_q.put(total["value"])
            calc_q.task_done()
        calc_q.task_done()

    daemons = [threading.Thread(target=printer, daemon=True), threading.Thread(target=calculator, daemon=True)]
    for d in daemons:
        d.start()
    generators = [threading.Thread(target=calc_q.put, args=(1,)) for _ in range(n_threads)]
    for g in generators:
        g.start()
    for g in generators:
        g.join()
    calc_q.join()
    print_q.join()
    calc_q.put(STOP)
    print_q.put(STOP)
    for d in daemons:
        d.join()
    return total["value"]
