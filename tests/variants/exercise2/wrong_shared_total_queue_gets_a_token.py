"""Wrong: the threads add to one shared total (a race) and put only a token on the queue."""
# expect-fail: test_partial_sums_come_back_through_a_queue
# expect-feedback: test_partial_sums_come_back_through_a_queue: carry 0 of the 12 elements
import queue
import threading

ANSWER_GIL = "a"


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError("thread_count must be at least 1")
    total = [0]
    done = queue.Queue()

    def work(part_id):
        for index in range(part_id, len(arr), thread_count):
            total[0] += arr[index]
        done.put("done")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(thread_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in threads:
        done.get()
    return total[0]
