"""The delta generators are threads whose target is the queue's own put, and they are never joined:
the calculation queue is joined while some of them may not have put their delta yet."""
# expect-fail: test_count_with_queue_prints_1_to_n_in_order, test_count_with_queue_workers_are_daemons
# expect-feedback: test_count_with_queue_prints_1_to_n_in_order: were never joined
# expect-feedback: test_count_with_queue_prints_1_to_n_in_order: Hint: Join every delta generator thread
# expect-feedback: test_count_with_queue_workers_are_daemons: returned without joining 4 threads besides the calculator and the printer
# expect-feedback: test_count_with_queue_workers_are_daemons: Hint: Join every delta generator thread
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
    counter = Counter(0)
    printing_queue = queue.Queue()
    calculation_queue = queue.Queue()
    threading.Thread(target=printer, args=(printing_queue,), daemon=True).start()
    threading.Thread(target=calculator, args=(counter, calculation_queue, printing_queue),
                     daemon=True).start()
    for _ in range(n_threads):
        threading.Thread(target=calculation_queue.put, args=(1,)).start()
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
