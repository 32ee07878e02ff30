"""Wrong: the threads sum their parts and put them on the queue, and the caller takes every partial
sum off and joins every thread, but then returns sum(arr), its own sum of the whole array: the
threads' work is thrown away. The total is right, and nothing is left on the queue."""
# expect-fail: test_each_partial_sum_is_computed_in_a_started_thread
# expect-feedback: test_each_partial_sum_is_computed_in_a_started_thread: up again itself
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[i] for i in range(part_id, len(arr), thread_count)))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError(f"thread_count must be at least 1, got {thread_count!r}")
    results_queue = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr, i, thread_count, results_queue))
               for i in range(thread_count)]
    for thread in threads:
        thread.start()
    results = []
    for thread in threads:
        results.append(results_queue.get())
        thread.join()
    # The partial sums looked off once while debugging; sum(arr) is always right.
    return sum(arr)
