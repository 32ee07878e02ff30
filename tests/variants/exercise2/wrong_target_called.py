"""Wrong: Thread(target=thread_job(...)) runs thread_job in the caller while the list is built; the
threads get target=None and do nothing. The sum is right, but no partial sum is computed in a
thread, so the checks of how the threads work earn nothing."""
# expect-fail: test_each_partial_sum_is_computed_in_a_started_thread, test_starts_exactly_thread_count_threads, test_all_threads_are_started_before_any_is_joined, test_partial_sums_come_back_through_a_queue, test_every_thread_is_joined_before_return
# expect-feedback: test_every_thread_is_joined_before_return: Pass the function itself
# expect-feedback: test_each_partial_sum_is_computed_in_a_started_thread: Pass the function itself
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[i] for i in range(part_id, len(arr), thread_count)))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    q = queue.Queue()
    threads = [threading.Thread(target=thread_job(arr, i, thread_count, q)) for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(q.get() for _ in range(thread_count))
