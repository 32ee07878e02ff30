"""Wrong answer to the question: blames the cost of starting threads."""
# expect-fail: test_answer_gil_names_the_gil
import queue
import threading

ANSWER_GIL = "b"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError(f"thread_count must be at least 1, got {thread_count}")
    q = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(arr, i, thread_count, q))
               for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(q.get() for _ in threads)
