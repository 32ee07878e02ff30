"""collect_items forgets the loop that starts its processes, and rand_strings writes `p.start` without
calling it: both wait on a queue that no child will ever fill."""
# expect-fail: test_collect_items_returns_n_processes_items, test_collect_items_items_come_from_n_child_processes, test_collect_items_leaves_no_child_process, test_rand_strings_returns_count_strings_of_length_from_the_alphabet, test_rand_strings_are_made_in_child_processes, test_rand_strings_differ_from_each_other, test_rand_strings_of_a_million_characters_finish, test_rand_strings_leaves_no_child_process
# expect-feedback: test_collect_items_returns_n_processes_items: was never started
# expect-feedback: test_collect_items_items_come_from_n_child_processes: 1 of the 1 process it created was never started
# expect-feedback: test_rand_strings_returns_count_strings_of_length_from_the_alphabet: Call start() on every process
# expect-feedback: test_rand_strings_of_a_million_characters_finish: 2 processes it created were never started
import multiprocessing
import random
import string

ANSWER_LIST = "c"


def send_item(output):
    output.put("item")


def collect_items(n_processes=5):
    if n_processes < 1:
        raise ValueError("n_processes must be at least 1")
    output = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=send_item, args=(output,)) for _ in range(n_processes)]
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
    if length < 0:
        raise ValueError("length must not be negative")
    output = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=make_string, args=(length, output)) for _ in range(count)]
    for p in processes:
        p.start
    results = [output.get() for _ in processes]
    for p in processes:
        p.join()
    return results
