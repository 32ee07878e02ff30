"""Wrong: each part is summed in the caller, inside the expression that builds the thread's args; the
thread (running the student's own function) only puts that ready sum on the queue. The threads are
started, run the student's code and put partial sums, and the total is right."""
# expect-fail: test_each_partial_sum_is_computed_in_a_started_thread
# expect-feedback: test_each_partial_sum_is_computed_in_a_started_thread: the calling thread added up
import queue
import threading

ANSWER_GIL = "a"


def thread_job(partial, results_queue):
    results_queue.put(partial)


def sum_using_threads(arr, thread_count):
    if thread_count < 1:
        raise ValueError(f"thread_count must be at least 1, got {thread_count!r}")
    results_queue = queue.Queue()
    threads = [threading.Thread(target=thread_job, args=(sum(arr[i::thread_count]), results_queue))
               for i in range(thread_count)]
    for thread in threads:
        thread.start()
    results = []
    for thread in threads:
        results.append(results_queue.get())
        thread.join()
    return sum(results)
