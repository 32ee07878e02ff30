"""Wrong: never starts more threads than there are elements."""
# expect-fail: test_starts_exactly_thread_count_threads
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    n = min(thread_count, len(arr))
    q = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr, i, n, q)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(q.get() for _ in threads)
