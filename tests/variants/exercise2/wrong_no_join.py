"""Wrong: takes the partial sums off the queue and returns without joining the threads."""
# expect-fail: test_every_thread_is_joined_before_return
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    q = queue.Queue()
    for i in range(thread_count):
        threading.Thread(target=thread_job, args=(arr, i, thread_count, q)).start()
    return sum(q.get() for _ in range(thread_count))
