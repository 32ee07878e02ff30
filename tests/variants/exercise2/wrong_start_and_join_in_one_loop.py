"""Wrong: each thread is joined right after it is started, in the same loop, so the threads sum
their parts one after another: serial in disguise. The sum, the queue and the joins are right."""
# expect-fail: test_all_threads_are_started_before_any_is_joined
# expect-feedback: test_all_threads_are_started_before_any_is_joined: in turns
import queue
import threading

ANSWER_GIL = "a"


def part_sum(arr, part_id, thread_count, results):
    results.put(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError(f"thread_count must be at least 1, got {thread_count}")
    results = queue.Queue()
    for part_id in range(thread_count):
        worker = threading.Thread(target=part_sum, args=(arr, part_id, thread_count, results))
        worker.start()
        worker.join()
    return sum(results.get() for _ in range(thread_count))
