"""A nested function as the target: fine under fork, cannot be pickled under spawn. No length check."""
# expect-fail: test_collect_items_returns_n_processes_items, test_collect_items_items_come_from_n_child_processes, test_collect_items_leaves_no_child_process, test_rand_strings_rejects_bad_count_or_length
import multiprocessing
import random
import string

ANSWER_LIST = "c"


def collect_items(n_processes=5):
    if n_processes < 1:
        raise ValueError("n_processes must be at least 1")
    output = multiprocessing.Queue()

    def send_item():
        output.put("item")

    processes = [multiprocessing.Process(target=send_item) for _ in range(n_processes)]
    for p in processes:
        p.start()
    items = [output.get() for _ in processes]
    for p in processes:
        p.join()
    return items


def make_string(length, output):
    rng = random.Random()
    output.put("".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length)))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("count must be at least 1")
    output = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=make_string, args=(length, output)) for _ in range(count)]
    for p in processes:
        p.start()
    results = [output.get() for _ in processes]
    for p in processes:
        p.join()
    return results
