"""Wrong: blocks of len // thread_count elements; the remainder at the end is never summed (and
with more threads than elements, nothing is)."""
# expect-fail: test_sum_counts_every_element_exactly_once, test_sum_handles_empty_input_one_element_and_more_threads_than_elements, test_sum_of_floats_is_within_a_tight_tolerance
import queue
import threading

ANSWER_GIL = "a"


def job(part, q):
    q.put(sum(part))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    q = queue.Queue()
    chunk = len(arr) // thread_count
    threads = [threading.Thread(target=job, args=(arr[i * chunk:(i + 1) * chunk], q))
               for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(q.get() for _ in threads)
