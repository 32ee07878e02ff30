"""Wrong: the threads sum their parts and put them on the queue, but the caller returns sum(arr)
and never takes a partial sum off: the threads' work is thrown away. The total is right."""
# expect-fail: test_partial_sums_come_back_through_a_queue, test_each_partial_sum_is_computed_in_a_started_thread
# expect-feedback: test_partial_sums_come_back_through_a_queue: were still on it
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    results_queue = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr, i, thread_count, results_queue))
               for i in range(thread_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(arr)
