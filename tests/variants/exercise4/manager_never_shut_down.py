"""Wrong: collect_items shares a Manager().list() with the children but never shuts the manager down,
so its server process is still running when the function returns. The items are right."""
# expect-fail: test_collect_items_leaves_no_child_process
# expect-feedback: test_collect_items_leaves_no_child_process: the server process of a multiprocessing.Manager
import multiprocessing
import random
import string

ANSWER_LIST = "c"


def append_item(shared):
    shared.append("item")


def collect_items(n_processes=5):
    if n_processes < 1:
        raise ValueError(f"n_processes must be >= 1, not {n_processes}")
    manager = multiprocessing.Manager()
    shared = manager.list()
    workers = [multiprocessing.Process(target=append_item, args=(shared,)) for _ in range(n_processes)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return list(shared)


def rand_string(length, output):
    random.seed()
    output.put("".join(random.choices(string.ascii_letters + string.digits, k=length)))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("count must be positive")
    if length < 0:
        raise ValueError("length must be >= 0")
    output = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=rand_string, args=(length, output)) for _ in range(count)]
    for w in workers:
        w.start()
    strings = []
    while len(strings) < count:
        strings.append(output.get())
    for w in workers:
        w.join()
    return strings
