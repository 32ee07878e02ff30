"""Correct: thread_count workers pull block indexes from a task queue until a sentinel, and put
their partial sums on a result queue."""
# expect-fail:
import itertools
import queue
import threading

ANSWER_GIL = "a"
BLOCKS_PER_THREAD = 3


def worker(arr, tasks, results, block):
    subtotal = 0
    while True:
        index = tasks.get()
        if index is None:
            break
        subtotal += sum(itertools.islice(arr, index * block, (index + 1) * block))
    results.put(subtotal)


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be positive")
    tasks, results = queue.Queue(), queue.Queue()
    n_blocks = thread_count * BLOCKS_PER_THREAD
    block = max(1, -(-len(arr) // n_blocks))
    for index in range(n_blocks):
        tasks.put(index)
    for _ in range(thread_count):
        tasks.put(None)
    pool = [threading.Thread(target=worker, args=(arr, tasks, results, block))
            for _ in range(thread_count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(results.get() for _ in pool)
