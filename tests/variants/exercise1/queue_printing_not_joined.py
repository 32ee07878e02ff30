"""Only the calculation queue is joined: the function returns before everything is printed."""
# expect-fail: test_count_with_queue_prints_1_to_n_in_order, test_count_with_queue_joins_both_queues
# expect-feedback: test_count_with_queue_prints_1_to_n_in_order: was never joined
# expect-feedback: test_count_with_queue_prints_1_to_n_in_order: Hint: Wait with printing_queue.join()
# expect-feedback: test_count_with_queue_joins_both_queues: Hint: Wait with calculation_queue.join() and then printing_queue.join()
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


def count_with_queue(n_threads=10):
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    counter = Counter(0)
    printing_queue = queue.Queue()
    threading.Thread(target=printer, args=(printing_queue,), daemon=True).start()
    calculation_queue = queue.Queue()
    threading.Thread(target=calculator, args=(counter, calculation_queue, printing_queue), daemon=True).start()
    workers = [threading.Thread(target=delta_generator, args=(calculation_queue,)) for _ in range(n_threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    calculation_queue.join()
    return counter.value
