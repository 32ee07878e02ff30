"""Wrong: math.fsum turns the integers into floats, so large integers lose their last digits."""
# expect-fail: test_sum_counts_every_element_exactly_once
import math
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(math.fsum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    q = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr, i, thread_count, q))
               for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return math.fsum(q.get() for _ in threads)
