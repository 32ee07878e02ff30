"""Wrong: `thread.start` without the parentheses never starts the thread; joining it then raises
RuntimeError("cannot join thread before it is started"), so every call fails."""
# expect-fail: test_sum_counts_every_element_exactly_once, test_sum_handles_empty_input_one_element_and_more_threads_than_elements, test_sum_of_floats_is_within_a_tight_tolerance, test_starts_exactly_thread_count_threads, test_all_threads_are_started_before_any_is_joined, test_each_partial_sum_is_computed_in_a_started_thread, test_partial_sums_come_back_through_a_queue, test_every_thread_is_joined_before_return
# expect-feedback: test_sum_counts_every_element_exactly_once: A thread was joined before it was started
# expect-feedback: test_every_thread_is_joined_before_return: A thread was joined before it was started
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    results_queue = queue.Queue()
    threads = []
    for i in range(thread_count):
        thread = threading.Thread(target=thread_job, args=(arr, i, thread_count, results_queue))
        thread.start
        threads.append(thread)
    for thread in threads:
        thread.join()
    return sum(results_queue.get() for _ in range(thread_count))
