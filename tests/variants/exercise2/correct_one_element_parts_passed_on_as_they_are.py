"""Correct: each thread starts its partial sum from the first element of its part and adds the rest,
so a thread whose part holds one element puts that element itself on the queue, and the caller adds
it to the total. The caller adds partial sums, never the elements of a part."""
import queue
import threading

ANSWER_GIL = "a"


def thread_job(part, results_queue):
    if not part:
        results_queue.put(0)
        return
    partial = part[0]
    for value in part[1:]:
        partial += value
    results_queue.put(partial)


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError(f"thread_count must be at least 1, got {thread_count!r}")
    results_queue = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr[i::thread_count], results_queue))
               for i in range(thread_count)]
    for thread in threads:
        thread.start()
    total = 0
    for thread in threads:
        total += results_queue.get()
        thread.join()
    return total
