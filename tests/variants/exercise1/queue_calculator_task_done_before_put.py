"""The calculator calls task_done() before it passes the value on, and sleeps a moment between the two
(as a student watching the threads might): calculation_queue.join() returns, and printing_queue.join()
after it, while the last value is not yet on the printing queue."""
# expect-fail: test_count_with_queue_prints_1_to_n_in_order
# expect-feedback: test_count_with_queue_prints_1_to_n_in_order: both queues were joined
# expect-feedback: test_count_with_queue_prints_1_to_n_in_order: Hint: Queue.join() returns once every item taken
import queue
import threading
import time

ANSWER_RACE = "b"


def count_unsafe(n_threads=10, increments=1, pause=0.0):
    raise NotImplementedError


def count_with_lock(n_threads=10, increments=1):
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    counter = 0
    lock = threading.Lock()

    def job():
        nonlocal counter
        for _ in range(increments):
            with lock:
                counter += 1

    threads = [threading.Thread(target=job) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counter


def count_with_queue(n_threads=10):
    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    calculation_queue, printing_queue = queue.Queue(), queue.Queue()
    total = [0]

    def calculator():
        while True:
            delta = calculation_queue.get()
            total[0] += delta
            calculation_queue.task_done()
            time.sleep(0.01)
            printing_queue.put(total[0])

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
    return total[0]
