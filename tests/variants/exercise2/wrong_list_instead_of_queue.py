"""Wrong: the partial sums come back in a shared list instead of a queue.Queue."""
# expect-fail: test_partial_sums_come_back_through_a_queue
import threading

ANSWER_GIL = "a"


def thread_job(arr, part_id, thread_count, partials):
    partials.append(sum(arr[part_id::thread_count]))


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    partials = []
    threads = [threading.Thread(target=thread_job, args=(arr, i, thread_count, partials))
               for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(partials)
