"""Takes the results off the queue but never joins the children."""
# expect-fail: test_collect_items_leaves_no_child_process, test_rand_strings_leaves_no_child_process
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
    for _ in range(n_processes):
        multiprocessing.Process(target=send_item, args=(output,)).start()
    return [output.get() for _ in range(n_processes)]


def make_string(length, output):
    rng = random.Random()
    output.put("".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length)))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("count must be at least 1")
    if length < 0:
        raise ValueError("length must not be negative")
    output = multiprocessing.Queue()
    for _ in range(count):
        multiprocessing.Process(target=make_string, args=(length, output)).start()
    return [output.get() for _ in range(count)]
