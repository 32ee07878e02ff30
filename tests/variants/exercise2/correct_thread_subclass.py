"""Correct: a Thread subclass whose run() sums a slice by stride; results through a LifoQueue."""
# expect-fail:
import queue
from threading import Thread

ANSWER_GIL = "a"


class PartialSum(Thread):
    def __init__(self, numbers, out):
        super().__init__()
        self.numbers = numbers
        self.out = out

    def run(self):
        self.out.put(sum(self.numbers))


def sum_using_threads(arr, thread_count):
    if not isinstance(thread_count, int) or thread_count <= 0:
        raise ValueError(f"bad thread_count: {thread_count}")
    out = queue.LifoQueue()
    threads = [PartialSum(arr[i::thread_count], out) for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = 0
    while not out.empty():
        total += out.get()
    return total
