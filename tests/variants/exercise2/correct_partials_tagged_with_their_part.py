"""Correct: each thread puts (part number, partial sum) as a numpy integer for an int input, and the
caller orders the parts before adding them."""
# expect-fail:
import queue
import threading

ANSWER_GIL = "a"


def _part(arr, part_id, thread_count, results):
    partial = 0
    for value in arr[part_id::thread_count]:
        partial += value
    results.put((part_id, {"sum": partial}) if part_id % 2 else (part_id, partial))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError(f"thread_count must be positive, got {thread_count}")
    results = queue.Queue()
    threads = [threading.Thread(target=_part, args=(arr, i, thread_count, results)) for i in range(thread_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    parts = dict(results.get() for _ in threads)
    return sum(p["sum"] if isinstance(p, dict) else p for _, p in sorted(parts.items()))
