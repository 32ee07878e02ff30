"""Wrong: collect_items starts one child per item, drains the queue before the joins and joins them,
but each child only puts None on the queue; the parent makes every 'item' itself."""
# expect-fail: test_collect_items_items_come_from_n_child_processes, test_collect_items_leaves_no_child_process
# expect-feedback: test_collect_items_items_come_from_n_child_processes: never came from a child


import multiprocessing
import random
import string

ANSWER_LIST = "c"

ALPHABET = string.ascii_letters + string.digits

# The seed's puzzle, kept as it is: run it yourself (see the module docstring).
LIST = []


def worker():
    LIST.append('item')


def collect_items(n_processes=5):
    """Fix the puzzle: return the ``n_processes`` items the children send back.

    Start ``n_processes`` child processes (``multiprocessing.Process``); each sends the string
    ``'item'`` back to the parent through a ``multiprocessing.Queue`` (a ``Pipe`` or a ``Manager``
    list also work). Return the list of the ``n_processes`` items received, e.g.
    ``collect_items(3) == ['item', 'item', 'item']``.

    Join every child before returning. ``n_processes`` below 1 raises ``ValueError`` with a message
    that names ``n_processes``.
    """
    if n_processes < 1:
        raise ValueError(f"n_processes must be at least 1, got {n_processes!r}")
    output = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=send_item, args=(output,)) for _ in range(n_processes)
    ]
    return ['item' for _ in _run_and_collect(processes, output)]


def send_item(output):
    output.put(None)


def rand_strings(count=4, length=5):
    """Return ``count`` random strings of ``length`` characters, each made by its own child process.

    Follow the seed's ``rand_string`` with an output queue: start one child process per string; each
    child makes a random string of ``length`` characters from ASCII letters and digits
    (``string.ascii_letters + string.digits``) and puts it on a ``multiprocessing.Queue``; the parent
    returns the ``count`` strings.

    - The strings differ from each other: a child must not reuse the parent's random state (a
      module-level ``random.seed(123)`` as in the seed gives every spawned child the same state, so
      seed a fresh generator inside the child, e.g. ``random.Random()``).
    - It must not deadlock for long strings (``length=1_000_000``): a child cannot finish until its
      data has left the queue's pipe, so take the ``count`` results off the queue BEFORE joining the
      children (the seed joins first — find out why that can hang).
    - Join every child before returning.
    - ``count`` below 1 raises ``ValueError`` naming ``count``; a negative ``length`` raises
      ``ValueError`` naming ``length``. ``length=0`` gives empty strings.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count!r}")
    if length < 0:
        raise ValueError(f"length must not be negative, got {length!r}")
    output = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=rand_string, args=(length, output)) for _ in range(count)
    ]
    return _run_and_collect(processes, output)


def rand_string(length, output):
    """Put one random string of ``length`` letters and digits on ``output``."""
    # A fresh generator seeded from the OS: the parent's state may have been copied into this child.
    rng = random.Random()
    output.put(''.join(rng.choices(ALPHABET, k=length)))


def _run_and_collect(processes, output):
    """Start ``processes``, take one result per process off ``output``, then join them."""
    for p in processes:
        p.start()
    # Drain first: a child cannot exit until the parent has read its data off the queue's pipe.
    results = [output.get() for _ in processes]
    for p in processes:
        p.join()
    return results
