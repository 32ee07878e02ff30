"""Wrong: each thread puts every element of its part on the queue, one at a time, and the caller
adds up len(arr) items: the total is right but slow, and no thread sums anything. The result
checks still pass (the informational timing is left out instead of running into the timeout)."""
# expect-fail: test_partial_sums_come_back_through_a_queue
# expect-feedback: test_partial_sums_come_back_through_a_queue: instead of their sum
# expect-feedback: test_sum_counts_every_element_exactly_once: were not measured
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    for index in range(part_id, len(arr), thread_count):
        results_queue.put(arr[index])


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    results_queue = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr, i, thread_count, results_queue))
               for i in range(thread_count)]
    for thread in threads:
        thread.start()
    total = sum(results_queue.get() for _ in range(len(arr)))
    for thread in threads:
        thread.join()
    return total
