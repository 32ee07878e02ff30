"""Wrong: the caller computes every partial sum; the threads only put the numbers on the queue. No
partial sum is computed in a thread, so the checks of how the threads work earn nothing."""
# expect-fail: test_each_partial_sum_is_computed_in_a_started_thread, test_starts_exactly_thread_count_threads, test_all_threads_are_started_before_any_is_joined, test_partial_sums_come_back_through_a_queue, test_every_thread_is_joined_before_return
# expect-feedback: test_each_partial_sum_is_computed_in_a_started_thread: their target was `Queue.put`
# expect-feedback: test_every_thread_is_joined_before_return: none of them ran your code
import queue
import threading

ANSWER_GIL = "a"


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    q = queue.Queue()
    threads = [threading.Thread(target=q.put, args=(sum(arr[i::thread_count]),))
               for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(q.get() for _ in threads)
