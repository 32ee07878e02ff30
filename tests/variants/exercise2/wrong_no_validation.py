"""Wrong: thread_count below 1 is not rejected; zero threads sum to 0."""
# expect-fail: test_rejects_thread_count_below_one
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    q = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr, i, thread_count, q))
               for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(q.get() for _ in threads)
