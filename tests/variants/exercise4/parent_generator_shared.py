"""The parent makes one random.Random and hands it to every child: each child gets a copy of the same
state and makes the same string. Also a wrong answer."""
# expect-fail: test_rand_strings_differ_from_each_other, test_answer_list_explains_separate_memory
import multiprocessing
import random
import string

ANSWER_LIST = "d"


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


def make_string(rng, length, output):
    output.put("".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length)))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("count must be at least 1")
    if length < 0:
        raise ValueError("length must not be negative")
    rng = random.Random()
    output = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=make_string, args=(rng, length, output)) for _ in range(count)]
    for p in processes:
        p.start()
    results = [output.get() for _ in processes]
    for p in processes:
        p.join()
    return results
