"""The seed's random.seed(123) at module level: every spawned child re-imports it and repeats the
parent's sequence (fork is saved by Python reseeding random in forked children)."""
# expect-fail: test_rand_strings_differ_from_each_other
import multiprocessing
import random
import string

ANSWER_LIST = "c"
LIST = []


def worker():
    LIST.append("item")


def send_item(output):
    output.put("item")


def collect_items(n_processes=5):
    if n_processes < 1:
        raise ValueError("n_processes must be at least 1")
    output = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=send_item, args=(output,)) for _ in range(n_processes)]
    for p in processes:
        p.start()
    items = [output.get() for _ in processes]
    for p in processes:
        p.join()
    return items

random.seed(123)


def make_string(length, output):
    output.put("".join(random.choice(string.ascii_letters + string.digits) for _ in range(length)))


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
