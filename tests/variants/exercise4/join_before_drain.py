"""The seed's order: join the children, then read the queue. Deadlocks for long strings."""
# expect-fail: test_rand_strings_of_a_million_characters_finish
# expect-feedback: test_rand_strings_of_a_million_characters_finish: Joining processes that use queues
# expect-feedback: test_rand_strings_of_a_million_characters_finish: deadlocked
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


def make_string(length, output):
    rng = random.Random()
    output.put("".join(rng.choices(string.ascii_letters + string.digits, k=length)))


def rand_strings(count=4, length=5):
    if count < 1:
        raise ValueError("count must be at least 1")
    if length < 0:
        raise ValueError("length must not be negative")
    output = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=make_string, args=(length, output)) for _ in range(count)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return [output.get() for _ in processes]
