"""collect_items and rand_strings in a `with Pool(...)` block that returns pool.map(...): leaving the
block terminates the workers (exit code -15), so the pool is never closed and joined."""
# expect-fail: test_collect_items_items_come_from_n_child_processes, test_rand_strings_are_made_in_child_processes
# expect-feedback: test_collect_items_items_come_from_n_child_processes: SIGTERM
import multiprocessing as mp
import random
import string

ANSWER_LIST = "c"


def item(_):
    return "item"


def collect_items(n_processes=5):
    if n_processes < 1:
        raise ValueError("n_processes")
    with mp.Pool(n_processes) as pool:
        return pool.map(item, range(n_processes))


def one(length):
    random.seed()
    return "".join(random.choices(string.ascii_letters + string.digits, k=length))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("count")
    if length < 0:
        raise ValueError("length")
    with mp.Pool(count) as pool:
        return pool.map(one, [length] * count)
