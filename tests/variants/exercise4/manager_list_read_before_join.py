"""A Manager().list() read as soon as the children are started, before they are joined: the parent
gets the items sent so far, usually none."""
# expect-fail: test_collect_items_returns_n_processes_items
# expect-feedback: test_collect_items_returns_n_processes_items: join every child first, then read it
import multiprocessing
import random
import string

ANSWER_LIST = "c"


def append_item(shared):
    shared.append("item")


def collect_items(n_processes=5):
    if n_processes < 1:
        raise ValueError("n_processes must be at least 1")
    with multiprocessing.Manager() as manager:
        shared = manager.list()
        workers = [multiprocessing.Process(target=append_item, args=(shared,)) for _ in range(n_processes)]
        for w in workers:
            w.start()
        items = list(shared)
        for w in workers:
            w.join()
    return items


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
