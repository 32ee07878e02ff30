"""Exercise 2 — N-thread sum.

Seed: "Написать программу, которая будет находить сумму чисел массива с использованием N тредов"
("Write a program that finds the sum of the numbers of an array using N threads"), N <= core_count.

Write ``sum_using_threads`` below, then time it on a long list with 1 and with 4 threads, as the
seed does::

    arr = [1 for _ in range(10 * 1000 * 1000)]
    %timeit sum_using_threads(arr, 1)
    %timeit sum_using_threads(arr, 4)

Question — why are 4 threads no faster than 1 here? Set ``ANSWER_GIL`` to one lowercase letter:

    a) the GIL lets only one thread execute Python bytecode at a time, so CPU-bound threads take
       turns;
    b) starting a thread costs more than summing its part;
    c) the list is copied into every thread;
    d) the machine has only one core.

Rules: do no work at import time; when the function returns, every thread it started has been
joined.
"""

import queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, results_queue):
    results_queue.put(
        sum(arr[i] for i in range(part_id, len(arr), thread_count))
    )


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
