"""Correct: contiguous blocks of ceil(len / thread_count) elements, the last ones possibly empty."""
# expect-fail:
import queue
import threading

ANSWER_GIL = "a"


def _sum_block(arr, start, stop, results):
    total = 0
    for i in range(start, min(stop, len(arr))):
        total += arr[i]
    results.put(total)


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be >= 1")
    results = queue.Queue()
    size = -(-len(arr) // thread_count)
    workers = []
    for k in range(thread_count):
        worker = threading.Thread(target=_sum_block, args=(arr, k * size, (k + 1) * size, results))
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join()
    return sum(results.get() for _ in range(thread_count))
