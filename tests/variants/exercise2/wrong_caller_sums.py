"""Wrong: the caller computes every partial sum; the threads only put the numbers on the queue."""
# expect-fail: test_each_partial_sum_is_computed_in_a_started_thread
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
