"""The lock is held while reading the counter, released before writing it back."""
# expect-fail: test_count_with_lock_keeps_every_increment_when_threads_switch, test_one_shared_lock_guards_every_update
# expect-feedback: test_one_shared_lock_guards_every_update: while no lock was held
# expect-feedback: test_count_with_lock_keeps_every_increment_when_threads_switch: updates were lost
import queue
import threading
import time

ANSWER_RACE = "b"


def count_unsafe(n_threads=10, increments=1, pause=0.0):
    return 0


counter = 0
lock = threading.Lock()


def thread_job(increments):
    global counter
    for _ in range(increments):
        with lock:
            old_counter = counter
        counter = old_counter + 1


def count_with_lock(n_threads=10, increments=1):
    global counter
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    counter = 0
    threads = [threading.Thread(target=thread_job, args=(increments,)) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
