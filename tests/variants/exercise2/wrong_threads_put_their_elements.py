"""Wrong: each thread puts the elements of its part on the queue, and the caller adds them all up:
the threads cut the array but sum nothing. The total is right."""
# expect-fail: test_partial_sums_come_back_through_a_queue
# expect-feedback: test_partial_sums_come_back_through_a_queue: instead of their sum
import queue
import threading

ANSWER_GIL = "a"


def take_part(arr, start, stop, results):
    results.put(list(arr[start:stop]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError(f"thread_count must be at least 1, got {thread_count}")
    results = queue.Queue()
    bounds = [len(arr) * i // thread_count for i in range(thread_count + 1)]
    threads = [threading.Thread(target=take_part, args=(arr, bounds[i], bounds[i + 1], results))
               for i in range(thread_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = 0
    for _ in range(thread_count):
        for element in results.get():
            total += element
    return total
