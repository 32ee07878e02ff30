"""The seed's puzzle returned as it is: the children append to their own copies of LIST."""
# expect-fail: test_collect_items_returns_n_processes_items, test_collect_items_rejects_n_processes_below_one, test_collect_items_items_come_from_n_child_processes, test_collect_items_leaves_no_child_process
# expect-feedback: test_collect_items_items_come_from_n_child_processes: the parent received nothing from its children
# expect-feedback: test_collect_items_returns_n_processes_items: own memory
import multiprocessing
import random
import string

ANSWER_LIST = "c"
LIST = []


def worker():
    LIST.append("item")


def collect_items(n_processes=5):
    processes = [multiprocessing.Process(target=worker) for _ in range(n_processes)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return LIST

def make_string(length, output):
    rng = random.Random()
    output.put("".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length)))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("count must be at least 1")
    if length < 0:
        raise ValueError("length must not be negative")
    output = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=make_string, args=(length, output)) for _ in range(count)]
    for p in processes:
        p.start()
    results = [output.get() for _ in processes]
    for p in processes:
        p.join()
    return results

