"""A worker with an empty part raises before it puts its partial sum: the caller waits on the
queue forever when there are more threads than elements (or no element at all)."""
# expect-error: test_sum_handles_empty_input_one_element_and_more_threads_than_elements (timed out), test_starts_exactly_thread_count_threads (timed out), test_every_thread_is_joined_before_return (timed out)
# expect-feedback: test_sum_handles_empty_input_one_element_and_more_threads_than_elements: died of ValueError
# expect-feedback: test_starts_exactly_thread_count_threads: already hung in test_sum_handles_empty_input_one_element_and_more_threads_than_elements
import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    part = [arr[i] for i in range(part_id, len(arr), thread_count)]
    first, *rest = part  # a worker with nothing to sum dies here and puts nothing on the queue
    results_queue.put(first + sum(rest))


def sum_using_threads(arr, thread_count):
    """Return the sum of the numbers in ``arr``, computed by exactly ``thread_count`` threads.

    Start exactly ``thread_count`` ``threading.Thread`` workers — no more, no fewer, also when
    ``thread_count > len(arr)`` (a worker with nothing to sum reports 0). Each worker sums its own
    part of ``arr``, by stride (elements ``i, i + thread_count, i + 2 * thread_count, ...``, as in
    the seed's ``thread_job``) or by contiguous block, so that every element is counted exactly
    once, and puts its partial sum on one shared ``queue.Queue``. Take the ``thread_count`` partial
    sums off the queue, join every thread and return their total.

    - ``arr`` is a sequence of numbers (a list, a tuple, a ``range``); an empty one sums to 0.
    - Integers sum exactly: ``sum_using_threads([10**20, 1, -10**20], 2) == 1`` (no float on the
      way).
    - ``thread_count`` below 1 raises ``ValueError`` with a message that names ``thread_count``.
    """
    if thread_count < 1:
        raise ValueError(f"thread_count must be at least 1, got {thread_count!r}")
    results_queue = queue.Queue()
    threads = [
        threading.Thread(target=thread_job, args=(arr, i, thread_count, results_queue))
        for i in range(thread_count)
    ]
    for thread in threads:
        thread.start()

    results = []
    for thread in threads:
        results.append(results_queue.get())
        thread.join()

    return sum(results)
